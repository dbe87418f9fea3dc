"""allegro_async.fastapi in-process: the lifespan, the seller dependency, the error handlers,
onboarding, the dependency-override pattern and the import guard."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from allegro_async import AllegroApp, AllegroClient
from allegro_async._redact import register
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.errors import ErrorDetail, ServerError
from allegro_async.fastapi import (
    AllegroState,
    SellerClient,
    allegro_lifespan,
    install_error_handlers,
    onboarding_router,
    seller_client,
)
from allegro_async.testing import Emulator


def _now(emulator: Emulator) -> float:
    return emulator.clock.now().timestamp()


def _allegro(emulator: Emulator, store: MemoryTokenStore, **options: object) -> AllegroApp:
    return AllegroApp(
        emulator.client_id, emulator.client_secret, store=store,
        environment=emulator.environment(), transport=emulator.transport(),
        clock=lambda: _now(emulator), redirect_uri=emulator.config.redirect_uris[0],
        **options,  # type: ignore[arg-type]
    )


async def _connect(emulator: Emulator, store: MemoryTokenStore, seller: int) -> str:
    pair = emulator.oauth.issue_pair(emulator.sellers[seller].id)
    token = Token.from_response(pair, now=_now(emulator), environment="custom")
    await store.save(emulator.sellers[seller].id, token)
    return emulator.sellers[seller].id


def _web(emulator: Emulator, store: MemoryTokenStore, **options: object) -> FastAPI:
    app = FastAPI(lifespan=allegro_lifespan(lambda: _allegro(emulator, store, **options)))
    install_error_handlers(app)
    app.include_router(onboarding_router())

    @app.get("/sellers/{seller_id}/me")
    async def me(seller: SellerClient) -> dict[str, object]:
        return dict(await seller.request("GET", "/me"))

    @app.get("/sellers/{seller_id}/bad")
    async def bad(seller: SellerClient) -> None:
        seller.orders.events(page_size=0)  # a programmer error: caught before sending

    @app.get("/which")
    async def which(allegro: AllegroState) -> dict[str, int]:
        return {"app": id(allegro)}

    return app


@pytest.fixture
async def served(emulator: Emulator) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient,
                                                             MemoryTokenStore]]:
    store = MemoryTokenStore()
    app = _web(emulator, store, retry=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        yield app, http, store


async def test_lifespan_opens_one_app_and_closes_it(emulator: Emulator) -> None:
    app = _web(emulator, MemoryTokenStore())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        allegro = app.state.allegro
        ids = {(await http.get("/which")).json()["app"] for _ in range(3)}
        assert ids == {id(allegro)}
        assert not allegro.client.http_client.is_closed
    assert allegro.client.http_client.is_closed
    assert app.state.allegro is None


async def test_seller_dependency_acts_as_the_path_seller(served, emulator: Emulator) -> None:
    _, http, store = served
    first, second = await _connect(emulator, store, 0), await _connect(emulator, store, 1)
    assert (await http.get(f"/sellers/{first}/me")).json()["id"] == first
    assert (await http.get(f"/sellers/{second}/me")).json()["id"] == second


async def test_unknown_seller_is_404_saying_how_to_connect(served, emulator: Emulator) -> None:
    _, http, _ = served
    before = emulator.stats.requests
    response = await http.get("/sellers/10000009/me")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "seller_not_connected"
    assert body["seller_id"] == "10000009"
    assert body["connect_url"] == "/allegro/connect"
    assert "/allegro/connect" in body["hint"]
    assert emulator.stats.requests == before  # nothing was sent to Allegro


async def test_dead_refresh_token_is_409_with_connect_url(served, emulator: Emulator) -> None:
    _, http, store = served
    seller = await _connect(emulator, store, 0)
    saved = await store.load(seller)
    assert saved is not None
    # Expired access token and a refresh token Allegro does not know: invalid_grant (A5).
    await store.save(seller, replace(saved, expires_at=_now(emulator) - 10,
                                     refresh_token="not-a-live-refresh-token"))
    response = await http.get(f"/sellers/{seller}/me")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "reauthorization_required"
    assert body["connect_url"] == "/allegro/connect"
    assert "not-a-live-refresh-token" not in response.text


async def test_allegro_5xx_is_502_with_trace_id(served, emulator: Emulator) -> None:
    _, http, store = served
    seller = await _connect(emulator, store, 0)
    emulator.faults.add("GET /me", status=500)
    response = await http.get(f"/sellers/{seller}/me")
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "allegro_unavailable"
    assert body["allegro_status"] == 500
    assert body["trace_id"]


async def test_rate_limit_is_503_with_retry_after() -> None:
    from allegro_async import Throttle
    from allegro_async.testing.emulator.limits import LimitsConfig

    # Allegro allows one request, then blocks the Client ID (S1, A1).
    emulator = Emulator(limits=LimitsConfig(app_rate=1, app_burst=1))
    store = MemoryTokenStore()
    app = _web(emulator, store, retry=False, throttle=Throttle(retry_429_for=0))
    seller = await _connect(emulator, store, 0)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        assert (await http.get(f"/sellers/{seller}/me")).status_code == 200
        response = await http.get(f"/sellers/{seller}/me")
    assert emulator.stats.responses_429 == 1
    assert response.status_code == 503
    assert response.json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_call_deadline_at_a_closed_gate_is_503_at_once() -> None:
    from allegro_async import Throttle
    from allegro_async.testing.emulator.limits import LimitsConfig

    emulator = Emulator(limits=LimitsConfig(app_rate=1, app_burst=1))  # S1 at 1 request
    store = MemoryTokenStore()
    app = _web(emulator, store, retry=False, throttle=Throttle(user_backoff=0.05))

    @app.get("/sellers/{seller_id}/quick")
    async def quick(seller: SellerClient) -> dict[str, object]:
        # The call may take 20 s at most; the app block (A1: 60 s) lasts longer.
        return dict(await seller.request("GET", "/me", extensions={"allegro_deadline": 20}))

    seller = await _connect(emulator, store, 0)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        assert (await http.get(f"/sellers/{seller}/quick")).status_code == 200
        blocked = await http.get(f"/sellers/{seller}/quick")  # 429s until the gate closes
        sent = emulator.stats.route("GET", "/me")
        again = await http.get(f"/sellers/{seller}/quick")
    for response in (blocked, again):
        assert response.status_code == 503
        assert response.json()["error"] == "rate_limited"
        assert 20 < int(response.headers["Retry-After"]) <= 60  # the block's time left
    assert emulator.stats.route("GET", "/me") == sent  # nothing sent into the block (A1)


async def test_invalid_argument_is_500_with_the_fix(served, emulator: Emulator) -> None:
    _, http, store = served
    seller = await _connect(emulator, store, 0)
    before = emulator.stats.requests
    response = await http.get(f"/sellers/{seller}/bad")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "invalid_argument"
    assert "1000" in body["hint"]
    assert emulator.stats.requests == before


async def test_error_bodies_never_carry_a_secret(emulator: Emulator) -> None:
    canary = "canary-" + "7f3e" * 8
    register(canary)
    store = MemoryTokenStore()
    app = _web(emulator, store)

    @app.get("/leaky")
    async def leaky() -> None:
        raise ServerError(
            status_code=503, method="GET", path="/me",
            errors=[ErrorDetail(code="X", message=f"token {canary} rejected")],
            hint=f"Authorization: Bearer {canary}", body_text=canary, trace_id="t-1",
        )

    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        response = await http.get("/leaky")
    assert response.status_code == 502
    assert canary not in response.text
    assert response.json()["trace_id"] == "t-1"


async def test_onboarding_saves_the_seller_under_user_name(served, emulator: Emulator) -> None:
    _, http, store = served
    emulator.oauth.approve_as(2)
    response = await http.get("/allegro/connect")
    assert response.status_code == 302
    authorize = response.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]
    async with httpx.AsyncClient(transport=emulator.transport()) as browser:
        page = await browser.get(authorize)  # the emulator's page approves at once
    back = urlsplit(page.headers["location"])
    callback = await http.get(f"/allegro/callback?{back.query}")
    assert callback.status_code == 200
    seller = emulator.sellers[2].id
    assert callback.json() == {"seller_id": seller, "connected": True}
    assert "access_token" not in callback.text
    assert await store.load(seller) is not None
    assert emulator.oauth.counters.token_requests["authorization_code"] == 1
    assert (await http.get(f"/sellers/{seller}/me")).json()["id"] == seller


async def test_callback_with_unknown_state_is_400_and_sends_nothing(
        served, emulator: Emulator) -> None:
    _, http, store = served
    await http.get("/allegro/connect")
    response = await http.get("/allegro/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert response.json()["error"] == "authorization_failed"
    assert emulator.oauth.counters.token_requests["authorization_code"] == 0
    assert await store.keys() == []


async def test_dependency_override_replaces_the_seller(emulator: Emulator) -> None:
    app = _web(emulator, MemoryTokenStore())
    fake = emulator.client(1)
    app.dependency_overrides[seller_client] = lambda: fake
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        response = await http.get("/sellers/anyone/me")
    await fake.aclose()
    assert response.json()["id"] == emulator.sellers[1].id


async def test_allegro_app_fixture_holds_every_seller(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    assert await allegro_app.sellers() == sorted(s.id for s in allegro_emulator.sellers)
    for seller in allegro_emulator.sellers:
        client: AllegroClient = allegro_app.seller(seller.id)
        assert (await client.request("GET", "/me"))["id"] == seller.id


def test_import_without_fastapi_names_the_extra() -> None:
    code = ("import sys; sys.modules['fastapi'] = None\n"
            "try:\n    import allegro_async.fastapi\n"
            "except ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert "pip install 'allegro-async[fastapi]'" in out.stdout
