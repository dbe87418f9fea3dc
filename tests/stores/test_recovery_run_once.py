"""``app.recovery.run_once()``: one pass now over the sellers the app holds, returning how many
abandoned refreshes it took over, while the background sweep waits (Redis, PostgreSQL,
SQLite)."""

from __future__ import annotations

import anyio
import pytest

from allegro_async.testing import Emulator
from tests.auth.conftest import Ticker, emulated_flows
from tests.stores.conftest import Backend
from tests.stores.test_recovery_sweep import GUARD, _app, _valid_pair

pytestmark = pytest.mark.stores


async def test_run_once_takes_over_an_abandoned_refresh_without_waiting_for_the_sweep(
        backend: Backend, emulator: Emulator) -> None:
    store, ticker = backend.tokens(lock_ttl=1.0), Ticker()
    key = emulator.sellers[0].id
    old = _valid_pair(emulator)
    app = _app(emulator, store, ticker)
    await app.add_seller(old)
    await app.seller(key).request("GET", "/me")  # held in memory
    async with app, emulated_flows(emulator) as dead_flows:
        assert app.recovery is not None
        with anyio.fail_after(GUARD):
            await ticker.waiting()  # the background sweep waits for its next read
            assert await app.recovery.run_once() == 0  # a healthy store
            dead_store = backend.tokens(lock_ttl=1.0)
            async with dead_store.lock(key):  # a holder refreshes and dies before its save
                await dead_store.begin_refresh(key)
                await dead_flows.refresh(str(old.refresh_token))
            assert await app.recovery.run_once() == 1
            assert await app.recovery.run_once() == 0  # the intent is gone
        assert app.recovery.taken_over == 1 and app.recovery.passes == 0
        assert emulator.oauth.counters.token_requests["refresh_token"] == 2
        saved = await store.load(key)
        assert saved is not None and saved.refresh_token != old.refresh_token
