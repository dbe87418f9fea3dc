"""A client, or a seller's view of an app, used after it was closed raises the library's
typed error saying so and what to do, and sends nothing."""

from __future__ import annotations

import pytest

from allegro_async import AllegroApp, AllegroClient, ClientClosedError
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.fastapi import error_body
from allegro_async.testing import Emulator


async def test_a_closed_client_raises_client_closed_and_sends_nothing() -> None:
    emulator = Emulator()
    client: AllegroClient = emulator.client(0)
    async with client:
        await client.request("GET", "/me")
    sent = emulator.stats.requests
    with pytest.raises(ClientClosedError) as info:
        await client.request("GET", "/me")
    assert isinstance(info.value, RuntimeError)  # what code catching httpx's error expects
    assert info.value.sent is False and info.value.path == "/me"
    assert "the client is closed" in str(info.value) and "nothing was sent" in str(info.value)
    assert "async with" in info.value.hint
    assert emulator.stats.requests == sent


async def test_a_seller_view_kept_past_the_apps_close_raises_client_closed() -> None:
    emulator = Emulator()
    store = MemoryTokenStore()
    pair = emulator.oauth.issue_pair(emulator.sellers[0].id)
    token = Token.from_response(pair, now=emulator.clock.now().timestamp(),
                                environment="custom")
    async with AllegroApp(emulator.client_id, emulator.client_secret, store=store,
                          environment=emulator.environment(), transport=emulator.transport(),
                          clock=lambda: emulator.clock.now().timestamp()) as app:
        seller = await app.add_seller(token)
        view = app.seller(seller)
        await view.request("GET", "/me")
    with pytest.raises(ClientClosedError, match="the client is closed"):
        await view.request("GET", "/me")


def test_the_web_answer_for_a_closed_client_is_503() -> None:
    status, body, _ = error_body(ClientClosedError(method="GET", path="/me"))
    assert status == 503
    assert body["error"] == "client_closed"
    assert body["allegro_status"] is None
    assert body["hint"] and "async with" in body["hint"]
