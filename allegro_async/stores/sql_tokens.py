"""Token pairs in a SQL database (PostgreSQL, or SQLite for one machine) through SQLAlchemy's
asyncio engine, with a refresh lock that spans hosts: :class:`SqlTokenStore`. Needs the
``postgres`` extra (asyncpg) or the ``sql`` extra (aiosqlite)."""

# ruff: noqa: S608 - table names are checked identifiers (table_names); values are parameters

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
from sqlalchemy import Column, Float, MetaData, String, Table, Text, bindparam, text
from sqlalchemy.types import BigInteger

from allegro_async.auth.tokens import Token
from allegro_async.errors import InvalidArgumentError
from allegro_async.stores import _sql, fencing
from allegro_async.stores.crypto import FROM_ENV, TokenCipher, resolve
from allegro_async.stores.redis_tokens import DEFAULT_LOCK_TTL

_POLL_FIRST = 0.005
_POLL_MAX = 0.1
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")


def table_names(prefix: str) -> str:
    """``prefix`` checked as the start of a table name."""
    if not isinstance(prefix, str) or not _NAME.fullmatch(prefix):
        raise InvalidArgumentError("table_prefix", f"{prefix!r} is not a plain table name start",
                                   "use lower-case letters, digits and _, e.g. 'allegro_'")
    return prefix


#: How long a refresh intent is kept (seconds): A5's grace; past it a takeover cannot succeed.
_GRACE = 60.0
#: Keys per query in :meth:`SqlTokenStore.abandoned_refreshes` (under SQLite's old limit of
#: 999 parameters).
_INTENT_BATCH = 500


class SqlTokenStore:
    """Token pairs in two tables: ``<prefix>tokens`` (key, value) and ``<prefix>token_locks``
    (key, fence, expires_at), made on first use.

    ::

        store = SqlTokenStore("postgresql://app:secret@db.internal/app")
        store = SqlTokenStore("sqlite:///tokens.db")        # one machine, several processes

    ``lock(key)`` is a lease row: taken by one task on one host at a time with the next fence
    number, until released or until ``lock_ttl`` seconds pass on the database's clock (a
    holder that died frees it; 30 s by default, inside A5's 60-second grace, so the next host
    still refreshes with the old refresh token if the dead one had used it). The others wait
    (polling, with a short capped pause) and then read the pair it saved. A holder's ``save``
    is accepted only while no newer holder exists, else
    :class:`~allegro_async.stores.StaleLockError`; a save outside the lock (a new login)
    outdates any holder and frees the lock.

    Args:
        url: a database URL (``postgresql://``, ``sqlite:///``, or with an explicit async
            driver) or an ``AsyncEngine`` you own (not disposed here).
        table_prefix: the start of the two table names.
        lock_ttl: seconds a lock lives without its holder releasing it.
        cipher: encrypts pairs at rest; default: ``ALLEGRO_TOKEN_KEY`` when set, else none.
    """

    def __init__(self, url: Any, *, table_prefix: str = "allegro_",
                 lock_ttl: float = DEFAULT_LOCK_TTL,
                 cipher: TokenCipher | Any | None = FROM_ENV) -> None:
        if not isinstance(lock_ttl, (int, float)) or not 0 < lock_ttl <= 55:
            raise InvalidArgumentError(
                "lock_ttl", f"{lock_ttl!r} is not between 0 and 55 seconds",
                "keep it under the 60-second grace of a rotated refresh token, e.g. 30",
            )
        prefix = table_names(table_prefix)
        self._cipher = resolve(cipher)
        self._engine, self._owned = _sql.make_engine(url)
        self._dialect = self._engine.dialect.name
        self._ttl = float(lock_ttl)
        self._tokens, self._locks = f"{prefix}tokens", f"{prefix}token_locks"
        metadata = MetaData()
        Table(self._tokens, metadata, Column("key", String(200), primary_key=True),
              Column("value", Text, nullable=False))
        Table(self._locks, metadata, Column("key", String(200), primary_key=True),
              Column("fence", BigInteger, nullable=False),
              Column("expires_at", Float, nullable=False))
        self._intents = f"{prefix}token_intents"
        Table(self._intents, metadata, Column("key", String(200), primary_key=True),
              Column("fence", BigInteger, nullable=False),
              Column("until", Float, nullable=False))
        self._tables = _sql.Tables(metadata)
        self._now = str(_sql.db_now(self._dialect))
        self._local: dict[str, anyio.Lock] = {}

    async def load(self, key: str) -> Token | None:
        """The pair under ``key``, read from the database each time."""
        fencing.check_key(key)
        await self._tables.ensure(self._engine)
        async with self._engine.connect() as connection:
            stored = (await connection.execute(
                text(f"SELECT value FROM {self._tokens} WHERE key = :k"), {"k": key}
            )).scalar()
        return None if stored is None else fencing.decode(stored, self._cipher)

    async def save(self, key: str, token: Token) -> None:
        """Replace the pair under ``key``. Under ``lock(key)``: only while the lock is still
        this task's (else :class:`~allegro_async.stores.StaleLockError`)."""
        fencing.check_key(key)
        if not isinstance(token, Token):
            raise InvalidArgumentError("token", f"{type(token).__name__} is not a Token",
                                       "pass a Token (Token.from_response(...) or a loaded one)")
        await self._tables.ensure(self._engine)
        value = fencing.encode(token, self._cipher)
        fence = fencing.held_fence(self, key)
        insert = _sql.upsert(self._dialect)
        table = Table(self._tokens, MetaData(), Column("key", String(200), primary_key=True),
                      Column("value", Text))
        async with self._engine.begin() as connection:
            if fence is None:  # a new login: outdate and free any holder
                await self._lock_row(connection, key)
                await connection.execute(text(
                    f"UPDATE {self._locks} SET fence = fence + 1, expires_at = 0 WHERE key = :k"
                ), {"k": key})
            else:
                current = (await _sql.for_update(
                    connection, self._dialect,
                    f"SELECT fence FROM {self._locks} WHERE key = :k", k=key,
                )).scalar()
                if current != fence:
                    raise fencing.StaleLockError(key)
            statement = insert(table).values(key=key, value=value)
            await connection.execute(statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": statement.excluded.value}))
            await connection.execute(  # a saved pair ends any refresh intent
                text(f"DELETE FROM {self._intents} WHERE key = :k"), {"k": key})

    async def begin_refresh(self, key: str) -> None:
        """Record, under ``lock(key)``, that its holder is about to send a refresh: until a
        save clears it, a holder that dies before saving leaves it behind for
        :meth:`abandoned_refresh` (kept for A5's 60-second grace)."""
        fencing.check_key(key)
        fence = fencing.held_fence(self, key)
        if fence is None:
            return
        async with self._engine.begin() as connection:
            await connection.execute(
                text(f"DELETE FROM {self._intents} WHERE key = :k"), {"k": key})
            await connection.execute(text(
                f"INSERT INTO {self._intents} (key, fence, until) "
                f"SELECT key, fence, {self._now} + :grace FROM {self._locks} "
                "WHERE key = :k AND fence = :f"), {"k": key, "f": fence, "grace": _GRACE})

    async def abandoned_refresh(self, key: str) -> bool:
        """Whether a holder of ``lock(key)`` other than the running task began a refresh that no
        save has ended: it died before saving (the stored refresh token is rotated and must be
        used again at once), or it is still at work (take the lock, then re-read the pair)."""
        fencing.check_key(key)
        await self._tables.ensure(self._engine)
        async with self._engine.connect() as connection:
            intent = (await connection.execute(text(
                f"SELECT fence FROM {self._intents} WHERE key = :k AND until > {self._now}"),
                {"k": key})).scalar()
        return intent is not None and int(intent) != fencing.held_fence(self, key)

    async def abandoned_refreshes(self, keys: list[str]) -> set[str]:
        """Those of ``keys`` for which :meth:`abandoned_refresh` holds, in one query per 500
        keys: the app's recovery sweep checks every seller it holds in memory this way."""
        await self._tables.ensure(self._engine)
        found: set[str] = set()
        query = text(f"SELECT key, fence FROM {self._intents} "
                     f"WHERE key IN :keys AND until > {self._now}"
                     ).bindparams(bindparam("keys", expanding=True))
        async with self._engine.connect() as connection:
            for start in range(0, len(keys), _INTENT_BATCH):
                chunk = [fencing.check_key(key) for key in keys[start:start + _INTENT_BATCH]]
                rows = await connection.execute(query, {"keys": chunk})
                found.update(str(key) for key, fence in rows
                             if int(fence) != fencing.held_fence(self, str(key)))
        return found

    @property
    def lock_ttl(self) -> float:
        """Seconds a lock lives without its holder releasing it."""
        return self._ttl

    async def keys(self) -> list[str]:
        """Every key that has a pair, sorted."""
        await self._tables.ensure(self._engine)
        async with self._engine.connect() as connection:
            rows = await connection.execute(text(f"SELECT key FROM {self._tokens}"))
            return sorted(str(row[0]) for row in rows)

    async def delete(self, key: str) -> bool:
        """Remove the pair under ``key``, after a refresh of it in flight on any host."""
        fencing.check_key(key)
        async with self.lock(key), self._engine.begin() as connection:
            done = await connection.execute(
                text(f"DELETE FROM {self._tokens} WHERE key = :k"), {"k": key})
            return bool(done.rowcount)

    async def _lock_row(self, connection: Any, key: str) -> None:
        await connection.execute(text(
            f"INSERT INTO {self._locks} (key, fence, expires_at) VALUES (:k, 0, 0) "
            "ON CONFLICT (key) DO NOTHING"), {"k": key})

    async def _acquire(self, key: str) -> int | None:
        async with self._engine.begin() as connection:
            await self._lock_row(connection, key)
            taken = await connection.execute(text(
                f"UPDATE {self._locks} SET fence = fence + 1, expires_at = {self._now} + :ttl "
                f"WHERE key = :k AND expires_at <= {self._now} RETURNING fence"
            ), {"k": key, "ttl": self._ttl})
            fence = taken.scalar()
        return None if fence is None else int(fence)

    async def extend_lock(self, key: str) -> bool:
        """Give the running task's ``lock(key)`` a full ``lock_ttl`` again (a holder whose save
        is being retried keeps the other hosts waiting); ``False`` when it holds none, or its
        lease has passed to another holder."""
        fencing.check_key(key)
        fence = fencing.held_fence(self, key)
        if fence is None:
            return False
        async with self._engine.begin() as connection:
            done = await connection.execute(text(
                f"UPDATE {self._locks} SET expires_at = {self._now} + :ttl "
                "WHERE key = :k AND fence = :f"), {"k": key, "f": fence, "ttl": self._ttl})
        return bool(done.rowcount)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Hold ``key`` for one refresh, on every host; other keys stay free. Cancelling the
        wait leaves nothing held (or a lease that its TTL ends)."""
        fencing.check_key(key)
        await self._tables.ensure(self._engine)
        async with self._local.setdefault(key, anyio.Lock()):  # this host's tasks queue here
            pause = _POLL_FIRST
            while (fence := await self._acquire(key)) is None:
                await anyio.sleep(pause)
                pause = min(pause * 2, _POLL_MAX)
            fencing.hold(self, key, fence)
            try:
                yield
            finally:
                fencing.hold(self, key, None)
                # released even when cancelled; a database that does not answer: the TTL does
                with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                    async with self._engine.begin() as connection:
                        await connection.execute(text(
                            f"UPDATE {self._locks} SET expires_at = 0 "
                            "WHERE key = :k AND fence = :f"), {"k": key, "f": fence})

    async def aclose(self) -> None:
        """Dispose of the engine, when this store made it from a URL."""
        if self._owned:
            await self._engine.dispose()

    async def __aenter__(self) -> SqlTokenStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (f"SqlTokenStore(dialect={self._dialect!r}, table={self._tokens!r}, "
                f"encrypted={self._cipher is not None})")
