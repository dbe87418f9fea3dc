"""Redis and SQL token stores: the TokenStore contract, one refresh per seller across store
instances (A5), fencing of a holder that outlived its lock."""

from __future__ import annotations

from dataclasses import replace

import anyio
import pytest

from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import ListableTokenStore, Token, TokenStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.stores import StaleLockError
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows
from tests.stores.conftest import Backend

pytestmark = pytest.mark.stores


def near_expiry(emulator: Emulator, seller: int = 0) -> Token:
    """A fresh 12-hour pair from the emulator, 10 s from expiry (inside the refresh margin)."""
    now = emulator.clock.now().timestamp()
    token = Token.from_response(emulator.oauth.issue_pair(emulator.sellers[seller].id), now=now,
                                environment="custom")
    return replace(token, expires_at=now + 10, issued_at=now + 10 - 12 * 3600)


async def test_store_keeps_lists_and_deletes_pairs(backend: Backend, emulator: Emulator) -> None:
    store = backend.tokens(cipher=None)
    assert isinstance(store, TokenStore) and isinstance(store, ListableTokenStore)
    first, second = near_expiry(emulator, 0), near_expiry(emulator, 1)
    assert await store.load("b") is None
    await store.save("b", first)
    await store.save("a/with:odd{chars}", second)
    await store.save("b", second)
    other = backend.tokens(cipher=None)  # another host sees the same pairs
    assert await other.keys() == ["a/with:odd{chars}", "b"]
    assert await other.load("b") == second
    assert await other.delete("b") is True
    assert await other.delete("b") is False
    assert await store.keys() == ["a/with:odd{chars}"]
    assert await store.load("b") is None


async def test_many_instances_refresh_one_seller_once(backend: Backend,
                                                      emulator: Emulator) -> None:
    key, stale = emulator.sellers[0].id, near_expiry(emulator)
    await backend.tokens(cipher=None).save(key, stale)
    got: list[Token] = []

    def clock() -> float:
        return emulator.clock.now().timestamp()

    async with emulated_flows(emulator) as flows:

        async def worker() -> None:  # its own store instance and connection: another host
            auth = RefreshingAuth(backend.tokens(cipher=None), key, flows, clock=clock)
            got.append(await auth.token())

        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(worker)
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert not emulator.oauth.counters.token_errors
    assert {t.access_token for t in got} == {got[0].access_token} != {stale.access_token}
    assert await backend.tokens(cipher=None).load(key) == got[0]


async def test_holder_past_its_ttl_cannot_overwrite_a_newer_pair(backend: Backend,
                                                                 emulator: Emulator) -> None:
    key = "seller"
    old, newer, late = near_expiry(emulator, 0), near_expiry(emulator, 0), near_expiry(emulator, 0)
    slow, fast = backend.tokens(cipher=None, lock_ttl=0.3), backend.tokens(cipher=None)
    await fast.save(key, old)
    with pytest.raises(StaleLockError) as caught:
        async with slow.lock(key):
            # the other host gets the lock only once the slow holder's TTL has run out
            async with fast.lock(key):
                await fast.save(key, newer)
            await slow.save(key, late)
    assert key in str(caught.value)
    assert await fast.load(key) == newer


async def test_save_outside_the_lock_outdates_the_holder(backend: Backend,
                                                         emulator: Emulator) -> None:
    key, relogin, refreshed = "seller", near_expiry(emulator, 0), near_expiry(emulator, 0)
    holder, web = backend.tokens(cipher=None), backend.tokens(cipher=None)
    with pytest.raises(StaleLockError):
        async with holder.lock(key):
            await web.save(key, relogin)  # the seller logged in again meanwhile
            with anyio.fail_after(5):  # the outdated holder's lock is free at once
                async with web.lock(key):
                    pass
            await holder.save(key, refreshed)
    assert await web.load(key) == relogin


async def test_cancelled_wait_for_a_lock_holds_nothing(backend: Backend) -> None:
    holder, waiter = backend.tokens(cipher=None), backend.tokens(cipher=None)
    async with holder.lock("k"):
        with anyio.move_on_after(0.2) as scope:
            async with waiter.lock("k"):
                pytest.fail("got a held lock")
        assert scope.cancelled_caught
    with anyio.fail_after(5):
        async with waiter.lock("k"):
            pass


async def test_bad_key_or_token_is_refused_before_anything_is_stored(
        backend: Backend, emulator: Emulator) -> None:
    store = backend.tokens(cipher=None)
    for key in ("", "k" * 201, None):
        with pytest.raises(InvalidArgumentError, match="key"):
            await store.save(key, near_expiry(emulator))
    with pytest.raises(InvalidArgumentError, match="token"):
        await store.save("seller", {"access_token": "a"})
    assert await store.keys() == []


@pytest.mark.parametrize("backend", ["postgres", "sqlite"], indirect=True)  # SQL only
async def test_a_failed_sql_statement_does_not_quote_the_pair(backend: Backend,
                                                              emulator: Emulator) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from allegro_async.stores._sql import make_engine

    engine = make_engine(backend.url)[0]
    async with engine.begin() as connection:  # a table whose check refuses every pair
        await connection.execute(text(
            f"CREATE TABLE {backend.prefix}_tokens (key VARCHAR(200) PRIMARY KEY, "
            "value TEXT NOT NULL CHECK (length(value) < 10))"))
    await engine.dispose()
    token = near_expiry(emulator)
    with pytest.raises(DBAPIError) as caught:
        await backend.tokens(cipher=None).save("seller", token)
    assert token.refresh_token
    for secret in (token.access_token, token.refresh_token):  # SQLAlchemy shortens long values
        assert secret[:16] not in str(caught.value) and secret[-16:] not in str(caught.value)
