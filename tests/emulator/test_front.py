"""The emulator's front door and control routes: trace ids, 404s, A11 406, S8, app tokens,
counters, reset and fault control over HTTP."""

from __future__ import annotations

import httpx

from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator


def _raw(emulator: Emulator, token: str | None = None, accept: str = PUBLIC_MEDIA_TYPE,
         ) -> httpx.AsyncClient:
    headers = {"Accept": accept}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=emulator.transport(),
                             base_url="http://allegro.emulator", headers=headers)


async def test_every_response_has_a_distinct_trace_id() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(0)) as raw:
        answers = [await raw.get("/me"), await raw.get("/nothing/here"),
                   await raw.get("/me", headers={"Accept": "text/html"})]
    ids = [r.headers.get("trace-id") for r in answers]
    assert all(ids) and len(set(ids)) == 3


async def test_unknown_path_is_404_with_errors_list() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(0)) as raw:
        response = await raw.get("/sale/nothing-like-this")
    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["code"] == "NotFoundException"
    assert set(error) >= {"code", "message", "details", "path", "userMessage", "metadata"}
    assert emulator.stats.route("GET", "?") == 1


async def test_a11_wrong_accept_is_406() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(0), accept="application/json") as raw:
        response = await raw.get("/me")
    assert response.status_code == 406
    assert response.json()["errors"][0]["code"] == "NotAcceptableException"
    assert emulator.stats.by_status[406] == 1


async def test_a11_beta_resource_is_answered_in_beta() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(0), accept=BETA_MEDIA_TYPE) as raw:
        mine = {"user.id": emulator.sellers[0].id}
        response = await raw.get("/sale/offer-variants", params=mine)
        without_accept = await raw.get("/sale/offer-variants", params=mine,
                                       headers={"Accept": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(BETA_MEDIA_TYPE)
    assert without_accept.headers["content-type"].startswith(BETA_MEDIA_TYPE)


async def test_a11_media_type_must_match_what_the_operation_serves() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(0)) as raw:
        beta_on_public = await raw.get("/me", headers={"Accept": BETA_MEDIA_TYPE})
        public_on_beta = await raw.get("/sale/offer-variants",
                                       params={"user.id": emulator.sellers[0].id})
        public_on_public = await raw.get("/me")
    assert beta_on_public.status_code == 406
    assert public_on_beta.status_code == 406
    assert public_on_beta.json()["errors"][0]["code"] == "NotAcceptableException"
    assert public_on_public.headers["content-type"].startswith(PUBLIC_MEDIA_TYPE)


async def test_s8_sandbox_token_on_production_is_refused() -> None:
    production, sandbox = Emulator(), Emulator(environment="sandbox")
    async with _raw(production, sandbox.mint_token(0)) as raw:
        response = await raw.get("/me")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "error_description": "Cannot convert access token to JSON"}


async def test_s8_malformed_and_expired_tokens() -> None:
    emulator = Emulator()
    expired = emulator.mint_token(0, ttl=10)
    emulator.clock.advance(11)
    async with _raw(emulator, "not-a-jwt") as raw:
        bad = await raw.get("/me")
        late = await raw.get("/me", headers={"Authorization": f"Bearer {expired}"})
    assert bad.json()["error_description"] == "Cannot convert access token to JSON"
    assert late.status_code == 401
    assert late.json()["error_description"].startswith("Access token expired")
    assert expired not in late.text


async def test_app_token_refused_on_user_resource() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(None)) as raw:
        response = await raw.get("/me")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "AccessDenied"


async def test_missing_token_is_401_in_oauth_shape() -> None:
    emulator = Emulator()
    async with _raw(emulator) as raw:
        response = await raw.get("/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_revoked_token_stays_refused_after_a_cached_success() -> None:
    emulator = Emulator()
    token = emulator.mint_token(0)
    async with _raw(emulator, token) as raw:
        assert (await raw.get("/me")).status_code == 200
        emulator.tokens.revoke(emulator.tokens.verify(token).token_id)
        assert (await raw.get("/me")).status_code == 401


async def test_stats_reset_and_fault_control_over_http() -> None:
    emulator = Emulator()
    async with _raw(emulator, emulator.mint_token(0)) as raw:
        await raw.get("/me")
        stats = (await raw.get("/_emulator/stats")).json()
        assert stats["by_route"]["GET /me"] == 1
        added = await raw.post("/_emulator/faults", json={"route": "GET /me", "status": 502})
        assert added.status_code == 201 and added.json()["kind"] == "status_502"
        assert (await raw.get("/me")).status_code == 502
        assert (await raw.get("/_emulator/faults")).json()["rules"][0]["fired"] == 1
        refused = await raw.post("/_emulator/faults", json={"status": 404})
        assert refused.status_code == 400
        assert (await raw.post("/_emulator/reset")).json() == {"reset": True}
        assert (await raw.get("/me")).status_code == 200
    # only the GET after the reset is left (the reset's own answer is counted after it)
    assert emulator.stats.requests == 1
    assert emulator.stats.route("GET", "/me") == 1
    assert emulator.stats.by_status[502] == 0


def test_route_templates_list_the_served_routes() -> None:
    templates = Emulator().route_templates()
    assert "GET /me" in templates
    assert "POST /_emulator/reset" in templates
