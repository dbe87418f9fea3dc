"""Real servers for the shared-store tests: Redis, PostgreSQL (once per session each) and a
SQLite file. Each test gets its own key/table prefix, so nothing is flushed between tests.

A missing server fails in CI and skips loudly elsewhere (the dev group is not installed)."""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from allegro_async.testing.redis_server import ServerNotFoundError, serve

BACKENDS = ["redis", "postgres", "sqlite"]
_numbers = itertools.count()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private Redis server for the session."""
    try:
        with serve("redis") as running:
            yield running.url
    except ServerNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI installs the dev group, so this is a broken install)")
        warnings.warn(f"SKIPPING the Redis store tests: {exc}", stacklevel=1)
        pytest.skip(str(exc))


@dataclass
class Backend:
    """Makes stores of one kind, each with its own connection, all sharing one namespace."""

    kind: str
    url: str
    prefix: str
    made: list[Any] = field(default_factory=list)

    def tokens(self, **options: Any) -> Any:
        """A new token store instance on the shared backend."""
        if self.kind == "redis":
            from allegro_async.stores.redis_tokens import RedisTokenStore

            store: Any = RedisTokenStore(self.url, prefix=self.prefix + ":", **options)
        else:
            from allegro_async.stores.sql_tokens import SqlTokenStore

            store = SqlTokenStore(self.url, table_prefix=self.prefix + "_", **options)
        self.made.append(store)
        return store

    def cursors(self, name: str = "orders", **options: Any) -> Any:
        """A new cursor store instance for stream ``name`` on the shared backend."""
        if self.kind == "redis":
            from allegro_async.stores.redis_cursors import RedisCursorStore

            store: Any = RedisCursorStore(self.url, name, prefix=self.prefix + ":", **options)
        else:
            from allegro_async.stores.sql_cursors import SqlCursorStore

            store = SqlCursorStore(self.url, name, table_prefix=self.prefix + "_", **options)
        self.made.append(store)
        return store

    def store_args(self) -> list[str]:
        """How a worker process makes the same token store: kind, url, prefix."""
        return [self.kind, self.url, self.prefix]

    async def raw_token(self, key: str) -> str | None:
        """The stored value of ``key``'s pair, as the database holds it."""
        if self.kind == "redis":
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(self.url)
            try:
                value = await client.get(f"{self.prefix}:token:{{{key}}}")
            finally:
                await client.aclose()
            return None if value is None else value.decode()
        from sqlalchemy.ext.asyncio import create_async_engine

        from allegro_async.stores._sql import make_engine

        engine = make_engine(self.url)[0] if self.kind == "sqlite" else create_async_engine(
            self.url.replace("postgresql://", "postgresql+asyncpg://"))
        try:
            async with engine.connect() as connection:
                found = (await connection.execute(
                    text(f"SELECT value FROM {self.prefix}_tokens WHERE key = :k"), {"k": key}
                )).scalar()
        finally:
            await engine.dispose()
        return None if found is None else str(found)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Redis, PostgreSQL or SQLite, with a namespace of its own for this test."""
    prefix = f"t{os.getpid()}_{next(_numbers)}"
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
    elif request.param == "postgres":
        url = request.getfixturevalue("allegro_postgres").dsn
    else:
        url = f"sqlite:///{tmp_path / 'stores.db'}"
    made = Backend(request.param, url, prefix)
    yield made
    for store in made.made:
        await store.aclose()


def open_store(kind: str, url: str, prefix: str, **options: Any) -> Any:
    """The token store a worker process makes from :meth:`Backend.store_args`."""
    if kind == "redis":
        from allegro_async.stores.redis_tokens import RedisTokenStore

        return RedisTokenStore(url, prefix=prefix + ":", **options)
    from allegro_async.stores.sql_tokens import SqlTokenStore

    return SqlTokenStore(url, table_prefix=prefix + "_", **options)
