"""An event stream's place in a SQL database (PostgreSQL, SQLite): :class:`SqlCursorStore`.
Needs the ``postgres`` extra (asyncpg) or the ``sql`` extra (aiosqlite)."""

# ruff: noqa: S608 - table names are checked identifiers (table_names); values are parameters

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, text
from sqlalchemy.types import BigInteger

from allegro_async import _args
from allegro_async.cursors import DEFAULT_MAX_KEYS, CursorState, _check_commit
from allegro_async.errors import InvalidArgumentError
from allegro_async.stores import _sql
from allegro_async.stores.sql_tokens import table_names


class SqlCursorStore:
    """Keeps a stream's place in two tables, made on first use: ``<prefix>cursors`` (name,
    cursor, seq) and ``<prefix>cursor_keys`` (name, seq, key). One transaction writes an event
    and its de-duplication keys, so a reader never sees one without the other; the most recent
    ``max_keys`` keys are kept.

    ::

        store = SqlCursorStore("postgresql://app:secret@db/app", f"order-events:{seller_id}")

    Args:
        url: a database URL or an ``AsyncEngine`` you own (not disposed here).
        name: the stream's name in the store (one per stream).
        table_prefix: the start of the two table names.
        max_keys: how many recent de-duplication keys to keep.
    """

    def __init__(self, url: Any, name: str, *, table_prefix: str = "allegro_",
                 max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if not isinstance(name, str) or not name or len(name) > 200:
            raise InvalidArgumentError("name", f"{name!r} is not a stream name",
                                       "pass a name of 1 to 200 characters, e.g. "
                                       "'order-events:<seller id>'")
        prefix = table_names(table_prefix)
        self._max_keys = _args.count(max_keys, "max_keys", minimum=1)
        self._engine, self._owned = _sql.make_engine(url)
        self._dialect = self._engine.dialect.name
        self._cursors, self._keys = f"{prefix}cursors", f"{prefix}cursor_keys"
        metadata = MetaData()
        self._table = Table(self._cursors, metadata,
                            Column("name", String(200), primary_key=True),
                            Column("cursor", Text), Column("seq", BigInteger, nullable=False))
        Table(self._keys, metadata, Column("name", String(200), primary_key=True),
              Column("seq", BigInteger, primary_key=True), Column("key", Text, nullable=False))
        self._tables = _sql.Tables(metadata)
        self.name = name

    async def load(self) -> CursorState:
        """The saved state, read in one transaction."""
        await self._tables.ensure(self._engine)
        async with self._engine.begin() as connection:
            row = (await connection.execute(
                text(f"SELECT cursor, seq FROM {self._cursors} WHERE name = :n"),
                {"n": self.name})).first()
            if row is None:
                return CursorState()
            # up to the row's seq: a commit landing between the two reads (READ COMMITTED)
            # has larger numbers, so its keys never show without its cursor
            top = int(row[1])
            keys = await connection.execute(text(
                f"SELECT key FROM {self._keys} WHERE name = :n AND seq > :s AND seq <= :top "
                "ORDER BY seq"), {"n": self.name, "s": top - self._max_keys, "top": top})
            return CursorState(row[0], [str(k[0]) for k in keys])

    async def commit(self, cursor: str, keys: Sequence[str]) -> None:
        """Record ``cursor`` as the last finished event and ``keys`` as finished, in one
        transaction."""
        _check_commit(cursor, keys)
        await self._tables.ensure(self._engine)
        insert = _sql.upsert(self._dialect)
        statement = insert(self._table).values(name=self.name, cursor=cursor, seq=len(keys))
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"cursor": statement.excluded.cursor, "seq": self._table.c.seq + len(keys)},
        ).returning(self._table.c.seq)
        async with self._engine.begin() as connection:
            last = int((await connection.execute(statement)).scalar_one())
            if keys:
                first = last - len(keys) + 1
                await connection.execute(
                    text(f"INSERT INTO {self._keys} (name, seq, key) VALUES (:n, :s, :k)"),
                    [{"n": self.name, "s": first + i, "k": k} for i, k in enumerate(keys)])
                if last > 2 * self._max_keys and last % self._max_keys < len(keys):
                    # now and then, not per event: drop keys older than the newest max_keys
                    await connection.execute(text(
                        f"DELETE FROM {self._keys} WHERE name = :n AND seq <= :s"),
                        {"n": self.name, "s": last - self._max_keys})

    async def aclose(self) -> None:
        """Dispose of the engine's connections, when this store made it from a URL (a stream
        does at the end of its ``async with``); a later call connects again."""
        if self._owned:
            await self._engine.dispose()

    async def __aenter__(self) -> SqlCursorStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"SqlCursorStore({self.name!r}, dialect={self._dialect!r})"
