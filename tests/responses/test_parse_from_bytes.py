"""A typed answer is validated by pydantic-core straight from the response bytes: the body is
not decoded to Python objects first, and a page is validated once on the happy path; only a
body that fails (lenient or strict) is decoded with ``json.loads`` (single calls, so respx)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from allegro_async import AllegroClient, ResponseValidationError, _response
from allegro_async.api import _base
from allegro_async.api._runtime import strict_parsing
from allegro_async.api.models.order_management import CheckoutForms

ORDERS = "https://api.allegro.pl/order/checkout-forms"
_PRICE = {"amount": "10.00", "currency": "PLN"}
_FORM = {
    "id": "29738e61-7f6a-11e8-ac45-09db60ede9d6",
    "buyer": {"id": "b-1", "email": "b@example.com", "login": "buyer", "guest": False},
    "status": "READY_FOR_PROCESSING",
    "lineItems": [{
        "id": "00000000-0000-4000-8000-000000000101", "offer": {"id": "o-1", "name": "Mug"},
        "quantity": 1, "originalPrice": _PRICE, "price": _PRICE,
        "boughtAt": "2024-05-01T10:00:00Z",
    }],
    "surcharges": [],
    "summary": {"totalToPay": _PRICE},
}
PAGE: dict[str, Any] = {"checkoutForms": [_FORM], "count": 1, "totalCount": 1}


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


@pytest.fixture
def loads_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every body ``json.loads`` decodes in the response layer."""
    seen: list[bytes] = []
    real = json.loads

    def counting(text: Any, **kwargs: Any) -> Any:
        seen.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(_response.json, "loads", counting)
    yield seen


@pytest.mark.parametrize("strict", [True, False])
@respx.mock
async def test_a_matching_page_is_never_decoded_to_python(
        client: AllegroClient, loads_calls: list[bytes], strict: bool) -> None:
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=PAGE))
    with strict_parsing(strict):
        page = await client.api.order_management.get_list_of_orders()
    assert page.checkout_forms[0].id == PAGE["checkoutForms"][0]["id"]
    assert loads_calls == []


@respx.mock
async def test_request_with_cast_to_validates_the_bytes(
        client: AllegroClient, loads_calls: list[bytes]) -> None:
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=PAGE))
    page = await client.request("GET", "/order/checkout-forms", cast_to=CheckoutForms)
    assert page.total_count == 1
    assert loads_calls == []


@respx.mock
async def test_a_page_failing_below_the_top_is_validated_once_then_built(
        client: AllegroClient, loads_calls: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "_warned", set())
    whole: list[object] = []
    real = CheckoutForms.model_validate.__func__  # type: ignore[attr-defined]

    def counting(cls: type[CheckoutForms], data: Any, **kwargs: Any) -> Any:
        whole.append(data)
        return real(cls, data, **kwargs)

    monkeypatch.setattr(CheckoutForms, "model_validate", classmethod(counting))
    respx.get(ORDERS).mock(return_value=httpx.Response(
        200, json={**PAGE, "count": {"not": "a number"}}))
    with strict_parsing(False):
        page = await client.api.order_management.get_list_of_orders()
    assert page.count == {"not": "a number"}  # kept as sent
    assert page.checkout_forms[0].id == PAGE["checkoutForms"][0]["id"]
    assert whole == []  # the bytes failed once; the page is not validated again as a whole
    assert len(loads_calls) == 1


@respx.mock
async def test_strict_failure_still_names_the_field(client: AllegroClient) -> None:
    respx.get(ORDERS).mock(return_value=httpx.Response(
        200, json={**PAGE, "count": {"not": "a number"}}))
    with strict_parsing(True), pytest.raises(ResponseValidationError, match="count"):
        await client.api.order_management.get_list_of_orders()


@respx.mock
async def test_text_pydantic_refuses_but_json_reads_keeps_the_policy(
        client: AllegroClient) -> None:
    # NaN is not JSON to pydantic-core; json.loads reads it, as the client always did
    respx.get(ORDERS).mock(return_value=httpx.Response(
        200, content=b'{"checkoutForms": [], "count": 0, "totalCount": NaN}',
        headers={"content-type": "application/json"}))
    with strict_parsing(False):
        page = await client.api.order_management.get_list_of_orders()
    assert page.count == 0
