"""The modelled areas' routes pass the same spec checks as the spec-driven ones: the classes a
schema-driven fuzzer found (500 on malformed bodies, junk fields stored and returned, requests
outside the spec accepted) are refused or dropped in one place for every route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator

HEADERS = {"Accept": PUBLIC_MEDIA_TYPE, "Content-Type": PUBLIC_MEDIA_TYPE}
BAD = {"x-emulator-expect-invalid": "1"}


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
async def raw(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
            transport=emulator.transport(), base_url="http://emulator",
            headers={**HEADERS, "Authorization": f"Bearer {emulator.mint_token(0)}"}) as c:
        yield c


async def _form_id(raw: httpx.AsyncClient) -> str:
    page = (await raw.get("/order/checkout-forms", params={"limit": 1})).json()
    form_id: str = page["checkoutForms"][0]["id"]
    return form_id


async def test_shipment_with_non_object_line_items_is_422_not_500(
        emulator: Emulator, raw: httpx.AsyncClient) -> None:
    form = await _form_id(raw)
    response = await raw.post(f"/order/checkout-forms/{form}/shipments", headers=BAD,
                              json={"carrierId": "DPD", "waybill": "W1", "lineItems": ["x", 1]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"].startswith("lineItems[0]")
    assert emulator.stats.by_status.get(500, 0) == 0
    shipments = (await raw.get(f"/order/checkout-forms/{form}/shipments")).json()
    assert shipments["shipments"] == []


async def test_accept_language_outside_the_enum_is_refused_on_a_modelled_route(
        raw: httpx.AsyncClient) -> None:
    response = await raw.get("/order/events", headers={"Accept-Language": "de-DE", **BAD})
    assert response.status_code == 422  # GET /order/events documents 422, not 400
    error = response.json()["errors"][0]
    assert error["path"] == "Accept-Language" and "pl-PL" in error["message"]
    assert (await raw.get("/order/events", headers={"Accept-Language": "pl-PL"})).is_success


async def test_malformed_query_parameter_is_400_and_out_of_range_422(
        raw: httpx.AsyncClient) -> None:
    malformed = await raw.get("/order/checkout-forms", params={"limit": "ten"}, headers=BAD)
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["path"] == "limit"
    too_many = await raw.get("/order/checkout-forms", params={"limit": 101}, headers=BAD)
    assert too_many.status_code == 422


async def test_a_body_in_another_media_type_is_refused_with_a_documented_status(
        raw: httpx.AsyncClient) -> None:
    form = await _form_id(raw)
    response = await raw.post(f"/order/checkout-forms/{form}/shipments",
                              content=b'{"carrierId":"DPD","waybill":"W1"}',
                              headers={"Content-Type": "text/plain", **BAD})
    assert response.status_code == 400  # the operation documents 400, not 415
    assert response.json()["errors"][0]["code"] == "UnsupportedMediaTypeException"


async def test_unknown_fields_in_a_patch_are_not_stored(emulator: Emulator,
                                                        raw: httpx.AsyncClient) -> None:
    listing = (await raw.get("/sale/offers", params={"limit": 1})).json()
    offer_id = listing["offers"][0]["id"]
    patch: dict[str, Any] = {
        "stock": {"available": 7, "junk": "x"},
        "delivery": {"handlingTime": "PT24H", "junk": {"deep": 1}},
        "taxSettings": {"rates": [{"rate": "23.00", "countryCode": "PL", "junk": 1}],
                        "junk": True},
        "junkTop": 1,
    }
    response = await raw.patch(f"/sale/product-offers/{offer_id}", json=patch, headers=BAD)
    assert response.status_code in (200, 202), response.text
    stored = (await raw.get(f"/sale/product-offers/{offer_id}")).json()
    assert stored["stock"]["available"] == 7
    text = repr(stored)
    assert "junk" not in text
    assert stored["taxSettings"]["rates"][0]["countryCode"] == "PL"


async def test_a_token_without_the_operations_scope_is_403(emulator: Emulator) -> None:
    token = emulator.mint_token(0, scopes=["allegro:api:orders:read"])
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator",
                                 headers={**HEADERS, "Authorization": f"Bearer {token}"}) as c:
        assert (await c.get("/order/events")).is_success
        refused = await c.get("/sale/offers")
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


async def test_a_path_outside_the_spec_is_404_and_a_spec_path_is_answered(
        emulator: Emulator) -> None:
    token = emulator.mint_token(0, scopes=["allegro:api:messaging"])
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator",
                                 headers={**HEADERS, "Authorization": f"Bearer {token}"}) as c:
        answered = await c.post("/messaging/messages", json={
            "recipient": {"login": "buyer-1"}, "text": "Hello",
            "order": {"id": "3f2c5a8e-2b7e-4c1a-9d7e-0b6b8b7a1c11"}})
        missing = await c.post("/messaging/nothing-here", json={})
    assert answered.status_code == 201, answered.text
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "NotFoundException"
