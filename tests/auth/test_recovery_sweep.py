"""The recovery sweep of an open AllegroApp, on a store in memory that records refresh intents
as the shared stores do: its option, its pace over many sellers, its errors, its end. The same
sweep on Redis, PostgreSQL and SQLite: tests/stores/test_recovery_sweep.py."""

from __future__ import annotations

import asyncio
import logging
import math

import anyio
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.errors import APIError, InvalidArgumentError
from allegro_async.testing import Emulator
from tests.auth.conftest import Ticker, emulated_flows

GUARD = 10.0  # seconds: only bounds a test that would otherwise hang


class IntentStore(MemoryTokenStore):
    """A one-process store with refresh intents: ``intents`` holds the keys whose refresh
    another holder began and never saved; a save ends it. ``reads`` records every batch read."""

    def __init__(self, *, lock_ttl: float = 30.0) -> None:
        super().__init__()
        self.lock_ttl = lock_ttl
        self.intents: set[str] = set()
        self.reads: list[list[str]] = []
        self.fail_next: Exception | None = None

    async def save(self, key: str, token: Token) -> None:
        await super().save(key, token)
        self.intents.discard(key)

    async def abandoned_refresh(self, key: str) -> bool:
        return key in self.intents

    async def abandoned_refreshes(self, keys: list[str]) -> set[str]:
        self.reads.append(list(keys))
        failure, self.fail_next = self.fail_next, None
        if failure is not None:
            raise failure
        return {key for key in keys if key in self.intents}


def _now(emulator: Emulator) -> float:
    return emulator.clock.now().timestamp()


def _app(emulator: Emulator, store: object, ticker: Ticker | None = None,
         **options: object) -> AllegroApp:
    if ticker is not None:
        options["recover_sleep"] = ticker.sleep
    return AllegroApp(emulator.client_id, emulator.client_secret, store=store,  # type: ignore[arg-type]
                      environment=emulator.environment(), transport=emulator.transport(),
                      clock=lambda: _now(emulator), **options)  # type: ignore[arg-type]


def _pair(emulator: Emulator, seller: int = 0) -> Token:
    return Token.from_response(emulator.oauth.issue_pair(emulator.sellers[seller].id),
                               now=_now(emulator), environment="custom")


@pytest.mark.parametrize("value", [0, 0.5, 21, -5, math.nan, math.inf, True, "15", "off"])
def test_recover_every_outside_1_to_20_seconds_is_refused(emulator: Emulator,
                                                          value: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        _app(emulator, IntentStore(), recover_every=value)
    assert info.value.field == "recover_every"
    assert "None to turn the sweep off" in info.value.fix


async def test_the_sweep_waits_half_the_stores_lock_ttl_by_default(emulator: Emulator) -> None:
    store, ticker = IntentStore(lock_ttl=24.0), Ticker()
    async with _app(emulator, store, ticker) as app:
        with anyio.fail_after(GUARD):
            await ticker.waiting()
        assert app.recovery is not None and app.recovery.interval == store.lock_ttl / 2
    assert ticker.asked == [store.lock_ttl / 2]


@pytest.mark.parametrize("case", ["off", "no intents"])
async def test_no_sweep_when_off_or_the_store_records_no_intents(emulator: Emulator,
                                                                 case: str) -> None:
    ticker = Ticker()
    store = IntentStore() if case == "off" else MemoryTokenStore()
    async with _app(emulator, store, ticker,
                    recover_every=None if case == "off" else 5) as app:
        await app.seller(await app.add_seller(_pair(emulator))).request("GET", "/me")
        assert app.recovery is None
    assert ticker.asked == []


async def test_aclose_stops_the_sweep_and_leaves_no_task(emulator: Emulator) -> None:
    ticker = Ticker()
    before = asyncio.all_tasks()
    app = _app(emulator, IntentStore(), ticker)
    async with app:
        with anyio.fail_after(GUARD):
            await ticker.waiting()
        assert len(asyncio.all_tasks() - before) == 1  # the sweep
    assert ticker.cancelled == 1
    assert asyncio.all_tasks() == before


async def test_10000_held_sellers_are_read_500_at_a_time_spread_over_the_interval(
    emulator: Emulator
) -> None:
    store, ticker = IntentStore(lock_ttl=20.0), Ticker()
    now = _now(emulator)
    keys = [f"seller-{i:05}" for i in range(10_000)]
    app = _app(emulator, store, ticker, max_cached_sellers=len(keys))
    for key in keys:
        await store.save(key, Token(f"access-{key}", f"refresh-{key}", expires_at=now + 40_000))
        await app.auth(key).token()  # held in memory
    async with app:
        assert app.recovery is not None
        with anyio.fail_after(GUARD):
            for _ in range(20):
                await ticker.tick()
        assert app.recovery.passes == 1 and app.recovery.checked == len(keys)
    assert [len(read) for read in store.reads] == [500] * 20
    assert sorted(key for read in store.reads for key in read) == keys  # each once
    one_pass = ticker.asked[:20]
    assert sum(one_pass) == pytest.approx(store.lock_ttl / 2)
    assert len(set(one_pass)) == 1  # evenly spread
    assert emulator.oauth.counters.token_requests["refresh_token"] == 0


async def test_a_failed_read_is_logged_without_secrets_and_the_sweep_goes_on(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    store, ticker = IntentStore(), Ticker()
    pair = _pair(emulator)
    app = _app(emulator, store, ticker)
    key = await app.add_seller(pair)
    await app.seller(key).request("GET", "/me")  # held before the sweep's first pass
    async with app:
        assert app.recovery is not None
        store.fail_next = ConnectionError(f"store down while reading {pair.refresh_token}")
        with caplog.at_level(logging.WARNING, "allegro_async"), anyio.fail_after(GUARD):
            await ticker.tick()
            await ticker.tick()
        assert app.recovery.failures == 1 and app.recovery.checked == 1
    assert store.reads == [[key], [key]]
    assert "could not read 1 sellers' refresh intents (ConnectionError" in caplog.text
    assert str(pair.refresh_token) not in caplog.text


async def test_an_evicted_auth_still_in_use_is_swept(emulator: Emulator) -> None:
    """A consumer's stream keeps the seller's client after the app's cache dropped its auth."""
    store, ticker = IntentStore(), Ticker()
    old = _pair(emulator, 0)
    app = _app(emulator, store, ticker, max_cached_sellers=1)
    kept = app.seller(await app.add_seller(old))
    await kept.request("GET", "/me")
    other = app.seller(await app.add_seller(_pair(emulator, 1)))
    await other.request("GET", "/me")  # evicts the first seller's auth from the cache
    async with app, emulated_flows(emulator) as dead_holder:
        # another process: intent recorded, refresh answered by Allegro, dead before its save
        store.intents.add(emulator.sellers[0].id)
        await dead_holder.refresh(str(old.refresh_token))
        assert app.recovery is not None
        with anyio.fail_after(GUARD):
            await ticker.tick()
            await app.recovery.wait_idle()
        assert app.recovery.taken_over == 1
        emulator.clock.advance(13 * 3600)  # past the grace and the access token's life
        with pytest.raises(APIError) as refused:
            await dead_holder.refresh(str(old.refresh_token))
        assert refused.value.oauth_error == "invalid_grant"
        assert (await kept.request("GET", "/me"))["id"] == emulator.sellers[0].id
    # the dead holder's, the takeover, the refused one, the refresh after 13 h
    assert emulator.oauth.counters.token_requests["refresh_token"] == 4
