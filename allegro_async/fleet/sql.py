"""Leases and the worker register in a SQL database (PostgreSQL; SQLite for one host), through
SQLAlchemy's asyncio engine.

Two tables: ``{prefix}_leases`` (name, holder, token, expires_at) and ``{prefix}_workers``
(worker, expires_at). A lease is taken by one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``
the row is free or expired: PostgreSQL locks the row for the statement, so of two workers
racing for it one updates and the other finds the condition false. Renewals and releases are
``UPDATE ... WHERE holder = ? AND token = ?``: an old fencing token matches nothing.

Times are seconds from ``now`` (default ``time.time``): keep the hosts' clocks in sync (NTP)
and the TTL far above their drift.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    MetaData,
    String,
    Table,
    and_,
    delete,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from allegro_async.errors import InvalidArgumentError
from allegro_async.fleet.leases import check_ttl

__all__ = ["SqlLeases"]

_BATCH = 500


class SqlLeases:
    """:class:`~allegro_async.fleet.leases.LeaseBackend` in a SQL database.

    Args:
        engine: a SQLAlchemy ``AsyncEngine`` (``postgresql+asyncpg://...``; yours to dispose).
        prefix: the table name prefix; every worker of a fleet must use the same.
        now: the clock in seconds (a fake one in tests).

    Call :meth:`create_tables` once (it does nothing when they exist).
    """

    def __init__(self, engine: AsyncEngine, *, prefix: str = "allegro_consumers",
                 now: Callable[[], float] = time.time) -> None:
        if not isinstance(prefix, str) or not prefix.replace("_", "").isalnum():
            raise InvalidArgumentError("prefix", f"{prefix!r} is not a table name prefix",
                                       "use letters, digits and _, e.g. 'allegro_consumers'")
        self.engine = engine
        self._now = now
        self.metadata = MetaData()
        self.leases = Table(
            f"{prefix}_leases", self.metadata,
            Column("name", String(200), primary_key=True),
            Column("holder", String(200), nullable=False),
            Column("token", BigInteger, nullable=False),
            Column("expires_at", Float, nullable=False),
        )
        self.workers_table = Table(
            f"{prefix}_workers", self.metadata,
            Column("worker", String(200), primary_key=True),
            Column("expires_at", Float, nullable=False),
        )
        dialect = engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        else:
            raise InvalidArgumentError("engine", f"the {dialect} dialect is not supported",
                                       "use PostgreSQL (postgresql+asyncpg://) or SQLite")
        self._insert = insert

    def __repr__(self) -> str:
        return f"SqlLeases({self.leases.name!r})"

    async def create_tables(self) -> None:
        """Create the two tables unless they exist."""
        async with self.engine.begin() as conn:
            await conn.run_sync(self.metadata.create_all)

    async def acquire(self, names: Sequence[str], holder: str,
                      ttl: float) -> dict[str, int]:
        """Take each free or expired lease; the fencing token of each taken."""
        ttl = check_ttl(ttl)
        t = self.leases
        taken: dict[str, int] = {}
        async with self.engine.begin() as conn:
            for name in names:
                now = self._now()
                inserting = self._insert(t).values(
                    name=name, holder=holder, token=1, expires_at=now + ttl)
                statement = inserting.on_conflict_do_update(
                    index_elements=[t.c.name],
                    set_={"holder": holder, "token": t.c.token + 1, "expires_at": now + ttl},
                    where=or_(t.c.holder == "", t.c.expires_at <= now),
                ).returning(t.c.token)
                token = (await conn.execute(statement)).scalar_one_or_none()
                if token is not None:
                    taken[name] = int(token)
        return taken

    async def renew(self, tokens: Mapping[str, int], holder: str, ttl: float) -> set[str]:
        """Extend the leases still held with these tokens; the names renewed."""
        ttl = check_ttl(ttl)
        t = self.leases
        kept: set[str] = set()
        pairs = list(tokens.items())
        async with self.engine.begin() as conn:
            for start in range(0, len(pairs), _BATCH):
                now = self._now()
                chunk = pairs[start:start + _BATCH]
                statement = update(t).where(
                    t.c.holder == holder, t.c.expires_at > now,
                    tuple_(t.c.name, t.c.token).in_(chunk),
                ).values(expires_at=now + ttl).returning(t.c.name)
                kept.update((await conn.execute(statement)).scalars())
        return kept

    async def release(self, tokens: Mapping[str, int], holder: str) -> None:
        """Free the leases held with these tokens (the rows stay: tokens keep growing)."""
        t = self.leases
        pairs = list(tokens.items())
        async with self.engine.begin() as conn:
            for start in range(0, len(pairs), _BATCH):
                await conn.execute(update(t).where(
                    t.c.holder == holder, tuple_(t.c.name, t.c.token).in_(
                        pairs[start:start + _BATCH]),
                ).values(holder="", expires_at=0.0))

    async def check(self, name: str, holder: str, token: int, margin: float) -> bool:
        """Whether ``holder`` holds ``name`` with ``token`` for at least ``margin`` seconds."""
        t = self.leases
        async with self.engine.connect() as conn:
            found = await conn.execute(select(t.c.name).where(and_(
                t.c.name == name, t.c.holder == holder, t.c.token == token,
                t.c.expires_at >= self._now() + margin)))
            return found.first() is not None

    async def heartbeat(self, worker: str, ttl: float) -> None:
        """Register ``worker`` as live for ``ttl`` seconds."""
        w = self.workers_table
        expires = self._now() + check_ttl(ttl)
        statement: Any = self._insert(w).values(worker=worker, expires_at=expires)
        statement = statement.on_conflict_do_update(index_elements=[w.c.worker],
                                                    set_={"expires_at": expires})
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def leave(self, worker: str) -> None:
        """Remove ``worker`` from the register."""
        w = self.workers_table
        async with self.engine.begin() as conn:
            await conn.execute(delete(w).where(w.c.worker == worker))

    async def workers(self) -> list[str]:
        """The live workers, sorted."""
        w = self.workers_table
        async with self.engine.begin() as conn:
            await conn.execute(delete(w).where(w.c.expires_at <= self._now()))
            found = await conn.execute(select(w.c.worker).order_by(w.c.worker))
            return list(found.scalars())
