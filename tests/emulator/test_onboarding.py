"""Any seller onboards through the emulator's authorize page: loopback redirect URIs (S4) and
the seller picked by a query parameter or the control endpoint."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from allegro_async.auth.jwt import decode_claims
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.oauth import S4_ERROR_NUMBER
from allegro_async.testing.server import redirect_uris_line

BASE = "http://allegro.emulator"


def _raw(emulator: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=emulator.transport(), base_url=BASE)


async def _authorize(emulator: Emulator, redirect_uri: str, **extra: str) -> httpx.Response:
    async with _raw(emulator) as raw:
        return await raw.get("/auth/oauth/authorize", params={
            "response_type": "code", "client_id": emulator.client_id,
            "redirect_uri": redirect_uri, "state": "s1", **extra})


async def _login(emulator: Emulator, redirect_uri: str, **extra: str) -> str | None:
    """The authorize redirect followed by the code exchange: the access token's claims."""
    answer = await _authorize(emulator, redirect_uri, **extra)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(redirect_uri + "?")
    code = parse_qs(urlsplit(location).query)["code"][0]
    async with _raw(emulator) as raw:
        token = await raw.post("/auth/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(emulator.client_id, emulator.client_secret))
    assert token.status_code == 200, token.text
    return decode_claims(token.json()["access_token"]).user_name


@pytest.mark.parametrize("redirect_uri", [
    "http://127.0.0.1:8000/allegro/callback",
    "http://127.3.4.5:65000/cb",
    "http://localhost:5173/oauth/return",
    "http://[::1]:8080/callback",
    "https://localhost/callback",
])
async def test_any_loopback_redirect_uri_gets_a_code(redirect_uri: str) -> None:
    emulator = Emulator()
    user = await _login(emulator, redirect_uri)
    assert user == emulator.sellers[0].id


@pytest.mark.parametrize("redirect_uri", [
    "http://example.com/callback",
    "http://127.0.0.1.example.com/callback",
    "http://user@127.0.0.1/callback",
    "http://127.0.0.1/callback#frag",
    "ftp://127.0.0.1/callback",
    "http://10.0.0.1/callback",
    "",
])
async def test_non_loopback_redirect_uri_shows_the_s4_error_page(redirect_uri: str) -> None:
    answer = await _authorize(Emulator(), redirect_uri)
    assert answer.status_code == 400
    assert S4_ERROR_NUMBER in answer.text


async def test_loopback_redirects_off_accepts_only_the_configured_list() -> None:
    emulator = Emulator(redirect_uris=("http://127.0.0.1:9000/cb",), loopback_redirects=False)
    assert (await _authorize(emulator, "http://127.0.0.1:9000/cb")).status_code == 302
    refused = await _authorize(emulator, "http://127.0.0.1:9001/cb")
    assert refused.status_code == 400
    assert S4_ERROR_NUMBER in refused.text


async def test_configured_non_loopback_redirect_uri_is_accepted() -> None:
    emulator = Emulator(redirect_uris=("https://shop.example.com/allegro/return",))
    assert (await _authorize(emulator, "https://shop.example.com/allegro/return")
            ).status_code == 302


async def test_seller_query_parameter_picks_an_existing_seller() -> None:
    emulator = Emulator()
    user = await _login(emulator, "http://127.0.0.1/callback", seller="seller-2")
    assert user == emulator.sellers[1].id


async def test_seller_query_parameter_creates_a_new_seller_on_first_use() -> None:
    emulator = Emulator()
    user = await _login(emulator, "http://localhost:8000/cb", seller="55501234")
    assert user == "55501234"
    async with emulator.client("55501234") as client:
        me = await client.request("GET", "/me")
    assert me["id"] == "55501234"
    assert me["login"] == "seller-55501234"


async def test_unknown_non_numeric_seller_is_an_error_page() -> None:
    answer = await _authorize(Emulator(), "http://127.0.0.1/callback", seller="nobody")
    assert answer.status_code == 400
    assert "Unknown seller" in answer.text


async def test_control_endpoint_picks_who_the_authorize_page_logs_in_as() -> None:
    emulator = Emulator()
    async with _raw(emulator) as raw:
        picked = await raw.put("/_emulator/authorize-as", json={"seller": "77700001"})
        assert picked.status_code == 200
        assert picked.json()["id"] == "77700001"
        listed = (await raw.get("/_emulator/sellers")).json()["sellers"]
    assert "77700001" in [s["id"] for s in listed]
    user = await _login(emulator, "http://127.0.0.1:3000/cb")
    assert user == "77700001"


async def test_control_endpoint_creates_a_seller_with_its_login() -> None:
    emulator = Emulator()
    async with _raw(emulator) as raw:
        made = await raw.post("/_emulator/sellers", json={"id": "900", "login": "my-shop"})
        again = await raw.post("/_emulator/sellers", json={"id": "900"})
        bad = await raw.post("/_emulator/sellers", json={"id": "abc"})
    assert (made.status_code, made.json()["login"]) == (201, "my-shop")
    assert again.status_code == 200
    assert bad.status_code == 400
    assert emulator.seller("my-shop").id == "900"


def test_the_command_line_names_the_accepted_redirect_uris() -> None:
    line = redirect_uris_line(Emulator())
    assert "http://127.0.0.1/callback" in line
    assert "loopback" in line
    assert redirect_uris_line(Emulator(loopback_redirects=False)) == "http://127.0.0.1/callback"
