"""Every public service method that reads a 2xx body raises ResponseValidationError, and
nothing else, for a body the spec does not allow: null, a list, a string, a number, text that
is not JSON, or an object with a field missing or of the wrong type."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import ResponseValidationError, WalkStalledError

FORM = "29d6a7b0-1c1e-11ef-9c3b-0242ac120002"  # checkout form ids are UUIDs

Call = Callable[[AllegroClient], Awaitable[Any]]

NOT_OBJECTS: list[Any] = [None, [], [{"id": "1"}], "a string", 42, 3.5, True]
EVENT = {"id": "e1", "type": "BOUGHT", "occurredAt": "2026-01-01T00:00:00.000Z",
         "order": {"checkoutForm": {"id": "f1"}}}


async def _first(items: Any) -> Any:
    async for item in items:
        return item
    return None


async def _all(items: Any) -> list[Any]:
    return [item async for item in items]


async def _event(client: AllegroClient, start: str = "beginning") -> Any:
    stream = client.orders.events(start=start, follow=False)
    return await _first(stream)


async def _event_model(client: AllegroClient) -> Any:
    delivery = await _event(client)
    return delivery.event  # built lazily from the raw JSON


OFFER = {"name": "A title long enough", "stock": {"available": 1}}  # stock: required (spec)
LOCATION = "https://api.allegro.pl/sale/product-offers/77/operations/op-1"

#: name -> (the call, bodies of the right JSON type that the spec still does not allow)
METHODS: dict[str, tuple[Call, list[Any]]] = {
    "orders.list": (lambda c: _all(c.orders.list()), [
        {}, {"checkoutForms": "x", "count": 0, "totalCount": 0},
        {"checkoutForms": [{"id": 7}], "count": 1, "totalCount": 1},
        {"checkoutForms": [], "count": "none", "totalCount": 0}]),
    "orders.get": (lambda c: c.orders.get(FORM), [{}, {"id": "f1"}, {"id": 5}]),
    "orders.shipments": (lambda c: c.orders.shipments(FORM), [
        {"shipments": "x"}, {"shipments": [1]}]),
    "orders.carriers": (lambda c: c.orders.carriers(), [{"carriers": {"id": "x"}}]),
    "orders.add_shipment": (lambda c: c.orders.add_shipment(FORM, "DPD", "W1"), [
        {"waybill": {}}, {"lineItems": "all"}]),
    "orders.events": (_event, [
        {}, {"events": "x"}, {"events": [{"type": "BOUGHT"}]},
        {"events": [{**EVENT, "id": None}]}, {"events": [{**EVENT, "id": ""}]},
        {"events": [{**EVENT, "type": 5}]}, {"events": [{**EVENT, "order": []}]},
        {"events": [{**EVENT, "order": {"checkoutForm": "f1"}}]},
        {"events": [{**EVENT, "occurredAt": None}]}, {"events": [7]}]),
    "orders.events(start=now)": (lambda c: _event(c, "now"), [
        {"latestEvent": "e1"}, {"latestEvent": {"id": 5}}]),
    "EventDelivery.event": (_event_model, [{"events": [EVENT]}]),
    "products.search_page": (lambda c: c.products.search_page("mug"), [
        {}, {"products": "x"}, {"products": None}, {"products": [{"id": "p"}]},
        {"products": [], "nextPage": "p2"}, {"products": [], "nextPage": []}]),
    "products.by_ean": (lambda c: c.products.by_ean("5901234123457"), [{"products": {}}]),
    "products.get": (lambda c: c.products.get("p1"), [
        {}, {"id": "p1"}, {"id": "p1", "name": "Mug", "category": "c"}]),
    "shipping_rates.list": (lambda c: c.shipping_rates.list(), [
        # null is read as no price lists (nulls are accepted); a list entry without id is not
        {"shippingRates": "x"}, {"shippingRates": [{"name": "x"}]},
        {"shippingRates": [{"id": "s", "marketplaces": "allegro-pl"}]}]),
    "shipping_rates.count": (lambda c: c.shipping_rates.count(), [{"shippingRates": {}}]),
    "shipping_rates.get": (lambda c: c.shipping_rates.get("s1"), [
        {}, {"rates": "x"}, {"rates": [{"deliveryMethod": {"id": "d"}}]}]),
    "shipping_rates.create": (lambda c: c.shipping_rates.create({"name": "Parcels",
                                                                 "rates": []}), [{}]),
    "shipping_rates.update": (lambda c: c.shipping_rates.update("s1", {"name": "Parcels",
                                                                       "rates": []}),
                              [{}, {"rates": None}]),
    # a number for the id is read as text (the generated models accept numbers as text)
    "user.me": (lambda c: c.user.me(), [{}, {"login": "x"}, {"id": "1", "features": "x"}]),
    "offers.list": (lambda c: _all(c.offers.list()), [
        {"offers": "x"}, {"offers": [{"name": "no id"}]}, {"offers": [], "totalCount": "x"}]),
    "offers.count_drafts": (lambda c: c.offers.count_drafts(), [
        {}, {"offers": [], "count": 0}, {"totalCount": "many"}, {"totalCount": None}]),
    "offers.get": (lambda c: c.offers.get("77"), [{}, {"id": "77", "stock": "x"},
                                                   {"id": {"n": 77}}]),
    "offers.get_raw": (lambda c: c.offers.get_raw("77"), []),
    "offers.copy_as_draft": (lambda c: c.offers.copy_as_draft("77"), []),
    "offers.parts": (lambda c: c.offers.parts("77"), [{}, {"id": "77", "stock": 5}]),
    "offers.create": (lambda c: c.offers.create(OFFER), [{}, {"id": ["77"]}]),
    "offers.patch": (lambda c: c.offers.patch("77", OFFER), [{}, {"id": "77", "name": [1]}]),
    "offers.wait_for_operation": (lambda c: c.offers.wait_for_operation(LOCATION), [{}]),
    "offer_variants.list": (lambda c: _all(c.offer_variants.list(user_id="1")), [
        {"offerVariants": "x"}, {"offerVariants": [{"name": "no id"}]},
        {"offerVariants": [], "count": "x"}]),
    "offer_variants.get": (lambda c: c.offer_variants.get("a" * 8), [
        {}, {"name": "set", "offers": "x", "parameters": []}]),
}

CASES = [
    pytest.param(name, body, id=f"{name}-{json.dumps(body)[:40]}")
    for name, (_, mistyped) in METHODS.items()
    for body in [*NOT_OBJECTS, *mistyped]
] + [pytest.param(name, b"<html>busy</html>", id=f"{name}-not-json") for name in METHODS]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the legacy offer-variants (S22)
@pytest.mark.parametrize(("name", "body"), CASES)
async def test_malformed_2xx_body_raises_response_validation_error(name: str, body: Any) -> None:
    call, _ = METHODS[name]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=content,
                              headers={"content-type": "application/vnd.allegro.public.v1+json",
                                       "trace-id": "trace-1"})

    async with AllegroClient(access_token="token-abcdef", throttle=False, retry=False,
                             transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await call(client)
    assert sent, "the method must have read a response"
    if name != "EventDelivery.event":  # built later, from the page already read
        assert caught.value.trace_id == "trace-1"
    assert type(caught.value.__cause__) is not AttributeError  # no raw error underneath


async def test_a_well_formed_event_page_is_still_delivered() -> None:
    # the counterpart of the cases above: the checks refuse only what the spec refuses
    body = {"events": [EVENT]}
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body if "events" in
                                                             r.url.path else {}))
    async with AllegroClient(access_token="token-abcdef", throttle=False, retry=False,
                             transport=transport) as client:
        delivery = await _event(client)
    assert delivery.id == "e1" and delivery.checkout_form_id == "f1"


async def test_an_event_page_ending_where_it_started_does_not_spin() -> None:
    # A server answering from=e1 with e1 again would be asked for the same page forever.
    calls: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("from"))
        return httpx.Response(200, json={"events": [EVENT]})

    async with AllegroClient(access_token="token-abcdef", throttle=False, retry=False,
                             transport=httpx.MockTransport(answer)) as client:
        stream = client.orders.events(start="beginning", follow=False)
        assert (await _first(stream)).id == "e1"
        with pytest.raises(WalkStalledError, match="cursor_repeated") as caught:
            await _first(stream)
    assert calls == [None, "e1"]
    assert caught.value.cursor == "e1" and caught.value.yielded == 1
