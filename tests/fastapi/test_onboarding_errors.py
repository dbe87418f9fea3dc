"""Onboarding errors a user can act on: a refused authorization code is the seller's failed
authorization (400, start again), and the redirect URI sent to Allegro never comes from the
request's ``Host`` header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from allegro_async import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.fastapi import allegro_lifespan, install_error_handlers, onboarding_router
from allegro_async.testing import Emulator


def _web(emulator: Emulator, *, redirect: bool = True, **router: Any) -> FastAPI:
    def allegro() -> AllegroApp:
        return AllegroApp(
            emulator.client_id, emulator.client_secret, store=MemoryTokenStore(),
            environment=emulator.environment(), transport=emulator.transport(),
            clock=lambda: emulator.clock.now().timestamp(),
            redirect_uri=emulator.config.redirect_uris[0] if redirect else None)

    app = FastAPI(lifespan=allegro_lifespan(allegro))
    install_error_handlers(app)
    app.include_router(onboarding_router(start_consumer=False, **router))
    return app


@pytest.fixture
async def backend(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    app = _web(emulator)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        yield http


async def _approved_callback(emulator: Emulator, http: httpx.AsyncClient) -> str:
    connect = await http.get("/allegro/connect")
    assert connect.status_code == 302, connect.text
    async with httpx.AsyncClient(transport=emulator.transport()) as page:
        answer = await page.get(connect.headers["location"])
    return "/allegro/callback?" + urlsplit(answer.headers["location"]).query


async def test_an_expired_code_is_a_400_saying_start_again(
        emulator: Emulator, backend: httpx.AsyncClient) -> None:
    callback = await _approved_callback(emulator, backend)
    emulator.clock.advance(11)  # the code lives about 10 seconds
    response = await backend.get(callback)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "authorization_failed"
    assert body["message"].startswith("authorization failed")
    assert "expired or was used" in body["hint"] and "/allegro/connect" in body["hint"]
    assert "refresh" not in body["hint"] and "rotate" not in body["hint"]
    assert body["allegro_status"] == 400  # Allegro's token endpoint did answer
    assert emulator.oauth.counters.token_errors["authorization_code:invalid_grant"] == 1


async def test_a_reused_code_is_a_400_saying_start_again(
        emulator: Emulator, backend: httpx.AsyncClient) -> None:
    callback = await _approved_callback(emulator, backend)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    # The code used elsewhere first (a double click, a reload that reached Allegro).
    emulator.oauth._codes.pop(code)
    response = await backend.get(callback)
    assert response.status_code == 400
    assert response.json()["error"] == "authorization_failed"
    assert "start again at /allegro/connect" in response.json()["hint"]


async def test_no_redirect_uri_stops_the_app_at_startup(emulator: Emulator) -> None:
    app = _web(emulator, redirect=False)
    with pytest.raises(InvalidArgumentError) as info:
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - startup fails
    assert info.value.field == "redirect_uri"
    assert "ALLEGRO_REDIRECT_URI" in info.value.fix


async def test_the_host_header_never_picks_the_redirect_uri(emulator: Emulator) -> None:
    app = _web(emulator, redirect=False,
               allowed_redirect_uris=["http://backend/allegro/callback"])
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        http = await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend"))
        listed = await http.get("/allegro/connect")
        forged = await http.get("/allegro/connect", headers={"Host": "evil.example"})
    assert listed.status_code == 302
    sent = parse_qs(urlsplit(listed.headers["location"]).query)["redirect_uri"]
    assert sent == ["http://backend/allegro/callback"]
    assert forged.status_code == 500
    assert forged.json()["error"] == "invalid_argument"
    assert "evil.example" not in forged.headers.get("location", "")


async def test_a_configured_redirect_uri_wins_over_the_host_header(
        emulator: Emulator, backend: httpx.AsyncClient) -> None:
    response = await backend.get("/allegro/connect", headers={"Host": "evil.example"})
    assert response.status_code == 302
    sent = parse_qs(urlsplit(response.headers["location"]).query)["redirect_uri"]
    assert sent == [emulator.config.redirect_uris[0]]
