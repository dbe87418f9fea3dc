"""Onboarding flows in a SQL database (PostgreSQL, SQLite): :class:`SqlPendingAuthorizations`,
for backends that run PostgreSQL and no Redis. Needs the ``postgres`` or ``sql`` extra."""

# ruff: noqa: S608 - table names are checked identifiers (table_names); values are parameters

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Column, Float, MetaData, String, Table, Text, text

from allegro_async.fastapi.pending import (
    PendingFlow,
    TooManyPendingError,
    _check_limits,
    state_key,
)
from allegro_async.stores import _sql
from allegro_async.stores.sql_tokens import table_names


class SqlPendingAuthorizations:
    """Flows in ``<prefix>pending`` (made on first use), one row per flow under the state's
    hash, with the client's hash and an expiry on the database's clock, so a callback can land
    on any worker of any host. A taken flow keeps its row (without the flow) until it expires,
    so ``max_per_client`` counts the flows one client started within ``ttl``. The caps are
    checked in the insert's transaction; concurrent ``/connect`` calls on PostgreSQL may pass
    them by a few.

    ::

        onboarding_router(pending=SqlPendingAuthorizations("postgresql://app:pw@db/app"))
    """

    def __init__(self, url: Any, *, table_prefix: str = "allegro_", ttl: float = 600.0,
                 max_pending: int = 10_000, max_per_client: int = 20) -> None:
        _check_limits(ttl, max_pending, max_per_client)
        self.ttl, self._max, self._per_client = ttl, max_pending, max_per_client
        self._table = f"{table_names(table_prefix)}pending"
        self._engine, self._owned = _sql.make_engine(url)
        self._dialect = self._engine.dialect.name
        self._now = str(_sql.db_now(self._dialect))
        metadata = MetaData()
        Table(self._table, metadata, Column("key", String(64), primary_key=True),
              Column("value", Text), Column("client", String(64), nullable=False, index=True),
              Column("expires_at", Float, nullable=False))
        self._tables = _sql.Tables(metadata)

    async def put(self, flow: PendingFlow, *, client: str) -> None:
        """Keep ``flow``; refused (never evicting another) past the caps."""
        await self._tables.ensure(self._engine)
        who = state_key(client)
        async with self._engine.begin() as connection:
            await connection.execute(text(
                f"DELETE FROM {self._table} WHERE expires_at <= {self._now}"))
            mine = (await connection.execute(text(
                f"SELECT count(*), min(expires_at) - {self._now} FROM {self._table} "
                "WHERE client = :c"), {"c": who})).one()
            if int(mine[0]) >= self._per_client:
                raise TooManyPendingError(
                    "this client started too many authorizations; finish one or wait",
                    status=429, retry_after=max(1, math.ceil(float(mine[1]))))
            live = (await connection.execute(text(
                f"SELECT count(*), min(expires_at) - {self._now} FROM {self._table} "
                "WHERE value IS NOT NULL"))).one()
            if int(live[0]) >= self._max:
                raise TooManyPendingError(
                    "too many authorizations are pending; try again shortly",
                    status=503, retry_after=max(1, math.ceil(float(live[1]))))
            await connection.execute(text(
                f"INSERT INTO {self._table} (key, value, client, expires_at) "
                f"VALUES (:k, :v, :c, {self._now} + :ttl)"),
                {"k": state_key(flow.state), "v": flow.to_text(), "c": who, "ttl": self.ttl})

    async def take(self, state: str) -> PendingFlow | None:
        """The flow started with ``state``, once, whichever worker sent the seller out."""
        await self._tables.ensure(self._engine)
        key = state_key(state)
        async with self._engine.begin() as connection:
            value = (await _sql.for_update(
                connection, self._dialect,
                f"SELECT value FROM {self._table} WHERE key = :k AND value IS NOT NULL "
                f"AND expires_at > {self._now}", k=key)).scalar()
            if value is None:
                return None
            await connection.execute(text(
                f"UPDATE {self._table} SET value = NULL WHERE key = :k"), {"k": key})
        return PendingFlow.from_text(value)

    async def aclose(self) -> None:
        """Dispose of the engine, when this store made it from a URL."""
        if self._owned:
            await self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlPendingAuthorizations(table={self._table!r}, ttl={self.ttl})"
