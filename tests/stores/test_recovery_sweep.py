"""An open AllegroApp holding a seller's pair in memory takes over, by its recovery sweep, a refresh
that another holder began and never saved (A5's grace), on Redis, PostgreSQL and SQLite; and a
sweep of a healthy store sends no token request."""

from __future__ import annotations

import signal
import subprocess
import sys

import anyio
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.tokens import Token
from allegro_async.errors import APIError
from allegro_async.testing import Emulator
from allegro_async.testing.server import serve
from tests.auth.conftest import Ticker, emulated_flows
from tests.stores.conftest import Backend
from tests.stores.test_token_processes import DYING, ROOT, _env

pytestmark = pytest.mark.stores

GUARD = 20.0  # seconds: only bounds a test that would otherwise hang (a dead lease lasts 1 s)


def _now(emulator: Emulator) -> float:
    return emulator.clock.now().timestamp()


def _app(emulator: Emulator, store: object, ticker: Ticker) -> AllegroApp:
    return AllegroApp(emulator.client_id, emulator.client_secret, store=store,  # type: ignore[arg-type]
                      environment=emulator.environment(), transport=emulator.transport(),
                      clock=lambda: _now(emulator), recover_sleep=ticker.sleep)


def _valid_pair(emulator: Emulator, seller: int = 0) -> Token:
    """A pair valid for hours: nothing would refresh it on its own."""
    return Token.from_response(emulator.oauth.issue_pair(emulator.sellers[seller].id),
                               now=_now(emulator), environment="custom")


async def _still_connected(app: AllegroApp, emulator: Emulator, old: Token) -> None:
    """Past the grace the old refresh token is refused, and the app's calls still work (after
    the access token's life, so they refresh with the pair the app holds)."""
    emulator.clock.advance(13 * 3600)
    async with emulated_flows(emulator) as flows:
        with pytest.raises(APIError) as refused:
            await flows.refresh(str(old.refresh_token))
    assert refused.value.oauth_error == "invalid_grant"
    key = emulator.sellers[0].id
    assert (await app.seller(key).request("GET", "/me"))["id"] == key


async def test_open_app_takes_over_a_refresh_whose_holder_died_holding_the_lock(
    backend: Backend, emulator: Emulator
) -> None:
    store, ticker = backend.tokens(lock_ttl=1.0), Ticker()
    key = emulator.sellers[0].id
    old = _valid_pair(emulator)
    app = _app(emulator, store, ticker)
    await app.add_seller(old)
    assert (await app.seller(key).request("GET", "/me"))["id"] == key  # held in memory
    async with app, emulated_flows(emulator) as dead_flows:
        assert app.recovery is not None
        with anyio.fail_after(GUARD):
            await ticker.tick()  # a healthy store: nothing to take over
            assert app.recovery.checked == 1 and app.recovery.taken_over == 0
            answered = anyio.Event()
            async with anyio.create_task_group() as holder:

                async def die_before_saving() -> None:
                    dead_store = backend.tokens(lock_ttl=1.0)
                    async with dead_store.lock(key):
                        await dead_store.begin_refresh(key)
                        await dead_flows.refresh(str(old.refresh_token))  # Allegro rotates
                        answered.set()
                        await anyio.sleep_forever()  # the process dies here, unsaved

                holder.start_soon(die_before_saving)
                await answered.wait()
                holder.cancel_scope.cancel()  # its lease ends (as its TTL would end it)
            assert emulator.oauth.counters.token_requests["refresh_token"] == 1
            await ticker.tick()
            await app.recovery.wait_idle()
        assert app.recovery.taken_over == 1 and app.auth(key).refreshes == 1
        assert emulator.oauth.counters.token_requests["refresh_token"] == 2  # one extra
        assert not emulator.oauth.counters.token_errors
        saved = await store.load(key)
        assert saved is not None and saved.refresh_token != old.refresh_token
        assert saved.access_token == (await app.auth(key).token()).access_token
        with anyio.fail_after(GUARD):
            await ticker.tick()  # the intent is gone: no second takeover
        assert app.recovery.taken_over == 1
        assert emulator.oauth.counters.token_requests["refresh_token"] == 2
        await _still_connected(app, emulator, old)


async def test_open_app_takes_over_a_refresh_whose_process_was_killed_before_its_save(
    backend: Backend, emulator: Emulator
) -> None:
    store, ticker = backend.tokens(cipher=None, lock_ttl=1.0), Ticker()
    key = emulator.sellers[0].id
    old = _valid_pair(emulator)
    app = _app(emulator, store, ticker)
    await app.add_seller(old)
    await app.seller(key).request("GET", "/me")  # held in memory
    async with app, serve(emulator) as url:
        assert app.recovery is not None
        dying = subprocess.Popen(
            [sys.executable, "-c", DYING, url, emulator.client_secret, key,
             *backend.store_args()],
            stdout=subprocess.PIPE, env=_env(), cwd=ROOT, text=True,
        )
        try:
            assert dying.stdout is not None
            line = await anyio.to_thread.run_sync(dying.stdout.readline)
            assert line.strip() == "refreshed"
        finally:
            dying.send_signal(signal.SIGKILL)
            dying.wait()
            if dying.stdout is not None:
                dying.stdout.close()
        assert emulator.oauth.counters.token_requests["refresh_token"] == 1
        with anyio.fail_after(GUARD):  # the takeover waits out the dead lease (1 s)
            await ticker.tick()
            await app.recovery.wait_idle()
        assert app.recovery.taken_over == 1
        assert emulator.oauth.counters.token_requests["refresh_token"] == 2
        assert not emulator.oauth.counters.token_errors
        await _still_connected(app, emulator, old)


async def test_sweeps_of_a_healthy_store_send_no_token_request(
    backend: Backend, emulator: Emulator
) -> None:
    store, ticker = backend.tokens(lock_ttl=1.0), Ticker()
    app = _app(emulator, store, ticker)
    for seller in range(3):
        key = await app.add_seller(_valid_pair(emulator, seller))
        await app.seller(key).request("GET", "/me")
    async with app:
        assert app.recovery is not None
        with anyio.fail_after(GUARD):
            for _ in range(3):
                await ticker.tick()
            await app.recovery.wait_idle()
        assert app.recovery.checked == 9 and app.recovery.failures == 0
        assert app.recovery.taken_over == 0
    assert emulator.oauth.counters.token_requests["refresh_token"] == 0


async def test_abandoned_refreshes_reads_many_sellers_intents_at_once(
    backend: Backend, emulator: Emulator
) -> None:
    writer, reader = backend.tokens(lock_ttl=1.0), backend.tokens(lock_ttl=1.0)
    keys = [emulator.sellers[i].id for i in range(3)]
    for i, key in enumerate(keys):
        await writer.save(key, _valid_pair(emulator, i))
    async with writer.lock(keys[1]):
        await writer.begin_refresh(keys[1])
        assert await writer.abandoned_refreshes(keys) == set()  # its own holder's intent
        assert await reader.abandoned_refreshes(keys) == {keys[1]}
    assert await reader.abandoned_refreshes([*keys, "never-saved"]) == {keys[1]}
    assert await reader.abandoned_refreshes([]) == set()
    await writer.save(keys[1], _valid_pair(emulator, 1))
    assert await reader.abandoned_refreshes(keys) == set()
    assert reader.lock_ttl == 1.0
