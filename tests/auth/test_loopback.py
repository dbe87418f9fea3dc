"""The loopback catcher and the browser login against the emulator (S4)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

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
