"""Two processes sharing one file store and one seller refresh once (A5), over real HTTP."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import anyio

from allegro_async.auth.tokens import FileTokenStore, Token
from allegro_async.testing import Emulator
from allegro_async.testing.server import serve

WORKER = """
import json, sys, anyio
from allegro_async.auth.app import AllegroApp
from allegro_async.auth.tokens import FileTokenStore
from allegro_async.config import Environment

async def main(url, secret, path, key):
    async with AllegroApp("emulator-client-id", secret, store=FileTokenStore(path),
                          environment=Environment.custom(url)) as app:
        ids = [(await app.seller(key).request("GET", "/me"))["id"] for _ in range(5)]
        print(json.dumps({"ids": ids, "refreshes": app.auth(key).refreshes}))

anyio.run(main, *sys.argv[1:])
"""


async def test_two_processes_share_a_file_store_without_invalid_grant(tmp_path: Path) -> None:
    emulator = Emulator()
    path = tmp_path / "tokens.json"
    pair = emulator.oauth.issue_pair(emulator.sellers[0].id)
    pair["expires_in"] = 10  # inside the default 300 s margin: both processes want to refresh
    key = emulator.sellers[0].id
    token = Token.from_response(pair, environment="custom")
    assert token.expires_at is not None  # a 12-hour token (A5) with 10 s left
    token = replace(token, issued_at=token.expires_at - 12 * 3600)
    await FileTokenStore(path).save(key, token)
    outputs: list[dict[str, object]] = []
    async with serve(emulator) as url:

        async def worker() -> None:
            done = await anyio.run_process(
                [sys.executable, "-c", WORKER, url, emulator.client_secret, str(path), key],
                check=False,
            )
            assert done.returncode == 0, done.stderr.decode()[-2000:]
            outputs.append(json.loads(done.stdout))

        async with anyio.create_task_group() as tg:
            tg.start_soon(worker)
            tg.start_soon(worker)
    assert [o["ids"] for o in outputs] == [[key] * 5, [key] * 5]
    assert sorted(o["refreshes"] for o in outputs) == [0, 1]  # type: ignore[type-var]
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert not emulator.oauth.counters.token_errors
