"""URLs, headers, timeouts, params and bodies as AllegroClient sends them (respx; A3, A11)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from enum import Enum

import httpx
import pytest
import respx
from pydantic import BaseModel

from allegro_async import (
    BETA_MEDIA_TYPE,
    PUBLIC_MEDIA_TYPE,
    AllegroClient,
    Environment,
    InvalidArgumentError,
    ResponseValidationError,
    __version__,
)
from allegro_async.models.base import AllegroModel
from tests.foundation.conftest import BARE

PROD = "https://api.allegro.pl"
SANDBOX = "https://api.allegro.pl.allegrosandbox.pl"
TOKEN = "token-for-request-tests"


@pytest.mark.parametrize(
    ("environment", "api_base", "token_url"),
    [
        ("production", PROD, "https://allegro.pl/auth/oauth/token"),
        ("sandbox", SANDBOX, "https://allegro.pl.allegrosandbox.pl/auth/oauth/token"),
        (
            Environment.custom("http://127.0.0.1:9001", "http://127.0.0.1:9002"),
            "http://127.0.0.1:9001",
            "http://127.0.0.1:9002/auth/oauth/token",
        ),
    ],
    ids=["production", "sandbox", "custom"],
)
async def test_environment_sets_api_base_and_separate_oauth_base(
    environment: Environment | str, api_base: str, token_url: str
) -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.get(f"{api_base}/me").respond(200, json={"id": "1"})
        async with AllegroClient(TOKEN, **BARE, environment=environment) as client:
            assert await client.request("GET", "/me") == {"id": "1"}
            assert client.environment.token_url == token_url
            assert client.environment.api_url != client.environment.auth_url
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"


def test_custom_auth_base_defaults_to_api_base() -> None:
    env = Environment.custom("http://127.0.0.1:9001/")
    assert env.api_url == env.auth_url == "http://127.0.0.1:9001"
    assert env.device_url == "http://127.0.0.1:9001/auth/oauth/device"
    assert env.authorize_url == "http://127.0.0.1:9001/auth/oauth/authorize"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Environment.custom("api.allegro.pl"),
        lambda: Environment.custom("http://127.0.0.1:1", auth_url="allegro.pl"),
        lambda: Environment.coerce("staging"),
    ],
    ids=["relative-api", "relative-auth", "unknown-name"],
)
def test_bad_environment_is_refused_with_a_fix(make: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        make()  # type: ignore[operator]
    assert info.value.fix


@respx.mock
async def test_get_sends_default_headers_and_no_content_type() -> None:
    route = respx.get(f"{PROD}/sale/offers").respond(200, json={})
    async with AllegroClient(TOKEN, **BARE) as client:
        await client.request("GET", "/sale/offers")
    headers = route.calls.last.request.headers
    assert headers["Accept"] == PUBLIC_MEDIA_TYPE
    assert headers["User-Agent"] == f"allegro-async/{__version__}"
    assert "Content-Type" not in headers
    assert "Accept-Language" not in headers


@respx.mock
async def test_body_gets_the_allegro_content_type() -> None:
    route = respx.post(f"{PROD}/sale/product-offers").respond(201, json={"id": "7"})
    async with AllegroClient(TOKEN, **BARE) as client:
        assert await client.request("POST", "/sale/product-offers", json={"name": "x"}) == {
            "id": "7"
        }
    sent = route.calls.last.request
    assert sent.headers.get_list("Content-Type") == [PUBLIC_MEDIA_TYPE]
    assert json.loads(sent.content) == {"name": "x"}


@respx.mock
async def test_beta_media_type_for_accept_and_content_type() -> None:
    route = respx.put(f"{PROD}/sale/beta-thing").respond(200, json={})
    async with AllegroClient(TOKEN, **BARE) as client:
        await client.request("PUT", "/sale/beta-thing", json={}, media_type="beta")
    sent = route.calls.last.request
    assert sent.headers["Accept"] == BETA_MEDIA_TYPE
    assert sent.headers["Content-Type"] == BETA_MEDIA_TYPE


@respx.mock
async def test_accept_language_is_sent_and_overridable_per_view() -> None:
    route = respx.get(f"{PROD}/me").respond(200, json={})
    async with AllegroClient(TOKEN, **BARE, accept_language="pl-PL") as client:
        await client.request("GET", "/me")
        assert route.calls.last.request.headers["Accept-Language"] == "pl-PL"
        await client.with_options(accept_language="cs-CZ").request("GET", "/me")
        assert route.calls.last.request.headers.get_list("Accept-Language") == ["cs-CZ"]


@pytest.mark.parametrize("where", ["client", "client-headers", "view", "call"])
async def test_unknown_accept_language_is_refused_before_sending(where: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route().respond(200)
        with pytest.raises(InvalidArgumentError) as info:
            if where == "client":
                AllegroClient(TOKEN, **BARE, accept_language="de-DE")
            elif where == "client-headers":
                AllegroClient(TOKEN, **BARE, headers={"accept-language": "de-DE"})
            else:
                async with AllegroClient(TOKEN, **BARE) as client:
                    if where == "view":
                        client.with_options(accept_language="de-DE")
                    else:
                        await client.request("GET", "/me", headers={"Accept-Language": "xx"})
        assert "pl-PL" in info.value.fix
        assert not route.called


@respx.mock
async def test_per_call_headers_override_defaults_whatever_their_case() -> None:
    route = respx.get(f"{PROD}/me").respond(200, json={})
    async with AllegroClient(TOKEN, **BARE, headers={"user-agent": "my-app/1.0"}) as client:
        await client.request(
            "GET", "/me", headers={"accept": "application/json", "X-Extra": "yes"}
        )
    headers = route.calls.last.request.headers
    assert headers.get_list("Accept") == ["application/json"]
    assert headers.get_list("User-Agent") == ["my-app/1.0"]
    assert headers["X-Extra"] == "yes"


@respx.mock
async def test_timeouts_per_client_view_and_call() -> None:
    route = respx.get(f"{PROD}/me").respond(200, json={})
    async with AllegroClient(TOKEN, **BARE, timeout=7.0) as client:
        await client.request("GET", "/me")
        assert route.calls.last.request.extensions["timeout"] == httpx.Timeout(7.0).as_dict()
        await client.request("GET", "/me", timeout=httpx.Timeout(2.0, connect=1.0))
        assert route.calls.last.request.extensions["timeout"] == {
            "connect": 1.0, "read": 2.0, "write": 2.0, "pool": 2.0
        }
        await client.with_options(timeout=3.5).request("GET", "/me")
        assert route.calls.last.request.extensions["timeout"]["read"] == 3.5
        await client.request("GET", "/me")
        assert route.calls.last.request.extensions["timeout"]["read"] == 7.0


class Status(Enum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


@respx.mock
async def test_params_are_cleaned() -> None:
    route = respx.get(url__startswith=f"{PROD}/sale/offers").respond(200, json={})
    warsaw = dt.timezone(dt.timedelta(hours=2))
    async with AllegroClient(TOKEN, **BARE) as client:
        await client.request(
            "GET",
            "/sale/offers",
            params={
                "publication.status": [Status.ACTIVE, "INACTIVE"],
                "include": True,
                "deleted": False,
                "status": Status.ENDED,
                "from": dt.datetime(2025, 3, 1, 12, 0, tzinfo=warsaw),
                "limit": 100,
                "missing": None,
            },
        )
    params = route.calls.last.request.url.params
    assert params.get_list("publication.status") == ["ACTIVE", "INACTIVE"]
    assert params["include"] == "true" and params["deleted"] == "false"
    assert params["status"] == "ENDED"
    assert params["from"] == "2025-03-01T10:00:00Z"
    assert params["limit"] == "100"
    assert "missing" not in params


async def test_naive_datetime_is_refused_before_sending() -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route().respond(200)
        async with AllegroClient(TOKEN, **BARE) as client:
            with pytest.raises(InvalidArgumentError) as info:
                await client.request("GET", "/x", params={"from": dt.datetime(2025, 1, 1)})
        assert info.value.field == "params"
        assert not route.called


@respx.mock
async def test_absolute_url_is_used_as_is() -> None:
    route = respx.get("https://upload.allegro.pl/sale/images/1").respond(200, json={"ok": 1})
    async with AllegroClient(TOKEN, **BARE) as client:
        assert await client.request("GET", "https://upload.allegro.pl/sale/images/1") == {"ok": 1}
    assert route.called


async def test_malformed_url_and_unserialisable_body_are_invalid_arguments() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    async with AllegroClient(TOKEN, **BARE, transport=transport) as client:
        with pytest.raises(InvalidArgumentError) as info:
            await client.request("GET", "https://host:notaport/x")
        assert info.value.field == "path"
        with pytest.raises(InvalidArgumentError) as info:
            await client.request("POST", "/x", json={"when": object()})
        assert info.value.field == "json"


class Price(AllegroModel):
    amount: str
    currency: str
    old_amount: str | None = None


class Offer(AllegroModel):
    offer_name: str
    selling_price: Price


@respx.mock
async def test_pydantic_body_is_dumped_by_alias_without_nones() -> None:
    route = respx.post(f"{PROD}/sale/product-offers").respond(201, json={})
    body = Offer(offer_name="Mug", selling_price=Price(amount="10.00", currency="PLN"))
    async with AllegroClient(TOKEN, **BARE) as client:
        await client.request("POST", "/sale/product-offers", json=body)
    assert json.loads(route.calls.last.request.content) == {
        "offerName": "Mug", "sellingPrice": {"amount": "10.00", "currency": "PLN"}
    }


class Me(BaseModel):
    id: str
    login: str


@respx.mock
async def test_cast_to_validates_models_and_types() -> None:
    respx.get(f"{PROD}/me").respond(200, json={"id": "1", "login": "shop", "extra": 1})
    respx.get(f"{PROD}/ids").respond(200, json=["1", 2])
    respx.get(f"{PROD}/bad").respond(200, json={"id": "1"}, headers={"Trace-Id": "t-9"})
    async with AllegroClient(TOKEN, **BARE) as client:
        assert await client.request("GET", "/me", cast_to=Me) == Me(id="1", login="shop")
        assert await client.request("GET", "/ids", cast_to=list[int]) == [1, 2]
        with pytest.raises(ResponseValidationError) as info:
            await client.request("GET", "/bad", cast_to=Me)
    assert info.value.trace_id == "t-9"
    assert info.value.body == {"id": "1"}


@respx.mock
async def test_request_raw_gives_status_headers_and_trace_id() -> None:
    respx.post(f"{PROD}/sale/offer-publication-commands/c1").respond(
        201, json={"id": "c1"},
        headers={"TRACE-ID": "abc-123", "Location": f"{PROD}/sale/offer-publication-commands/c1"},
    )
    respx.delete(f"{PROD}/sale/offers/1").respond(204)
    async with AllegroClient(TOKEN, **BARE) as client:
        raw = await client.request_raw("POST", "/sale/offer-publication-commands/c1", json={})
        assert raw.status_code == 201
        assert raw.trace_id == "abc-123"
        assert raw.headers["location"].endswith("/c1")
        assert raw.parse() == {"id": "c1"}
        assert await client.request("DELETE", "/sale/offers/1") is None
    assert "201" in repr(raw) and "/c1" in repr(raw)


@respx.mock
async def test_debug_log_line_has_method_path_status_elapsed_trace_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    respx.get(f"{PROD}/me", params={"x": "1"}).respond(
        200, json={}, headers={"trace-id": "trace-42"}
    )
    caplog.set_level(logging.DEBUG, logger="allegro_async")
    async with AllegroClient(TOKEN, **BARE) as client:
        await client.request("GET", "/me", params={"x": "1"})
    lines = [r.getMessage() for r in caplog.records if r.name == "allegro_async"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /me -> 200 in ")
    assert " ms trace-id=trace-42" in lines[0]


async def test_absolute_url_off_allegro_hosts_is_refused_before_sending() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
    async with AllegroClient(TOKEN, **BARE, transport=transport) as client:
        for url in ("https://evil.example/steal", "https://allegro.pl.evil.example/x",
                    "http://api.allegro.pl/me"):
            with pytest.raises(InvalidArgumentError) as info:
                await client.request("GET", url)
            assert info.value.field == "path"
        await client.request("GET", "https://api.allegro.pl/sale/product-offers/1/operations/2")
    assert [r.url.host for r in sent] == ["api.allegro.pl"]


def test_empty_access_token_is_refused() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        AllegroClient("  ")
    assert info.value.field == "access_token"


async def test_cookies_set_by_an_answer_are_not_sent_back() -> None:
    # one client serves many sellers by bearer token: a cookie one answer sets (a load
    # balancer's) must not ride along on the next request, maybe another seller's
    cookies: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cookies.append(request.headers.get("cookie"))
        return httpx.Response(200, json={}, headers={"Set-Cookie": "route=a1; Path=/"})

    async with AllegroClient(TOKEN, transport=httpx.MockTransport(handler), **BARE) as client:
        await client.request("GET", "/me")
        await client.with_options(access_token="another-seller").request("GET", "/me")
        assert not client.http_client.cookies
    assert cookies == [None, None]


async def test_cookies_set_on_the_http_client_are_still_sent() -> None:
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        return httpx.Response(200, json={})

    async with AllegroClient(TOKEN, transport=httpx.MockTransport(handler), **BARE) as client:
        client.http_client.cookies = {"consent": "yes"}
        await client.request("GET", "/me")
    assert sent == ["consent=yes"]


def test_parsed_urls_are_kept_but_not_those_with_a_query() -> None:
    from allegro_async._request import parse_url

    first = parse_url(f"{PROD}/sale/offers/123")
    assert isinstance(first, httpx.URL)
    assert parse_url(f"{PROD}/sale/offers/123") is first  # parsed once, then reused
    # a query may hold a secret (an authorization code): handed on, never kept
    assert parse_url(f"{PROD}/auth?code=secret-code") == f"{PROD}/auth?code=secret-code"
