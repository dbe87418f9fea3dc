"""Whatever the body, parsing raises nothing but AllegroError subclasses (hypothesis)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegro_async import AllegroClient, AllegroError, APIError
from allegro_async.errors import error_for_response, parse_error_body
from tests.foundation.conftest import BARE, b64url, make_jwt

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["errors", "error", "error_description", "code",
                                       "message", "details", "path", "userMessage", "metadata"])
                      | st.text(max_size=8), children, max_size=6),
    max_leaves=25,
)
shaped_errors = st.builds(
    lambda items, extra: {"errors": items, **extra},
    st.lists(json_values, max_size=4) | json_values,
    st.dictionaries(st.sampled_from(["error", "error_description", "code", "message"]),
                    json_values, max_size=3),
)


@st.composite
def truncated_json(draw: st.DrawFn) -> bytes:
    """A valid JSON document cut short somewhere."""
    text = json.dumps(draw(shaped_errors | json_values)).encode()
    return text[: draw(st.integers(0, max(0, len(text) - 1)))]


bodies = st.one_of(
    st.binary(max_size=2048),
    json_values.map(lambda v: json.dumps(v).encode()),
    shaped_errors.map(lambda v: json.dumps(v).encode()),
    truncated_json(),
    st.text(max_size=300).map(lambda t: f"<html><body><h1>{t}</h1></body></html>".encode()),
    st.just(b""),
    st.just(b"   \n"),
)
content_types = st.sampled_from([
    "application/vnd.allegro.public.v1+json", "application/json", "text/html; charset=utf-8",
    "text/plain", "application/octet-stream", "", "application/json; charset=utf-16",
])
statuses = st.integers(min_value=400, max_value=599)
auth_headers = st.one_of(
    st.none(),
    st.text(max_size=60).map(lambda t: f"Bearer {t}"),
    st.binary(max_size=60).map(lambda b: f"Bearer a.{b64url(b)}.c"),
    st.builds(lambda claims: f"Bearer {make_jwt(**claims)}",
              st.dictionaries(st.sampled_from(["user_name", "exp", "scope", "client_id", "jti"]),
                              json_values | st.integers(min_value=10**300, max_value=10**310),
                              max_size=5)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=bodies, ctype=content_types, auth=auth_headers)
def test_error_for_response_never_raises(
    status: int, body: bytes, ctype: str, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth and auth.isprintable() else {}
    try:
        request = httpx.Request("POST", "https://api.allegro.pl/sale/x", headers=headers)
    except (UnicodeEncodeError, httpx.LocalProtocolError):
        request = httpx.Request("POST", "https://api.allegro.pl/sale/x")
    response = httpx.Response(status, content=body, headers={"content-type": ctype},
                              request=request)
    exc = error_for_response(response)
    assert isinstance(exc, APIError) and exc.status_code == status
    assert isinstance(str(exc), str) and isinstance(repr(exc), str)
    assert isinstance(exc.message, str)
    parse_error_body(body, ctype)


def _call(status: int, body: bytes, ctype: str) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": ctype})

    async def go() -> Any:
        async with AllegroClient("fuzz-token-xyz", transport=httpx.MockTransport(handler),
                                 **BARE) as client:
            return await client.request("GET", "/fuzz")

    return asyncio.run(go())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=st.sampled_from([200, 201, 202, 204, 400, 404, 422, 500, 503]), body=bodies,
       ctype=content_types)
def test_request_on_junk_raises_only_allegro_errors(status: int, body: bytes, ctype: str) -> None:
    try:
        result = _call(status, body, ctype)
    except AllegroError as exc:
        assert status >= 400 or body.strip(), "an empty 2xx body is None, not an error"
        assert isinstance(str(exc), str)
    else:
        assert status < 400
        expected = json.loads(body) if body.strip() else None
        # compared as JSON text: a body of NaN parses to a float that equals nothing
        assert json.dumps(result, sort_keys=True) == json.dumps(expected, sort_keys=True)


MEGABYTE_BODIES = {
    "json-array-3MB": json.dumps({"errors": [{"code": "X", "message": "m" * 100}] * 25_000}),
    "deep-nesting-1MB": "[" * 1_000_000,
    "deep-object-200k": '{"errors":' * 200_000,
    "html-2MB": "<html>" + "<p>oops</p>" * 200_000,
    "binary-2MB": "\x00\xff" * 1_000_000,
}


@pytest.mark.parametrize("name", list(MEGABYTE_BODIES))
@pytest.mark.parametrize("status", [200, 500])
def test_megabyte_bodies(name: str, status: int) -> None:
    body = MEGABYTE_BODIES[name].encode("utf-8", "surrogateescape")
    try:
        result = _call(status, body, "application/json")
    except AllegroError as exc:
        assert len(str(exc)) < 5_000  # a short excerpt, not the megabytes
    else:
        assert status == 200 and name == "json-array-3MB" and len(result["errors"]) == 25_000


def _service_call(name: str, body: bytes) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async def go() -> Any:
        async with AllegroClient("fuzz-token-xyz", transport=httpx.MockTransport(handler),
                                 **BARE) as client:
            if name == "orders.list":
                return [f async for f in client.orders.list()]
            if name == "orders.events":
                stream = client.orders.events(start="beginning", follow=False)
                async for delivery in stream:
                    return (delivery.id, delivery.type, delivery.key, delivery.event)
                return None
            if name == "products.search_page":
                return await client.products.search_page("mug")
            if name == "shipping_rates.list":
                return await client.shipping_rates.list()
            if name == "offers.count_drafts":
                return await client.offers.count_drafts()
            return await client.offers.get("77")

    return asyncio.run(go())


service_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "events": st.lists(st.dictionaries(st.sampled_from(
            ["id", "type", "occurredAt", "order"]), json_values, max_size=4), max_size=3)
        | json_values,
        "checkoutForms": st.lists(json_values, max_size=2) | json_values,
        "count": json_values, "totalCount": json_values, "products": json_values,
        "nextPage": json_values, "shippingRates": json_values, "offers": json_values,
        "id": json_values}),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["orders.list", "orders.events", "products.search_page",
                             "shipping_rates.list", "offers.count_drafts", "offers.get"]),
       body=service_bodies)
def test_service_methods_on_junk_2xx_raise_only_response_validation_errors(
        name: str, body: Any) -> None:
    # AttributeError, KeyError, TypeError and pydantic errors escaped from the raw .get()s
    from allegro_async.errors import ResponseValidationError

    try:
        _service_call(name, json.dumps(body).encode())
    except ResponseValidationError as exc:
        assert isinstance(str(exc), str) and isinstance(repr(exc), str)
