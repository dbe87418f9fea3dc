"""Per-call options on every generated method, its ``iter_`` twin and its raw twin: extra
headers and query values, the timeout and the retry count (single calls, so respx)."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest
import respx

from allegro_async import AllegroClient, InvalidArgumentError
from allegro_async._response import APIResponse
from allegro_async.api import OPERATIONS
from tests.api.test_lenient_parsing import _form

API = "https://api.allegro.pl"
ORDERS = f"{API}/order/checkout-forms"
EMPTY = {"checkoutForms": [_form(1)], "count": 1, "totalCount": 1}


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


@respx.mock
async def test_extra_headers_add_override_and_remove(client: AllegroClient) -> None:
    route = respx.get(f"{API}/order/carriers/ALLEGRO/points").mock(
        return_value=httpx.Response(200, json={"points": []}))
    await client.api.order_management.get_allegro_pickup_drop_off_points(
        accept_language="pl-PL",
        extra_headers={"X-Debug": "1", "accept-language": None},
    )
    sent = route.calls.last.request.headers
    assert sent["x-debug"] == "1"
    assert "accept-language" not in sent  # the method's own header, removed by None


@respx.mock
async def test_extra_query_adds_values_as_the_argument_layer_writes_them(
    client: AllegroClient,
) -> None:
    route = respx.get(ORDERS).mock(return_value=httpx.Response(200, json=EMPTY))
    await client.api.order_management.get_list_of_orders(
        limit=5, status="BOUGHT",
        extra_query={"newFilter": True, "ids": ["a", "b"], "status": None},
    )
    params = route.calls.last.request.url.params
    assert params["newFilter"] == "true"
    assert params.get_list("ids") == ["a", "b"]
    assert "status" not in params  # the method's own value, removed by None
    assert params["limit"] == "5"


@respx.mock
async def test_timeout_reaches_the_request(client: AllegroClient) -> None:
    route = respx.get(ORDERS).mock(return_value=httpx.Response(200, json=EMPTY))
    await client.api.order_management.get_list_of_orders(timeout=2.5)
    assert route.calls.last.request.extensions["timeout"]["read"] == 2.5


async def test_max_retries_is_passed_on_only_when_given(
    client: AllegroClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[str, Any]] = []

    async def request_raw(method: str, path: str, **kwargs: Any) -> APIResponse:
        seen.append(kwargs)
        request = httpx.Request(method, API + path)
        return APIResponse(httpx.Response(200, json=EMPTY, request=request))

    monkeypatch.setattr(client, "request_raw", request_raw)
    await client.api.order_management.get_list_of_orders(max_retries=0)
    await client.api.order_management.get_list_of_orders()
    assert seen[0]["max_retries"] == 0
    assert "max_retries" not in seen[1] and "timeout" not in seen[1]


@respx.mock
async def test_iter_twin_sends_the_options_with_every_page(client: AllegroClient) -> None:
    pages = [{"checkoutForms": [_form(n)], "count": 1, "totalCount": 2} for n in (1, 2)]
    route = respx.get(ORDERS).mock(side_effect=[httpx.Response(200, json=p) for p in pages])
    walk = client.api.order_management.iter_get_list_of_orders(
        limit=1, extra_headers={"X-Walk": "w-1"})
    assert len([form async for form in walk]) == 2
    assert [c.request.headers["x-walk"] for c in route.calls] == ["w-1", "w-1"]


@respx.mock
async def test_raw_twin_takes_the_options(client: AllegroClient) -> None:
    route = respx.get(ORDERS).mock(return_value=httpx.Response(200, json=EMPTY))
    raw = await client.api.order_management.with_raw_response.get_list_of_orders(
        extra_headers={"X-Raw": "yes"})
    assert raw.status_code == 200
    assert route.calls.last.request.headers["x-raw"] == "yes"


def test_every_method_and_twin_takes_the_options(client: AllegroClient) -> None:
    missing = []
    for operation in OPERATIONS.values():
        area, name = operation.name.split(".")
        group = getattr(client.api, area)
        for method in (getattr(group, name), getattr(group, f"iter_{name}", None),
                       getattr(group.with_raw_response, name)):
            if method is None:
                continue
            kinds = {p.name: p.kind for p in inspect.signature(method).parameters.values()}
            if kinds.get("options") is not inspect.Parameter.VAR_KEYWORD:
                missing.append(f"{operation.name} ({method})")
    assert not missing, missing


@pytest.mark.parametrize(("options", "field"), [
    ({"stauts": "BOUGHT"}, "stauts"),  # a misspelt parameter is not dropped silently
    ({"extra_header": {"X": "1"}}, "extra_header"),
    ({"extra_headers": {"X-Count": 3}}, "extra_headers"),
    ({"max_retries": -1}, "max_retries"),
    ({"max_retries": True}, "max_retries"),
])
async def test_bad_options_are_refused_before_sending(
    client: AllegroClient, options: dict[str, Any], field: str,
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(ORDERS)
        with pytest.raises(InvalidArgumentError, match=field) as caught:
            await client.api.order_management.get_list_of_orders(**options)
        assert caught.value.field == field
        assert not route.called


async def test_a_misspelt_keyword_of_an_iter_twin_is_refused(client: AllegroClient) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(ORDERS)
        with pytest.raises(InvalidArgumentError, match="stauts"):
            await client.api.order_management.iter_get_list_of_orders(stauts="x").first_page()
        assert not route.called


@respx.mock
async def test_query_names_are_case_sensitive(client: AllegroClient) -> None:
    route = respx.get(ORDERS).mock(return_value=httpx.Response(200, json=EMPTY))
    await client.api.order_management.get_list_of_orders(limit=5, extra_query={"LIMIT": "x"})
    params = route.calls.last.request.url.params
    assert (params["limit"], params["LIMIT"]) == ("5", "x")
