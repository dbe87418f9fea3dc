"""A holder that got a refreshed pair from Allegro and died before saving it leaves its intent in
the store: the next process to load the pair refreshes at once with the stored (rotated) refresh
token, inside A5's grace, even though the stored access token is still valid."""

from __future__ import annotations

import anyio
import pytest

from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import Token
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows
from tests.stores.conftest import Backend

pytestmark = pytest.mark.stores

GUARD = 20.0  # seconds: only bounds a test that would otherwise hang


async def test_next_process_takes_over_an_abandoned_refresh(
    backend: Backend, emulator: Emulator
) -> None:
    dead_store, other_store = backend.tokens(lock_ttl=1.0), backend.tokens(lock_ttl=1.0)
    key = emulator.sellers[0].id
    now = emulator.clock.now().timestamp()
    old = Token.from_response(emulator.oauth.issue_pair(key), now=now, environment="custom")
    await other_store.save(key, old)  # valid for hours: nothing would refresh it on its own
    async with emulated_flows(emulator) as flows_dead, emulated_flows(emulator) as flows_b:
        with anyio.fail_after(GUARD):
            # the dying holder: lock, intent, refresh answered by Allegro, killed before saving
            async with dead_store.lock(key):
                await dead_store.begin_refresh(key)
                lost = await flows_dead.refresh(str(old.refresh_token))
            assert await other_store.abandoned_refresh(key)
            host_b = RefreshingAuth(other_store, key, flows_b,
                                    clock=emulator.clock.now().timestamp)
            got = await host_b.token()
            again = await RefreshingAuth(other_store, key, flows_b,
                                         clock=emulator.clock.now().timestamp).token()
    assert emulator.oauth.counters.token_requests["refresh_token"] == 2  # one extra, no more
    assert host_b.refreshes == 1
    assert got.access_token not in (old.access_token, lost.access_token)
    assert again.access_token == got.access_token
    assert not await other_store.abandoned_refresh(key)
    saved = await other_store.load(key)
    assert saved is not None and saved.refresh_token == got.refresh_token != old.refresh_token
    # the stored pair is live: it refreshes after the old refresh token's grace is over
    emulator.clock.advance(120)
    async with emulated_flows(emulator) as flows_c:
        assert (await flows_c.refresh(str(saved.refresh_token))).access_token


async def test_a_saved_refresh_leaves_no_intent(backend: Backend, emulator: Emulator) -> None:
    store = backend.tokens(lock_ttl=1.0)
    key = emulator.sellers[0].id
    now = emulator.clock.now().timestamp()
    old = Token.from_response(emulator.oauth.issue_pair(key), now=now, environment="custom")
    await store.save(key, old)
    async with store.lock(key):
        await store.begin_refresh(key)
        assert not await store.abandoned_refresh(key)  # its own holder is not abandoned
        await store.save(key, old)
    assert not await store.abandoned_refresh(key)


async def test_recover_renews_a_pair_held_in_memory(backend: Backend, emulator: Emulator) -> None:
    dead_store, other_store = backend.tokens(lock_ttl=1.0), backend.tokens(lock_ttl=1.0)
    key = emulator.sellers[0].id
    now = emulator.clock.now().timestamp()
    old = Token.from_response(emulator.oauth.issue_pair(key), now=now, environment="custom")
    await other_store.save(key, old)
    async with emulated_flows(emulator) as flows_dead, emulated_flows(emulator) as flows_b:
        host_b = RefreshingAuth(other_store, key, flows_b, clock=emulator.clock.now().timestamp)
        with anyio.fail_after(GUARD):
            assert (await host_b.token()).access_token == old.access_token  # held in memory
            assert not await host_b.recover()
            async with dead_store.lock(key):
                await dead_store.begin_refresh(key)
                await flows_dead.refresh(str(old.refresh_token))
            assert await host_b.recover()
            assert not await host_b.recover()
            got = await host_b.token()
    assert emulator.oauth.counters.token_requests["refresh_token"] == 2
    assert host_b.refreshes == 1 and got.access_token != old.access_token
    saved = await other_store.load(key)
    assert saved is not None and saved.refresh_token == got.refresh_token
