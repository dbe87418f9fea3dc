"""Checkout forms are built once and served from a cache keyed by everything they are made
of: a change to an order (the seller's fulfillment status, S13) shows on the next read."""

from __future__ import annotations

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator import orders_views


async def test_a_cached_form_shows_the_change_made_after_it_was_read() -> None:
    emulator = Emulator(EmulatorConfig(sellers=1))
    async with emulator.client(0) as client:
        page = await client.request("GET", "/order/checkout-forms",
                                    params={"limit": 100, "status": "READY_FOR_PROCESSING"})
        form = next(f for f in page["checkoutForms"] if f["fulfillment"]["status"] == "NEW")
        again = await client.request("GET", f"/order/checkout-forms/{form['id']}")
        assert again == form  # served from the cache, unchanged
        await client.request("PUT", f"/order/checkout-forms/{form['id']}/fulfillment",
                             params={"checkoutForm.revision": form["revision"]},
                             json={"status": "PROCESSING"})
        after = await client.request("GET", f"/order/checkout-forms/{form['id']}")
    assert after["fulfillment"]["status"] == "PROCESSING"
    assert after["revision"] != form["revision"]
    book, index = emulator.orders.find(form["id"])
    assert after == orders_views._build_form(book, index)  # what building it afresh gives
