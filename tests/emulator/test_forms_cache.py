"""Checkout forms are built once and served from a cache keyed by everything they are made
of: a change to an order (the seller's fulfillment status, S13) shows on the next read."""

from __future__ import annotations

import pytest

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator import orders_views
from allegro_async.testing.emulator.orders import OrdersConfig


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


def test_the_cache_holds_a_few_pages_however_many_forms_are_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # users run the emulator inside their test suites: a long walk must not keep every form
    monkeypatch.setattr(orders_views, "_FORMS_CACHE", {})
    emulator = Emulator(EmulatorConfig(sellers=1, orders=OrdersConfig(orders_per_seller=2500)))
    book = emulator.orders.book(0)
    for index in range(2500):
        orders_views.form_json(book, index)
    largest_page = 100  # checkout-forms pages hold at most 100 forms
    assert len(orders_views._FORMS_CACHE) <= 10 * largest_page
    # the most recent page is still served from the cache
    assert orders_views.form_json(book, 2499) is orders_views.form_json(book, 2499)
