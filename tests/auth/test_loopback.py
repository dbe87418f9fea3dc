"""The loopback catcher and the browser login against the emulator (S4)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import anyio
import httpx

from allegro_async.auth.loopback import LoopbackCatcher, browser_login
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows


async def test_browser_login_exchanges_code_from_loopback(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)

    async def browser(url: str) -> None:
        # The "browser": the emulator's page approves and redirects to 127.0.0.1:<port>.
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        emulator.config.redirect_uris = (redirect,)
        async with httpx.AsyncClient(transport=emulator.transport()) as http:
            page = await http.get(url)
        assert page.status_code == 302
        async with httpx.AsyncClient() as real:
            answer = await real.get(page.headers["location"])
        assert "close this window" in answer.text

    token = await browser_login(flows, browser)
    assert token.user_name == emulator.sellers[0].id


async def test_catcher_ignores_other_paths() -> None:
    async with LoopbackCatcher() as catcher:
        base = catcher.redirect_uri.rsplit("/", 1)[0]
        async with httpx.AsyncClient() as real:
            assert (await real.get(base + "/favicon.ico")).status_code == 404
            assert (await real.get(catcher.redirect_uri + "?code=abcdefg&state=s")).status_code \
                == 200
        assert (await catcher.wait(5)).endswith("?code=abcdefg&state=s")


async def test_login_device_flow_saves_to_0600_file(emulator: Emulator, tmp_path: object) -> None:
    import stat
    from pathlib import Path

    from allegro_async.auth.cli import login
    from allegro_async.auth.tokens import FileTokenStore

    emulator.config.oauth.device_auto_approve_after = 0
    emulator.config.oauth.device_interval = 0  # the CLI waits for real: keep the test instant
    said: list[str] = []
    path = Path(str(tmp_path)) / "tokens.json"
    key = await login(emulator.client_id, emulator.client_secret,
                      environment=emulator.environment(), store_path=path,
                      transport=emulator.transport(), say=said.append)
    assert key == emulator.sellers[0].id
    assert any("code=" in line for line in said)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (await FileTokenStore(path).load(key)) is not None


async def test_catcher_survives_a_preconnect_that_sends_nothing() -> None:
    # Chrome opens speculative sockets and closes them without a byte; before the fix the
    # EndOfStream ended the listener's task group and the real redirect was never caught.
    async with LoopbackCatcher() as catcher:
        port = int(catcher.redirect_uri.split(":")[2].split("/")[0])
        for _ in range(3):
            bare = await anyio.connect_tcp("127.0.0.1", port)
            await bare.aclose()
        reset = await anyio.connect_tcp("127.0.0.1", port)
        await reset.send(b"GET /callb")  # a partial request line, then gone
        await reset.aclose()
        async with httpx.AsyncClient() as real:
            answer = await real.get(catcher.redirect_uri + "?code=abcdefg&state=s")
        assert answer.status_code == 200
        assert (await catcher.wait(5)).endswith("?code=abcdefg&state=s")


async def test_login_code_flow_saves_the_token(emulator: Emulator, tmp_path: object) -> None:
    from pathlib import Path

    from allegro_async.auth.cli import login
    from allegro_async.auth.tokens import FileTokenStore

    said: list[str] = []

    async def browser(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        emulator.config.redirect_uris = (redirect,)
        async with httpx.AsyncClient(transport=emulator.transport()) as http:
            page = await http.get(url)
        async with httpx.AsyncClient() as real:
            await real.get(page.headers["location"])

    path = Path(str(tmp_path)) / "tokens.json"
    key = await login(emulator.client_id, emulator.client_secret,
                      environment=emulator.environment(), store_path=path, use_code=True,
                      port=0, transport=emulator.transport(), say=said.append,
                      open_browser=browser)
    assert key == emulator.sellers[0].id
    assert any("authorization page" in line for line in said)
    assert emulator.oauth.counters.token_requests["authorization_code"] == 1
    saved = await FileTokenStore(path).load(key)
    assert saved is not None and saved.user_name == key
    assert not any(saved.access_token in line for line in said)
