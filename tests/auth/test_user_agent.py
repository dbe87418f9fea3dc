"""Every OAuth request (token for each grant, device, authorize) identifies itself with the
library's User-Agent, as API requests do, whatever HTTP client carries it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.cli import login
from allegro_async.auth.flows import DEVICE_GRANT, OAuthFlows
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.client import USER_AGENT
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows


class Spy(httpx.AsyncBaseTransport):
    """The emulator's transport, noting each request's path and User-Agent."""

    def __init__(self, emulator: Emulator) -> None:
        self.inner = emulator.transport()
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, request.headers.get("user-agent", "")))
        return await self.inner.handle_async_request(request)


async def _every_flow(emulator: Emulator, flows: OAuthFlows) -> None:
    request = flows.authorization_url()
    token = await flows.finish_authorization(await flows.follow_authorization(request), request)
    await flows.refresh(str(token.refresh_token))
    await flows.client_credentials()
    device = await flows.start_device()
    emulator.oauth.approve_device(device.user_code)
    await flows.poll_device(device)
    grants = emulator.oauth.counters.token_requests
    assert all(grants[g] == 1 for g in
               ("authorization_code", "refresh_token", "client_credentials", DEVICE_GRANT))


@pytest.mark.parametrize("client", ["own", "caller's"])
async def test_oauth_requests_carry_the_library_user_agent(
    emulator: Emulator, client: str
) -> None:
    spy = Spy(emulator)
    if client == "own":
        flows = emulated_flows(emulator, transport=spy)
    else:  # a caller's client has httpx's default User-Agent: ours is set per request
        flows = emulated_flows(emulator, http_client=httpx.AsyncClient(transport=spy))
    async with flows:
        await _every_flow(emulator, flows)
    paths = {path for path, _ in spy.seen}
    assert paths == {"/auth/oauth/authorize", "/auth/oauth/token", "/auth/oauth/device"}
    assert {agent for _, agent in spy.seen} == {USER_AGENT}
    assert USER_AGENT.startswith("allegro-async/")


async def test_login_and_app_refresh_carry_the_library_user_agent(
    emulator: Emulator, tmp_path: Path
) -> None:
    spy = Spy(emulator)
    emulator.config.oauth.device_auto_approve_after = 0
    emulator.config.oauth.device_interval = 0
    key = await login(emulator.client_id, emulator.client_secret,
                      environment=emulator.environment(), store_path=tmp_path / "t.json",
                      transport=spy, say=lambda _: None)
    pair = emulator.oauth.issue_pair(key)
    pair["expires_in"] = 10  # a 12-hour token with 10 s left: the first request refreshes
    token = Token.from_response(pair)
    token = replace(token, issued_at=(token.expires_at or 0) - 12 * 3600)
    async with AllegroApp(emulator.client_id, emulator.client_secret,
                          store=MemoryTokenStore(), environment=emulator.environment(),
                          transport=spy, throttle=False, retry=False) as app:
        await app.add_seller(token, key)
        await app.seller(key).request("GET", "/me")
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert [p for p, _ in spy.seen].count("/auth/oauth/token") == 2  # device poll, refresh
    assert "/me" in [p for p, _ in spy.seen]
    assert {agent for _, agent in spy.seen} == {USER_AGENT}
