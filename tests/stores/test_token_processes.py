"""Separate processes sharing a Redis or SQL token store, over real HTTP: one refresh per
seller (A5), and a holder killed mid-refresh hands over once its lock expires."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import Token
from allegro_async.testing import Emulator
from allegro_async.testing.server import serve
from tests.auth.conftest import emulated_flows
from tests.stores.conftest import Backend
from tests.stores.test_token_stores import near_expiry

pytestmark = pytest.mark.stores

ROOT = str(Path(__file__).resolve().parents[2])

WORKER = """
import json, sys, anyio
from allegro_async.auth.app import AllegroApp
from allegro_async.config import Environment
from tests.stores.conftest import open_store

async def main(url, secret, key, kind, store_url, prefix):
    store = open_store(kind, store_url, prefix, cipher=None)
    async with AllegroApp("emulator-client-id", secret, store=store,
                          environment=Environment.custom(url)) as app:
        ids = [(await app.seller(key).request("GET", "/me"))["id"] for _ in range(3)]
        print(json.dumps({"ids": ids, "refreshes": app.auth(key).refreshes}))
    await store.aclose()

anyio.run(main, *sys.argv[1:])
"""

HOLDER = """
import sys, anyio
from allegro_async.auth.flows import OAuthFlows
from allegro_async.config import Environment
from tests.stores.conftest import open_store

async def main(url, secret, key, kind, store_url, prefix):
    store = open_store(kind, store_url, prefix, cipher=None, lock_ttl=1.0)
    async with store.lock(key):
        stale = await store.load(key)
        async with OAuthFlows("emulator-client-id", secret,
                              environment=Environment.custom(url)) as flows:
            await flows.refresh(stale.refresh_token)  # Allegro rotates the pair now (A5)
        print("refreshed", flush=True)
        await anyio.sleep_forever()  # killed here, before saving: the new pair is lost

anyio.run(main, *sys.argv[1:])
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": ROOT}


async def test_processes_refresh_one_seller_once(backend: Backend, emulator: Emulator) -> None:
    key = emulator.sellers[0].id
    await backend.tokens(cipher=None).save(key, near_expiry(emulator))
    outputs: list[dict[str, object]] = []
    async with serve(emulator) as url:

        async def worker() -> None:
            done = await anyio.run_process(
                [sys.executable, "-c", WORKER, url, emulator.client_secret, key,
                 *backend.store_args()], check=False, env=_env(), cwd=ROOT,
            )
            assert done.returncode == 0, done.stderr.decode()[-2000:]
            outputs.append(json.loads(done.stdout))

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(worker)
    assert [o["ids"] for o in outputs] == [[key] * 3] * 3
    assert sorted(o["refreshes"] for o in outputs) == [0, 0, 1]  # type: ignore[type-var]
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert not emulator.oauth.counters.token_errors


async def test_holder_killed_mid_refresh_hands_over_after_its_ttl(backend: Backend,
                                                                 emulator: Emulator) -> None:
    key = emulator.sellers[0].id
    stale = near_expiry(emulator)
    await backend.tokens(cipher=None).save(key, stale)
    async with serve(emulator) as url:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, url, emulator.client_secret, key,
             *backend.store_args()],
            stdout=subprocess.PIPE, env=_env(), cwd=ROOT, text=True,
        )
        try:
            assert holder.stdout is not None
            line = await anyio.to_thread.run_sync(holder.stdout.readline)
            assert line.strip() == "refreshed"
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            if holder.stdout is not None:
                holder.stdout.close()
        assert emulator.oauth.counters.token_requests["refresh_token"] == 1

        def clock() -> float:
            return emulator.clock.now().timestamp()

        async with emulated_flows(emulator) as flows:
            auth = RefreshingAuth(backend.tokens(cipher=None), key, flows, clock=clock)
            with anyio.fail_after(20):  # the dead holder's lease lasts 1 s
                fresh = await auth.refresh(stale=stale)
    # the old refresh token still worked (inside A5's grace): no invalid_grant, no new login
    assert emulator.oauth.counters.token_requests["refresh_token"] == 2
    assert not emulator.oauth.counters.token_errors
    assert auth.refreshes == 1
    assert await backend.tokens(cipher=None).load(key) == fresh != stale


DYING = """
import sys, anyio
from allegro_async.auth.flows import OAuthFlows
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import Token
from allegro_async.config import Environment
from tests.stores.conftest import open_store

class NeverSaves:
    def __init__(self, inner):
        self._inner = inner
    def __getattr__(self, name):
        return getattr(self._inner, name)
    async def save(self, key, token):
        print("refreshed", flush=True)
        await anyio.sleep_forever()  # killed here, before saving: the new pair is lost

async def main(url, secret, key, kind, store_url, prefix):
    store = NeverSaves(open_store(kind, store_url, prefix, cipher=None, lock_ttl=1.0))
    async with OAuthFlows("emulator-client-id", secret,
                          environment=Environment.custom(url)) as flows:
        await RefreshingAuth(store, key, flows).refresh()

anyio.run(main, *sys.argv[1:])
"""


async def test_refresh_killed_before_its_save_is_taken_over_at_load(
    backend: Backend, emulator: Emulator
) -> None:
    key = emulator.sellers[0].id
    now = emulator.clock.now().timestamp()
    valid = Token.from_response(emulator.oauth.issue_pair(key), now=now, environment="custom")
    await backend.tokens(cipher=None).save(key, valid)  # valid for hours
    async with serve(emulator) as url:
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

        async with emulated_flows(emulator) as flows:
            auth = RefreshingAuth(backend.tokens(cipher=None), key, flows,
                                  clock=lambda: emulator.clock.now().timestamp())
            with anyio.fail_after(20):  # the dead holder's lease lasts 1 s
                got = await auth.token()
    # taken over with the stored, rotated refresh token inside A5's grace: one extra refresh
    assert emulator.oauth.counters.token_requests["refresh_token"] == 2
    assert not emulator.oauth.counters.token_errors
    assert auth.refreshes == 1 and got.access_token != valid.access_token
    saved = await backend.tokens(cipher=None).load(key)
    assert saved is not None and saved.refresh_token == got.refresh_token != valid.refresh_token
