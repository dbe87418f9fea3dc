"""A JSON answer that fails its model below the top level keeps its data: validated where it
validates, kept as sent where not, and one WARNING per (model, location). Only a body that is
not JSON, or whose top level has the wrong type, raises (single calls, so respx)."""

from __future__ import annotations

import copy
import datetime
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from allegro_async import AllegroClient, ResponseValidationError
from allegro_async.api import _base, _runtime
from allegro_async.api._runtime import strict_parsing
from allegro_async.api.models.common import Price

ORDERS = "https://api.allegro.pl/order/checkout-forms"
FORM_ID = "29738e61-7f6a-11e8-ac45-09db60ede9d6"


def _form(number: int) -> dict[str, Any]:
    price = {"amount": "10.00", "currency": "PLN"}
    return {
        "id": f"00000000-0000-4000-8000-00000000000{number}",
        "buyer": {"id": "b-1", "email": "b@example.com", "login": "buyer", "guest": False},
        "status": "READY_FOR_PROCESSING",
        "lineItems": [{
            "id": f"00000000-0000-4000-8000-00000000010{number}",
            "offer": {"id": "o-1", "name": "Mug"}, "quantity": 1,
            "originalPrice": price, "price": price, "boughtAt": "2024-05-01T10:00:00Z",
        }],
        "surcharges": [],
        "summary": {"totalToPay": price},
    }


def _page(*forms: dict[str, Any]) -> dict[str, Any]:
    return {"checkoutForms": list(forms), "count": len(forms), "totalCount": len(forms)}


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


@pytest.fixture(autouse=True)
def _lenient_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_base, "_warned", set())  # each test sees its first warning
    with strict_parsing(False):  # what users get (the suite is strict by default)
        yield


@respx.mock
async def test_one_odd_field_keeps_the_page(client: AllegroClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    odd = _form(1)
    odd["lineItems"][0]["boughtAt"] = "yesterday"
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=_page(odd, _form(2))))
    with caplog.at_level(logging.WARNING, logger="allegro_async"):
        page = await client.api.order_management.get_list_of_orders()
    assert page.count == 2
    first, second = page.checkout_forms
    item = first.line_items[0]
    assert item.bought_at == "yesterday"  # kept as sent
    assert isinstance(item.price, Price) and item.offer.name == "Mug"  # the rest validated
    assert isinstance(second.line_items[0].bought_at, datetime.datetime)
    [record] = [r for r in caplog.records if r.name == "allegro_async"]
    assert record.levelno == logging.WARNING
    assert "CheckoutForms" in record.getMessage()
    assert "checkoutForms[].lineItems[].boughtAt" in record.getMessage()


@respx.mock
async def test_the_same_odd_field_is_logged_once(client: AllegroClient,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    odd = _form(1)
    odd["lineItems"][0]["quantity"] = "many"
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=_page(odd, copy.deepcopy(odd))))
    with caplog.at_level(logging.WARNING, logger="allegro_async"):
        await client.api.order_management.get_list_of_orders()
        page = await client.api.order_management.get_list_of_orders()
    assert [f.line_items[0].quantity for f in page.checkout_forms] == ["many", "many"]
    assert len([r for r in caplog.records if r.name == "allegro_async"]) == 1


@respx.mock
async def test_odd_fields_past_the_warning_cap_are_not_logged(
    client: AllegroClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one registry for the generated layer's warnings: a field kept as sent is counted
    # against the cap that bounds unknown tags, so a drifting server cannot flood the log
    monkeypatch.setattr(_base, "_WARN_LIMIT", 1)
    forms = [_form(1), _form(2)]
    forms[0]["lineItems"][0]["quantity"] = "many"
    forms[1]["lineItems"][0]["boughtAt"] = "yesterday"
    respx.get(ORDERS).mock(side_effect=[httpx.Response(200, json=_page(f)) for f in forms])
    with caplog.at_level(logging.WARNING, logger="allegro_async"):
        first = await client.api.order_management.get_list_of_orders()
        second = await client.api.order_management.get_list_of_orders()
    assert first.checkout_forms[0].line_items[0].quantity == "many"
    assert second.checkout_forms[0].line_items[0].bought_at == "yesterday"  # still kept
    [record] = [r for r in caplog.records if r.name == "allegro_async"]
    assert "lineItems[].quantity" in record.getMessage()


@respx.mock
async def test_a_missing_required_field_is_none_and_the_rest_kept(client: AllegroClient) -> None:
    form = _form(1)
    del form["summary"]
    form["addedLater"] = {"x": 1}
    respx.get(f"{ORDERS}/{FORM_ID}").mock(return_value=httpx.Response(200, json=form))
    got = await client.api.order_management.get_orders_details(id=FORM_ID)
    assert got.summary is None
    assert got.buyer.login == "buyer"
    assert got.model_extra == {"addedLater": {"x": 1}}


@pytest.mark.parametrize("body", [[_form(1)], "text", 7, None])
@respx.mock
async def test_a_body_of_the_wrong_type_still_raises(client: AllegroClient, body: Any) -> None:
    respx.get(f"{ORDERS}/{FORM_ID}").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ResponseValidationError):
        await client.api.order_management.get_orders_details(id=FORM_ID)


@respx.mock
async def test_a_body_that_is_not_json_still_raises(client: AllegroClient) -> None:
    respx.get(f"{ORDERS}/{FORM_ID}").mock(return_value=httpx.Response(
        200, text="{checkoutForms: oops", headers={"content-type": "application/json"}))
    with pytest.raises(ResponseValidationError, match="expected JSON"):
        await client.api.order_management.get_orders_details(id=FORM_ID)


@respx.mock
async def test_strict_parsing_raises_on_the_odd_field(client: AllegroClient) -> None:
    odd = _form(1)
    odd["lineItems"][0]["boughtAt"] = "yesterday"
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=_page(odd)))
    with strict_parsing(), pytest.raises(ResponseValidationError, match="boughtAt"):
        await client.api.order_management.get_list_of_orders()
    assert not _runtime.STRICT_PARSING  # restored after the block

