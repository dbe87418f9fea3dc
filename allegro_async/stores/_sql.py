"""What the SQL stores share: the engine (SQLite made safe for several processes), the
database's clock, tables made on first use, and upserts per dialect."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import MetaData, event, literal_column, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.expression import ColumnElement

from allegro_async.errors import InvalidArgumentError

DIALECTS = ("postgresql", "sqlite")


def make_engine(url: Any) -> tuple[AsyncEngine, bool]:
    """An engine for ``url`` (a URL string, owned and disposed by the store) or the
    ``AsyncEngine`` given (the caller's)."""
    if isinstance(url, AsyncEngine):
        engine, owned = url, False
    elif isinstance(url, str):
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        elif url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        # hide_parameters: a failed statement's message must not quote a token pair
        # pool_pre_ping: connections that died with a database restart are replaced, not used
        engine = create_async_engine(url, connect_args=connect_args, hide_parameters=True,
                                     pool_pre_ping=True)
        owned = True
    else:
        raise InvalidArgumentError("url", f"{type(url).__name__} is not a database URL",
                                   "pass e.g. 'postgresql://user:pw@host/db', "
                                   "'sqlite:///tokens.db' or an AsyncEngine")
    if engine.dialect.name not in DIALECTS:
        raise InvalidArgumentError("url", f"the {engine.dialect.name} dialect is not supported",
                                   "use PostgreSQL (asyncpg) or SQLite (aiosqlite)")
    if engine.dialect.name == "sqlite":
        _serialise_sqlite(engine)
    return engine, owned


def _serialise_sqlite(engine: AsyncEngine) -> None:
    """Every SQLite transaction takes the write lock at BEGIN: a read that later writes would
    otherwise fail at once with "database is locked" when another process writes too."""
    if getattr(engine.sync_engine, "_allegro_immediate", False):
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.sync_engine._allegro_immediate = True  # type: ignore[attr-defined]


def db_now(dialect: str) -> ColumnElement[float]:
    """The database's clock in epoch seconds: one clock for every host, whatever theirs say."""
    if dialect == "postgresql":
        return literal_column("extract(epoch from clock_timestamp())::float8")
    return literal_column("((julianday('now') - 2440587.5) * 86400.0)")


def upsert(dialect: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_update``)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class Tables:
    """Creates ``metadata``'s tables once per store, tolerating a concurrent creator."""

    def __init__(self, metadata: MetaData) -> None:
        self._metadata = metadata
        self._made = False
        self._lock = anyio.Lock()

    async def ensure(self, engine: AsyncEngine) -> None:
        """Create the tables if they do not exist (another host may be making them too)."""
        if self._made:
            return
        async with self._lock:
            if self._made:
                return
            for attempt in range(3):
                try:
                    async with engine.begin() as connection:
                        await connection.run_sync(self._metadata.create_all, checkfirst=True)
                    break
                except DBAPIError:  # two hosts created the same table at once: check again
                    if attempt == 2:
                        raise
            self._made = True


async def for_update(connection: AsyncConnection, dialect: str, sql: str, **params: Any) -> Any:
    """Run ``sql`` (a SELECT) locking the rows it reads on PostgreSQL (SQLite's BEGIN
    IMMEDIATE already holds the whole database)."""
    if dialect == "postgresql":
        sql += " FOR UPDATE"
    return await connection.execute(text(sql), params)
