"""A store whose server is gone fails at once with the driver's connection error (named, no
password, no hang)."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy.exc import DBAPIError

from allegro_async.auth.tokens import Token
from allegro_async.stores.redis_tokens import RedisTokenStore
from allegro_async.stores.sql_tokens import SqlTokenStore
from allegro_async.testing.postgres_server import serve_postgres
from allegro_async.testing.redis_server import serve

pytestmark = pytest.mark.stores

TOKEN = Token(access_token="outage-access-token-canary", refresh_token="outage-refresh-canary")


async def test_redis_down_fails_fast_and_names_no_secret() -> None:
    import redis.exceptions

    with serve("redis") as server:
        store = RedisTokenStore(server.url, cipher=None)
        await store.save("seller", TOKEN)
        server.stop()
        with anyio.fail_after(10), pytest.raises(redis.exceptions.ConnectionError) as caught:
            await store.load("seller")
        with anyio.fail_after(10), pytest.raises(redis.exceptions.ConnectionError):
            async with store.lock("seller"):
                pytest.fail("locked without Redis")
        assert "canary" not in str(caught.value)
        await store.aclose()


async def test_postgres_down_fails_fast_and_names_no_password() -> None:
    with serve_postgres() as server:
        store = SqlTokenStore(server.dsn, cipher=None)
        await store.save("seller", TOKEN)
        password = server.dsn.split(":")[2].split("@")[0]
        server.stop()
        for _ in range(2):  # a pooled connection that died, then a refused new one
            with anyio.fail_after(20), pytest.raises((DBAPIError, OSError)) as caught:
                await store.load("seller")
            assert password not in str(caught.value) and password not in repr(store)
            assert "canary" not in str(caught.value)
        await store.aclose()
