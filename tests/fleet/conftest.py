"""Lease stores for the fleet tests: Redis (a private server on a free loopback port), and SQL
in PostgreSQL (a private server, ``allegro_postgres``) and in SQLite (a temporary file), all on
a fake clock so that TTLs pass without waiting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from allegro_async.fleet.leases import LeaseBackend, RedisLeases
from tests.throttle_redis.conftest import private_server


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:<port>/0`` of a private Redis, for the module."""
    with private_server("redis") as running:
        yield running.url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[object]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(params=["redis", "postgres", "sqlite"])
async def leases(request: pytest.FixtureRequest, clock: FakeClock,
                 tmp_path: Path) -> AsyncIterator[LeaseBackend]:
    """One lease store on ``clock``: in Redis, PostgreSQL, then SQLite."""
    if request.param == "redis":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(request.getfixturevalue("redis_url"))
        yield RedisLeases(client, prefix=f"test-{uuid.uuid4().hex}", now=clock)
        await client.aclose()
        return
    from sqlalchemy.ext.asyncio import create_async_engine

    from allegro_async.fleet.sql import SqlLeases

    if request.param == "postgres":
        dsn = request.getfixturevalue("allegro_postgres").dsn
        engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://"))
    else:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'leases.db'}")
    # tables of their own per test: the server lives for the session
    store = SqlLeases(engine, now=clock, prefix=f"leases_{uuid.uuid4().hex[:12]}")
    await store.create_tables()
    yield store
    await engine.dispose()
