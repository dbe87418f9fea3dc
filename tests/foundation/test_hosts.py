"""The bearer token goes only to the environment's hosts (A3): absolute URLs given to
``client.request`` and the operation URLs of a 202 (A10) are checked by exact origin."""

from __future__ import annotations

import httpx
import pytest
import respx

from allegro_async import AllegroClient, Environment, InvalidArgumentError
from allegro_async.config import Origin, parse_origin
from allegro_async.services.offers import OperationNotFollowedError
from tests.foundation.conftest import BARE

TOKEN = "token-that-must-stay-home"
OFFER = {"name": "Ceramic mug 330 ml", "productSet": [{"product": {"id": "p1"}}],
         "stock": {"available": 5}}  # stock: required of a new offer (spec)
OPERATION = "https://api.allegro.pl/sale/product-offers/1/operations/op-1"

#: URLs whose host is not production's, however they are dressed up.
FOREIGN = [
    "https://evil.example?.allegro.pl",
    "https://evil.example:443?.allegro.pl",
    "https://evil.example\\.allegro.pl/x",
    "https://api.allegro.pl\\@evil.example/x",
    "https://api.allegro.pl@evil.example",
    "https://api.allegro.pl:443@evil.example/x",
    "https://user:secret-password@api.allegro.pl/x",
    "https://evil.example#@api.allegro.pl",
    "https://api%2eallegro.pl/x",
    "https://api.allegro%2Epl/x",
    "https://%61pi.allegro.pl/x",
    "https://xn--pi-6kc.allegro.pl/x",  # 'api' spelt with a Cyrillic a (U+0430), IDNA-encoded
    "https://\u0430pi.allegro.pl/x",
    "https://ap\u0131.allegro.pl/x",  # a dotless i: case-folds to 'i' outside ASCII rules
    "https://api.allegro.pl./x",
    "https://api.allegro.pl.:443/x",
    "https://api.allegro.pl:8443/x",
    "https://api.allegro.pl:/x",
    "https://api.allegro.pl:99999/x",
    "https://api.allegro.pl /x",
    "http://api.allegro.pl/me",
    "ftp://api.allegro.pl/me",
    "HTTPS://EVIL.EXAMPLE/x",
    "https://evil.example/steal",
    "https://allegro.pl.evil.example/x",
    "https://evil.allegro.pl/x",  # a sibling, but not the upload host
    "https://[::1]/x",
]


def _recording() -> tuple[list[httpx.Request], httpx.MockTransport]:
    sent: list[httpx.Request] = []
    return sent, httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))


@pytest.mark.parametrize("url", FOREIGN)
async def test_url_off_the_environment_hosts_is_refused_before_sending(url: str) -> None:
    sent, transport = _recording()
    async with AllegroClient(TOKEN, **BARE, transport=transport) as client:
        with pytest.raises(InvalidArgumentError) as info:
            await client.request("GET", url)
    assert info.value.field == "path"
    assert "secret-password" not in str(info.value)
    assert sent == []


@pytest.mark.parametrize(
    ("environment", "url", "host"),
    [
        ("production", "https://API.Allegro.PL/me", "api.allegro.pl"),
        ("production", "https://api.allegro.pl:443/me", "api.allegro.pl"),
        ("production", "https://upload.allegro.pl/sale/images", "upload.allegro.pl"),
        ("production", "https://allegro.pl/auth/oauth/token", "allegro.pl"),
        ("sandbox", "https://upload.allegro.pl.allegrosandbox.pl/sale/images",
         "upload.allegro.pl.allegrosandbox.pl"),
        (Environment.custom("http://127.0.0.1:9001", "http://127.0.0.1:9002"),
         "http://127.0.0.1:9002/auth/oauth/token", "127.0.0.1"),
    ],
)
async def test_url_on_the_environment_hosts_is_sent(
    environment: Environment | str, url: str, host: str
) -> None:
    sent, transport = _recording()
    async with AllegroClient(TOKEN, **BARE, transport=transport,
                             environment=environment) as client:
        await client.request("GET", url)
    assert [r.url.host for r in sent] == [host]
    assert sent[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9003/x",  # another port
    "https://127.0.0.1:9001/x",  # another scheme
    "http://localhost:9001/x",  # another name for the same machine is another origin
    "http://127.0.0.1:9001@evil.example/x",
])
async def test_custom_environment_compares_scheme_host_and_port(url: str) -> None:
    sent, transport = _recording()
    env = Environment.custom("http://127.0.0.1:9001", "http://127.0.0.1:9002")
    async with AllegroClient(TOKEN, **BARE, transport=transport, environment=env) as client:
        with pytest.raises(InvalidArgumentError):
            await client.request("GET", url)
    assert sent == []


async def test_request_built_elsewhere_is_held_to_the_same_hosts() -> None:
    sent, transport = _recording()
    async with AllegroClient(TOKEN, **BARE, transport=transport) as client:
        with pytest.raises(InvalidArgumentError) as info:
            await client.send(httpx.Request("GET", "https://evil.example/me"))
        assert info.value.field == "request"
        await client.send(client.build_request("GET", "/me"))
    assert [r.url.host for r in sent] == ["api.allegro.pl"]


async def test_built_request_pointed_elsewhere_or_sent_by_another_client_is_refused() -> None:
    # build_request's check is not taken on trust by send: only for the same URL and hosts
    sent, transport = _recording()
    sandbox = Environment.sandbox()
    async with AllegroClient(TOKEN, **BARE, transport=transport) as client, AllegroClient(
            TOKEN, **BARE, transport=transport, environment=sandbox) as other:
        moved = client.build_request("GET", "/me")
        moved.url = httpx.URL("https://evil.example/me")
        with pytest.raises(InvalidArgumentError):
            await client.send(moved)
        with pytest.raises(InvalidArgumentError):
            await other.send(client.build_request("GET", "/me"))
    assert sent == []


def test_origin_parser_reads_only_plain_authorities() -> None:
    assert parse_origin("HTTPS://API.allegro.pl:443/x?y#z") == Origin("https", "api.allegro.pl",
                                                                      443)
    assert parse_origin("http://127.0.0.1:8000") == Origin("http", "127.0.0.1", 8000)
    assert str(parse_origin("http://127.0.0.1:80/")) == "http://127.0.0.1"
    for url, reason in [("https://a@b", "userinfo"), ("https://a\\b", "backslash"),
                        ("https://a%2eb", "percent"), ("https://a.b./", "dot"),
                        ("https://a:0/", "range"), ("https://a_b/", "plain host")]:
        with pytest.raises(ValueError, match=reason):
            parse_origin(url)


def test_environment_base_url_with_userinfo_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Environment.custom("http://admin:hunter2@127.0.0.1:9001")
    assert info.value.field == "api_url"
    assert "userinfo" in str(info.value)
    assert "hunter2" not in str(info.value)


# -- A10: the operation URL of a 202 is checked before the first poll (and before waiting) ----
@pytest.mark.parametrize("location", [
    "https://evil.example?.allegro.pl/sale/product-offers/1/operations/op-1",
    "https://api.allegro.pl@evil.example/sale/product-offers/1/operations/op-1",
    "https://evil.example\\.allegro.pl/sale/product-offers/1/operations/op-1",
    "https://evil.example/sale/product-offers/1/operations/op-1",
])
async def test_foreign_operation_location_raises_before_any_poll(location: str) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with respx.mock(assert_all_called=False) as router:
        post = router.post("https://api.allegro.pl/sale/product-offers").respond(
            202, headers={"Location": location, "Retry-After": "5"})
        anything_else = router.route().respond(200, json={"id": "1"})
        async with AllegroClient(TOKEN, **BARE) as client:
            client.offers.sleep = sleep
            with pytest.raises(OperationNotFollowedError) as info:
                await client.offers.create(OFFER)
    assert "not one of this environment's hosts" in info.value.problem or (
        "refused" in info.value.problem or "read as" in info.value.problem)
    assert post.call_count == 1
    assert not anything_else.called  # no poll left, so no token went anywhere else
    assert waits == []


async def test_foreign_offer_location_after_the_operation_is_not_followed() -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post("https://api.allegro.pl/sale/product-offers").respond(
            202, headers={"Location": OPERATION, "Retry-After": "0"})
        poll = router.get(OPERATION).respond(
            303, headers={"Location": "https://api.allegro.pl@evil.example/sale/offers/1"})
        anything_else = router.route().respond(200, json={"id": "1"})
        async with AllegroClient(TOKEN, **BARE) as client:
            with pytest.raises(OperationNotFollowedError) as info:
                await client.offers.create(OFFER)
    assert "accepted the change" in str(info.value)
    assert poll.call_count == 1
    assert not anything_else.called


async def test_operation_on_the_api_host_is_followed_to_the_offer() -> None:
    with respx.mock(assert_all_called=True) as router:
        router.post("https://api.allegro.pl/sale/product-offers").respond(
            202, headers={"Location": OPERATION, "Retry-After": "0"})
        router.get(OPERATION).respond(
            303, headers={"Location": "https://api.allegro.pl/sale/product-offers/1"})
        offer = router.get("https://api.allegro.pl/sale/product-offers/1").respond(
            200, json={"id": "1", "name": OFFER["name"]})
        async with AllegroClient(TOKEN, **BARE) as client:
            assert (await client.offers.create(OFFER)).id == "1"
    assert offer.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
