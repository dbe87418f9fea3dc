"""Ids are put into URL paths: one carrying '?', '#', a dot segment, an encoded '/' or '.', a
backslash or whitespace would reach the server as a different request (a query, a fragment,
the parent collection, a sub-resource) or as a resource that does not exist, so it is refused.
So is anything that is not an id at all: ``None``, a bool, a float, a list."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.shipping import ShippingRatesSet

CALLS: dict[str, Callable[[AllegroClient, Any], Awaitable[Any]]] = {
    "orders.get": lambda c, i: c.orders.get(i),
    "orders.shipments": lambda c, i: c.orders.shipments(i),
    "orders.set_fulfillment": lambda c, i: c.orders.set_fulfillment(i, "SENT", revision=None),
    "orders.add_shipment": lambda c, i: c.orders.add_shipment(i, "DPD", "W1"),
    "offers.get": lambda c, i: c.offers.get(i),
    "offers.get_raw": lambda c, i: c.offers.get_raw(i),
    "offers.parts": lambda c, i: c.offers.parts(i),
    "offers.patch": lambda c, i: c.offers.patch(i, {"name": "A kettle of 1.7 litres"}),
    "offers.copy_as_draft": lambda c, i: c.offers.copy_as_draft(i),
    "offers.delete_draft": lambda c, i: c.offers.delete_draft(i),
    "products.get": lambda c, i: c.products.get(i),
    "shipping_rates.get": lambda c, i: c.shipping_rates.get(i),
    "shipping_rates.update": lambda c, i: c.shipping_rates.update(
        i, ShippingRatesSet(name="Parcels", rates=[])),
    "offer_variants.get": lambda c, i: c.offer_variants.get(i),
    "offer_variants.delete": lambda c, i: c.offer_variants.delete(i),
}

#: '%2F' and '%2e%2e' were sent as written and decoded by the server ('/sale/product-offers/
#: 1%2Fparts' reached .../1/parts); whitespace and non-ids were sent too ('.../None').
BAD = ["1?x=2", "1#x", "..", ".", "1%2Fparts", "%2e%2e", "1\\parts", " 1", "1\n", None, True,
       1.5, ["1"]]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_ids_that_would_change_the_url_are_refused(call: str, bad: object) -> None:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail(f"no request may be sent: {r.url}"))) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(InvalidArgumentError):
                await CALLS[call](client, bad)
