"""A host whose save of a refreshed pair fails keeps the shared lock (extending it past its TTL)
and saves again; the other host waits and reads that pair: one refresh in all (A5)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import Token
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows
from tests.stores.conftest import Backend
from tests.stores.test_token_stores import near_expiry

pytestmark = pytest.mark.stores

GUARD = 20.0  # seconds: only bounds a test that would otherwise hang


class FailingSaves:
    """A shared store whose first ``failures`` saves fail as if its server were restarting."""

    def __init__(self, inner: Any, failures: int) -> None:
        self._inner = inner
        self.failures = failures
        self.failed = anyio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)  # load, lock, extend_lock: the real store's

    async def save(self, key: str, token: Token) -> None:
        if self.failures > 0:
            self.failures -= 1
            self.failed.set()
            raise ConnectionError("the store's server is restarting")
        await self._inner.save(key, token)


async def test_other_host_reads_the_pair_saved_after_an_outage(
    backend: Backend, emulator: Emulator
) -> None:
    # six failed saves back off for about 1.75 s, longer than the 1 s lock: only extending it
    # keeps the other host from taking it and refreshing the old pair again
    flaky = FailingSaves(backend.tokens(lock_ttl=1.0), failures=6)
    other_store = backend.tokens(lock_ttl=1.0)
    key = emulator.sellers[0].id
    old = near_expiry(emulator)
    await other_store.save(key, old)
    got: dict[str, Token] = {}
    async with emulated_flows(emulator) as flows_a, emulated_flows(emulator) as flows_b:
        host_a = RefreshingAuth(flaky, key, flows_a, clock=emulator.clock.now().timestamp)
        host_b = RefreshingAuth(other_store, key, flows_b,
                                clock=emulator.clock.now().timestamp)

        async def on_a() -> None:
            got["a"] = await host_a.token()

        async def on_b() -> None:
            got["b"] = await host_b.token()

        with anyio.fail_after(GUARD):
            async with anyio.create_task_group() as tg:
                tg.start_soon(on_a)
                await flaky.failed.wait()  # refreshed, not saved yet
                tg.start_soon(on_b)
            await host_a.join()
    assert flaky.failures == 0
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert got["b"].access_token == got["a"].access_token != old.access_token
    saved = await other_store.load(key)
    assert saved is not None and saved.access_token == got["a"].access_token


async def test_extend_lock_only_for_its_holder(backend: Backend) -> None:
    store = backend.tokens(lock_ttl=1.0)
    assert await store.extend_lock("seller") is False  # not held
    async with store.lock("seller"):
        assert await store.extend_lock("seller") is True
    assert await store.extend_lock("seller") is False
