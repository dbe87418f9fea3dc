"""Ids are put into URL paths: one carrying '?', '#' or a dot segment would reach the server
as a different request (a query, a fragment, the parent collection), so it is refused."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.shipping import ShippingRatesSet

CALLS: dict[str, Callable[[AllegroClient, str], Awaitable[Any]]] = {
    "orders.get": lambda c, i: c.orders.get(i),
    "offers.get": lambda c, i: c.offers.get(i),
    "offers.delete_draft": lambda c, i: c.offers.delete_draft(i),
    "products.get": lambda c, i: c.products.get(i),
    "shipping_rates.get": lambda c, i: c.shipping_rates.get(i),
    "shipping_rates.update": lambda c, i: c.shipping_rates.update(
        i, ShippingRatesSet(name="Parcels", rates=[])),
    "offer_variants.get": lambda c, i: c.offer_variants.get(i),
}


@pytest.mark.parametrize("bad", ["1?x=2", "1#x", "..", "."])
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_ids_that_would_change_the_url_are_refused(call: str, bad: str) -> None:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail(f"no request may be sent: {r.url}"))) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(InvalidArgumentError):
                await CALLS[call](client, bad)
