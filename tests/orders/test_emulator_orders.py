"""The emulator's orders area at the HTTP level: each S/A behaviour as Allegro shows it."""

from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_async import AllegroClient
from allegro_async.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from allegro_async.models.events import OrderEventType
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.conformance import EXPECT_INVALID_HEADER
from allegro_async.testing.emulator.orders import OrdersConfig

from .conftest import first_of, schema_errors, small_emulator

#: Marks a request that is bad on purpose, so the conformance recorder does not warn about it.
_EXPECT_INVALID = {EXPECT_INVALID_HEADER: "1"}


async def _all_events(client: AllegroClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = await client.request("GET", "/order/events", params=params)
        if not page["events"]:
            return out
        out += page["events"]
        params["from"] = page["events"][-1]["id"]


async def test_s9_every_order_has_an_event_and_some_only_ready(oclient: AllegroClient) -> None:
    events = await _all_events(oclient)
    by_form: dict[str, set[str]] = defaultdict(set)
    for event in events:
        by_form[event["order"]["checkoutForm"]["id"]].add(event["type"])
    listed = [f async for f in oclient.orders.list()]
    assert listed and all(form.id in by_form for form in listed)
    assert any(types == {"READY_FOR_PROCESSING"} for types in by_form.values())


async def test_s10_same_type_for_one_payment_told_apart_by_form_id(
    orders_emulator: Emulator, oclient: AllegroClient
) -> None:
    book = orders_emulator.orders.book(0)
    source = next(iter(book.combined_into))
    target = book.combined_into[source]
    assert book.payment_id(source) == book.payment_id(target)
    events = await _all_events(oclient)
    bought = [e["order"]["checkoutForm"]["id"] for e in events if e["type"] == "BOUGHT"]
    assert book.form_id(source) in bought and book.form_id(target) in bought


async def test_s11_filled_in_can_come_before_bought(oclient: AllegroClient) -> None:
    events = await _all_events(oclient)
    first_type: dict[str, str] = {}
    for event in events:
        first_type.setdefault(event["order"]["checkoutForm"]["id"], event["type"])
    assert "FILLED_IN" in first_type.values()


async def test_s12_combined_form_answers_404_and_shares_payment(
    orders_emulator: Emulator, oclient: AllegroClient
) -> None:
    first = await first_of(oclient.orders.list(status="READY_FOR_PROCESSING"))
    new_id = orders_emulator.orders.combine(first.id)
    with pytest.raises(NotFoundError):
        await oclient.request("GET", f"/order/checkout-forms/{first.id}")
    new = await oclient.orders.get(new_id)
    assert new.payment is not None and first.payment is not None
    assert new.payment.id == first.payment.id


async def test_s13_stale_revision_is_409_and_current_one_works(oclient: AllegroClient,
                                                               orders_emulator: Emulator) -> None:
    form = await first_of(oclient.orders.list(status="READY_FOR_PROCESSING"))
    orders_emulator.orders.buyer_cancels(form.id)
    with pytest.raises(ConflictError):
        await oclient.request("PUT", f"/order/checkout-forms/{form.id}/fulfillment",
                              params={"checkoutForm.revision": form.revision},
                              json={"status": "PROCESSING"})
    fresh = await oclient.orders.get(form.id)
    assert fresh.revision != form.revision
    await oclient.request("PUT", f"/order/checkout-forms/{form.id}/fulfillment",
                          params={"checkoutForm.revision": fresh.revision},
                          json={"status": "CANCELLED"})


async def test_s14_waybill_sets_sent_only_for_sellers_with_the_option(
    orders_emulator: Emulator,
) -> None:
    for seller, expected in ((0, "NEW"), (1, "SENT")):
        async with orders_emulator.client(seller) as client:
            form = await first_of(client.orders.list(fulfillment_status="NEW"))
            await client.request("POST", f"/order/checkout-forms/{form.id}/shipments",
                                 json={"carrierId": "INPOST", "waybill": "6200000000001"})
            after = await client.request("GET", f"/order/checkout-forms/{form.id}")
            assert after["fulfillment"]["status"] == expected
            shipments = await client.request(
                "GET", f"/order/checkout-forms/{form.id}/shipments")
            assert [s["waybill"] for s in shipments["shipments"]] == ["6200000000001"]
            assert not schema_errors("CheckoutFormOrderWaybillResponse", shipments)


async def test_s15_checkout_form_ids_are_unique() -> None:
    emulator = small_emulator(orders_per_seller=2000)
    ids = [emulator.orders.book(s).form_id(i) for s in range(3) for i in range(2000)]
    assert len(set(ids)) == len(ids)


async def test_s16_filter_by_line_items_sent(orders_emulator: Emulator,
                                             oclient: AllegroClient) -> None:
    form = await first_of(oclient.orders.list(fulfillment_status="NEW"))
    item = form.line_items[0].id
    await oclient.request("POST", f"/order/checkout-forms/{form.id}/shipments",
                          json={"carrierId": "DPD", "waybill": "W1", "lineItems": [{"id": item}]})
    totals = {}
    for sent in ("NONE", "SOME", "ALL"):
        page = await oclient.request("GET", "/order/checkout-forms", params={
            "fulfillment.shipmentSummary.lineItemsSent": sent, "limit": 100})
        assert {f["fulfillment"]["shipmentSummary"]["lineItemsSent"]
                for f in page["checkoutForms"]} <= {sent}
        totals[sent] = page["totalCount"]
    everything = await oclient.request("GET", "/order/checkout-forms", params={"limit": 1})
    assert sum(totals.values()) == everything["totalCount"]
    expected = "ALL" if len(form.line_items) == 1 else "SOME"
    again = await oclient.request("GET", f"/order/checkout-forms/{form.id}")
    assert again["fulfillment"]["shipmentSummary"]["lineItemsSent"] == expected


async def test_a8_duplicates_have_new_ids_same_data_and_limit_bounds(
    oclient: AllegroClient,
) -> None:
    events = await _all_events(oclient)
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        groups[(event["order"]["checkoutForm"]["id"], event["type"],
                event["occurredAt"])].append(event)
    dups = [g for g in groups.values() if len(g) > 1]
    assert dups
    assert all(len({e["id"] for e in g}) == len(g) for g in dups)
    assert all(all(e["order"] == g[0]["order"] for e in g) for g in dups)
    for bad in (0, 1001):
        with pytest.raises(UnprocessableEntityError):
            await oclient.request("GET", "/order/events", params={"limit": bad},
                                  headers=_EXPECT_INVALID)
    types = await oclient.request("GET", "/order/events",
                                  params={"type": ["BUYER_CANCELLED", "BUYER_MODIFIED"]})
    assert {e["type"] for e in types["events"]} <= {"BUYER_CANCELLED", "BUYER_MODIFIED"}


async def test_a8_event_stats_and_60_day_window(orders_emulator: Emulator,
                                                oclient: AllegroClient) -> None:
    stats = await oclient.request("GET", "/order/event-stats")
    assert not schema_errors("OrderEventStats", stats)
    latest = stats["latestEvent"]["id"]
    after = await oclient.request("GET", "/order/events", params={"from": latest})
    assert after["events"] == []
    orders_emulator.clock.advance(61 * 86_400)  # history ends at the start: all past 60 days
    async with orders_emulator.client(0) as later:  # a fresh token: the old one expired
        gone = await later.request("GET", "/order/events")
        assert gone["events"] == []
        form_id = orders_emulator.orders.new_order(0)
        fresh = await later.request("GET", "/order/events")
    assert {e["order"]["checkoutForm"]["id"] for e in fresh["events"]} == {form_id}
    assert "BUYER_MODIFIED" in {t.value for t in OrderEventType}


async def test_a9_offset_plus_limit_over_10000_is_422(oclient: AllegroClient) -> None:
    page = await oclient.request("GET", "/order/checkout-forms",
                                 params={"offset": 9900, "limit": 100})
    assert set(page) == {"checkoutForms", "count", "totalCount"}
    with pytest.raises(UnprocessableEntityError) as caught:
        await oclient.request("GET", "/order/checkout-forms", params={"offset": 9901, "limit": 100})
    assert caught.value.mentions("10000")
    with pytest.raises(UnprocessableEntityError):
        await oclient.request("GET", "/order/checkout-forms", params={"limit": 101},
                              headers=_EXPECT_INVALID)


async def test_a9_filters_and_sort(orders_emulator: Emulator, oclient: AllegroClient) -> None:
    page = await oclient.request("GET", "/order/checkout-forms",
                                 params={"sort": "updatedAt", "limit": 100})
    stamps = [f["updatedAt"] for f in page["checkoutForms"]]
    assert stamps == sorted(stamps)
    one = page["checkoutForms"][5]
    for name, value in (("buyer.login", one["buyer"]["login"]),
                        ("payment.id", one["payment"]["id"]),
                        ("marketplace.id", one["marketplace"]["id"]),
                        ("status", one["status"])):
        found = await oclient.request("GET", "/order/checkout-forms",
                                      params={name: value, "limit": 100, "sort": "updatedAt"})
        assert one["id"] in {f["id"] for f in found["checkoutForms"]}, name
    bought = one["lineItems"][-1]["boughtAt"]
    exact = await oclient.request("GET", "/order/checkout-forms", params={
        "lineItems.boughtAt.gte": bought, "lineItems.boughtAt.lte": bought})
    assert one["id"] in {f["id"] for f in exact["checkoutForms"]}
    window = await oclient.request("GET", "/order/checkout-forms", params={
        "updatedAt.gte": one["updatedAt"], "updatedAt.lte": one["updatedAt"]})
    assert one["id"] in {f["id"] for f in window["checkoutForms"]}


async def test_responses_conform_to_the_spec(orders_emulator: Emulator,
                                             oclient: AllegroClient) -> None:
    forms = await oclient.request("GET", "/order/checkout-forms", params={"limit": 100})
    assert not schema_errors("CheckoutForms", forms)
    events = await oclient.request("GET", "/order/events", params={"limit": 1000})
    assert not schema_errors("OrderEventsList", events)
    carriers = await oclient.request("GET", "/order/carriers")
    assert not schema_errors("OrdersShippingCarriersResponse", carriers)
    created = await oclient.request(
        "POST", f"/order/checkout-forms/{forms['checkoutForms'][0]['id']}/shipments",
        json={"carrierId": "OTHER", "carrierName": "Kurier Zenek", "waybill": "Z1"})
    assert not schema_errors("CheckoutFormAddWaybillCreated", created)


def test_emulator_data_is_deterministic_from_the_seed() -> None:
    a, b = small_emulator(), small_emulator()
    book_a, book_b = a.orders.book(0), b.orders.book(0)
    assert list(book_a.ev_type) == list(book_b.ev_type)
    assert [book_a.form_id(i) for i in range(50)] == [book_b.form_id(i) for i in range(50)]


async def test_a6_an_app_token_reads_carriers_but_not_checkout_forms(
    orders_emulator: Emulator,
) -> None:
    async with orders_emulator.client(None, retry=False) as app:
        carriers = await app.orders.carriers()
        assert "INPOST" in {c.id for c in carriers.carriers}
        with pytest.raises(PermissionDeniedError):
            await app.request("GET", "/order/checkout-forms")


async def test_a9_provider_delivery_method_and_surcharge_filters(oclient: AllegroClient) -> None:
    everything = (await oclient.request("GET", "/order/checkout-forms",
                                        params={"limit": 100}))["checkoutForms"]
    everything += (await oclient.request("GET", "/order/checkout-forms",
                                         params={"limit": 100, "offset": 100}))["checkoutForms"]

    async def ids(**params: str) -> set[str]:
        page = await oclient.request("GET", "/order/checkout-forms",
                                     params={**params, "limit": 100})
        assert page["totalCount"] <= 100
        return {f["id"] for f in page["checkoutForms"]}

    allegro = {f["id"] for f in everything if f["fulfillment"]["provider"]["id"] == "ALLEGRO"}
    assert allegro and len(allegro) < len(everything)
    assert await ids(**{"fulfillment.provider.id": "ALLEGRO"}) == allegro
    method = everything[0]["delivery"]["method"]["id"]
    by_method = {f["id"] for f in everything if f["delivery"]["method"]["id"] == method}
    assert await ids(**{"delivery.method.id": method}) == by_method != {f["id"] for f in everything}
    surcharged = [f for f in everything if f["surcharges"]]
    assert surcharged
    one = surcharged[0]
    assert await ids(**{"surcharges.id": one["surcharges"][0]["id"]}) == {one["id"]}
    assert await ids(**{"surcharges.id": one["payment"]["id"]}) == set()
    assert not schema_errors("CheckoutForm", one)
    with pytest.raises(UnprocessableEntityError):
        await oclient.request("GET", "/order/checkout-forms",
                              params={"fulfillment.provider.id": "NOBODY"})


def test_listing_cache_never_serves_an_old_emulators_book(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from allegro_async.testing.emulator import orders_listing, orders_views

    # CPython reuses a freed object's id(); make every id collide to show what reuse would do.
    monkeypatch.setattr(orders_listing, "id", lambda _: 1, raising=False)
    monkeypatch.setattr(orders_views, "id", lambda _: 1, raising=False)
    for seed in (1, 2, 3):
        emulator = Emulator(EmulatorConfig(seed=seed, orders=OrdersConfig(
            orders_per_seller=40, events_per_seller=0)))
        book = emulator.orders.book(0)
        book.version = 7  # same version and size: only the book itself tells them apart
        page, total = orders_listing.list_forms(book, {}, 0, 100)
        assert total == book.gone.count(0), seed
        assert [book.form_id(i) for i in page] == [
            book.form_id(i) for i in sorted(
                (i for i in range(len(book.bought)) if not book.gone[i]),
                key=lambda i: book.bought[i], reverse=True)]


def test_event_padding_that_cannot_reach_its_target_stops_and_warns() -> None:
    # Before, it spun ~20 s here and came back short without a word.
    with pytest.warns(RuntimeWarning, match="of 100000 events fit"):
        emulator = small_emulator(orders_per_seller=200, events_per_seller=100_000,
                                  history_days=0.05)
        book = emulator.orders.book(0)
    assert 0 < len(book.ev_order) < 100_000


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False))
def test_emulator_timestamps_match_datetime_isoformat(value: float) -> None:
    from allegro_async.testing.emulator.orders_views import _ts

    moment = _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    assert _ts(value) == moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def test_pre_encoded_events_equal_their_json_for_every_journal_entry() -> None:
    from allegro_async.testing.emulator.orders_views import event_bytes, event_json

    # Enough orders that the fragment cache is swept and rebuilt, combined forms included.
    emulator = small_emulator(orders_per_seller=5000, events_per_seller=12_000)
    book = emulator.orders.book(0)
    assert book.combined_from
    for position in range(len(book.ev_order)):
        assert json.loads(event_bytes(book, position)) == event_json(book, position), position


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1), st.integers(0, 2**48 - 1))
def test_emulator_ids_round_trip_and_refuse_a_changed_index(prefix: int, seller: int,
                                                           index: int) -> None:
    from allegro_async.testing.emulator.orders_data import make_id, parse_id

    made = make_id(prefix, seller, index)
    assert len(made) == 36 and made.count("-") == 4
    assert parse_id(prefix, made) == (seller, index)
    forged = make_id(prefix, seller, index ^ 1)[:-6] + made[-6:]  # another index, this check
    if forged != make_id(prefix, seller, index ^ 1):  # unless the two checks collide
        assert parse_id(prefix, forged) is None
