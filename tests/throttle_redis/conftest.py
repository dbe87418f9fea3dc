"""A real server on a free loopback port for the shared-limiter tests, once with Redis and once
with Valkey (same protocol; both come from PyPI with the dev group). Started once per module,
without persistence; flushed between tests.

A missing server is a failure in CI and a loud skip elsewhere: it means the dev group is not
installed, not that the tests do not apply."""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest

from allegro_async.testing.redis_server import (
    RunningServer,
    ServerKind,
    ServerNotFoundError,
    serve,
)


@contextmanager
def private_server(kind: ServerKind) -> Iterator[RunningServer]:
    """A private server of ``kind``; a missing one fails in CI and skips loudly elsewhere."""
    try:
        with serve(kind) as running:
            yield running
    except ServerNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI installs the dev group, so this is a broken install)")
        warnings.warn(f"SKIPPING the shared-limiter tests: {exc}", stacklevel=1)
        pytest.skip(f"{exc}")


@pytest.fixture(scope="module", params=["redis", "valkey"])
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``redis://127.0.0.1:<port>/0`` of a private Redis or Valkey server, stopped afterwards."""
    with private_server(request.param) as running:
        yield running.url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[object]:
    """A redis.asyncio client on a flushed database."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()
