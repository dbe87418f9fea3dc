"""client.orders: listing past the cap, filters, fulfillment with revisions, shipments."""

from __future__ import annotations

import datetime as _dt

import httpx
import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.errors import IncompleteListingError, InvalidArgumentError
from allegro_async.services.orders import StaleRevisionError
from allegro_async.testing import Emulator

from .conftest import first_of, small_emulator


async def test_a9_list_yields_25000_orders_exactly_once_past_the_cap() -> None:
    emulator = small_emulator(orders_per_seller=25_000)
    book = emulator.orders.book(0)
    expected = {book.form_id(i) for i in range(len(book.bought)) if not book.gone[i]}
    async with emulator.client(0, throttle=False) as client:
        seen = [form.id async for form in client.orders.list(sort="lineItems.boughtAt")]
        total = await client.orders.list().count()
    assert len(seen) == len(set(seen)) == len(expected) == total > 10_000
    assert set(seen) == expected
    offsets = [k for k in emulator.stats.by_route if "checkout-forms" in k]
    assert offsets  # every page went through the listing route, none earned a 422
    assert emulator.stats.by_status.get(422, 0) == 0


async def test_a9_list_descending_with_orders_arriving_and_combined_mid_walk() -> None:
    emulator = small_emulator(orders_per_seller=600)
    async with emulator.client(0) as client:
        before = {f.id async for f in client.orders.list()}
        seen: list[str] = []
        async for page in client.orders.list(page_size=50).pages():
            seen += [f.id for f in page.items]
            emulator.orders.new_order(0)  # lands ahead of a descending walk: not yielded
    assert len(seen) == len(set(seen)) == len(before)
    assert set(seen) == before


async def test_a9_list_sorted_by_updated_does_not_repeat_a_form_updated_mid_walk() -> None:
    emulator = small_emulator(orders_per_seller=300)
    async with emulator.client(0) as client:
        seen: list[str] = []
        async for page in client.orders.list(sort="updatedAt", page_size=100).pages():
            if not seen:
                emulator.orders.buyer_modifies(page.items[0].id)  # moves to the end
            seen += [f.id for f in page.items]
    assert len(seen) == len(set(seen))
    assert len(seen) == emulator.orders.book(0).gone.count(0)


async def test_a9_typed_filters_become_query_parameters() -> None:
    since = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    with respx.mock(base_url="https://api.allegro.pl") as mock:
        route = mock.get("/order/checkout-forms").mock(return_value=httpx.Response(
            200, json={"checkoutForms": [], "count": 0, "totalCount": 0}))
        async with AllegroClient(access_token="t") as client:
            items = [f async for f in client.orders.list(
                status="READY_FOR_PROCESSING", fulfillment_status="NEW", line_items_sent="SOME",
                buyer_login="jan", payment_id="p1", marketplace_id="allegro-cz",
                bought_at_gte=since, updated_at_lte=since, sort="lineItems.boughtAt")]
    assert items == []
    query = dict(route.calls.last.request.url.params)
    assert query["fulfillment.shipmentSummary.lineItemsSent"] == "SOME"
    assert query["status"] == "READY_FOR_PROCESSING"
    assert query["fulfillment.status"] == "NEW"
    assert query["lineItems.boughtAt.gte"] == "2026-01-01T00:00:00Z"
    assert query["updatedAt.lte"] == "2026-01-01T00:00:00Z"
    assert query["buyer.login"] == "jan" and query["payment.id"] == "p1"
    assert query["marketplace.id"] == "allegro-cz" and query["limit"] == "100"


@pytest.mark.parametrize("kwargs, field", [
    ({"line_items_sent": "MOST"}, "line_items_sent"),
    ({"status": "SHIPPED"}, "status"),
    ({"sort": "price"}, "sort"),
    ({"page_size": 101}, "page_size"),
    ({"bought_at_gte": _dt.datetime(2026, 1, 1)}, "bought_at_gte"),
])
async def test_bad_list_arguments_fail_before_any_request(kwargs: dict[str, object],
                                                          field: str) -> None:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail("no request may be sent"))) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            client.orders.list(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


async def test_s13_set_fulfillment_stale_revision_raises_with_the_form_id(
    orders_emulator: Emulator, oclient: AllegroClient,
) -> None:
    form = await first_of(oclient.orders.list(status="READY_FOR_PROCESSING"))
    orders_emulator.orders.buyer_cancels(form.id)
    with pytest.raises(StaleRevisionError) as caught:
        await oclient.orders.set_fulfillment(form.id, "PROCESSING", revision=form.revision)
    assert caught.value.form_id == form.id and caught.value.status_code == 409
    fresh = await oclient.orders.get(caught.value.form_id)
    assert fresh.status == "CANCELLED"  # the cancellation was not overwritten
    await oclient.orders.set_fulfillment(form.id, "CANCELLED", revision=fresh.revision)
    assert (await oclient.orders.get(form.id)).fulfillment.status == "CANCELLED"  # type: ignore[union-attr]


async def test_s14_add_shipment_with_set_sent_where_the_seller_option_is_off(
    orders_emulator: Emulator, oclient: AllegroClient,
) -> None:
    carriers = await oclient.orders.carriers()
    assert "INPOST" in {c.id for c in carriers.carriers}
    form = await first_of(oclient.orders.list(fulfillment_status="NEW"))
    shipment = await oclient.orders.add_shipment(form.id, "INPOST", "620000111", set_sent=True)
    assert shipment.waybill == "620000111"
    assert [s.waybill for s in await oclient.orders.shipments(form.id)] == ["620000111"]
    after = await oclient.orders.get(form.id)
    assert after.fulfillment is not None and after.fulfillment.status == "SENT"
    assert after.fulfillment.shipment_summary.line_items_sent == "ALL"  # type: ignore[union-attr]


async def test_s14_add_shipment_without_set_sent_leaves_status(oclient: AllegroClient) -> None:
    form = await first_of(oclient.orders.list(fulfillment_status="NEW"))
    await oclient.orders.add_shipment(form.id, "DPD", "D1", line_items=[form.line_items[0]])
    after = await oclient.orders.get(form.id)
    assert after.fulfillment is not None and after.fulfillment.status == "NEW"


@pytest.mark.parametrize("args, field", [
    (("", "W"), "carrier_id"), (("DPD", " "), "waybill"), (("OTHER", "W"), "carrier_name"),
])
async def test_bad_shipment_arguments_fail_before_any_request(args: tuple[str, str],
                                                              field: str) -> None:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail("no request may be sent"))) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            await client.orders.add_shipment("f1", *args)
    assert caught.value.field == field


async def test_s13_add_shipment_with_revision_refuses_a_form_cancelled_since_the_read(
    orders_emulator: Emulator, oclient: AllegroClient,
) -> None:
    form = await first_of(oclient.orders.list(fulfillment_status="NEW",
                                              status="READY_FOR_PROCESSING"))
    orders_emulator.orders.buyer_cancels(form.id)  # between our read and the shipment
    with pytest.raises(StaleRevisionError) as caught:
        await oclient.orders.add_shipment(form.id, "INPOST", "620000222", set_sent=True,
                                          revision=form.revision)
    assert caught.value.form_id == form.id and caught.value.shipment is None
    assert await oclient.orders.shipments(form.id) == []  # nothing was shipped
    after = await oclient.orders.get(form.id)
    assert after.status == "CANCELLED"
    assert after.fulfillment is not None and after.fulfillment.status != "SENT"


async def test_s13_add_shipment_set_sent_never_marks_a_cancelled_form_sent(
    orders_emulator: Emulator, oclient: AllegroClient,
) -> None:
    form = await first_of(oclient.orders.list(fulfillment_status="NEW",
                                              status="READY_FOR_PROCESSING"))
    orders_emulator.orders.buyer_cancels(form.id)
    with pytest.raises(StaleRevisionError) as caught:
        await oclient.orders.add_shipment(form.id, "INPOST", "620000333", set_sent=True)
    # The waybill went in before the re-read: it is reported, not lost.
    assert caught.value.shipment is not None and caught.value.shipment.waybill == "620000333"
    after = await oclient.orders.get(form.id)
    assert after.status == "CANCELLED"
    assert after.fulfillment is not None and after.fulfillment.status != "SENT"


async def test_s13_add_shipment_with_a_current_revision_ships_and_marks_sent(
    oclient: AllegroClient,
) -> None:
    form = await first_of(oclient.orders.list(fulfillment_status="NEW",
                                              status="READY_FOR_PROCESSING"))
    await oclient.orders.add_shipment(form.id, "DPD", "D2", set_sent=True,
                                      revision=form.revision)
    after = await oclient.orders.get(form.id)
    assert after.fulfillment is not None and after.fulfillment.status == "SENT"


@pytest.mark.parametrize("call", ["shipment", "fulfillment"])
async def test_empty_line_items_or_revision_fail_before_any_request(call: str) -> None:
    # line_items=[] (say, a filter that matched nothing) shipped every line item of the form,
    # and set_fulfillment sent an empty revision that guards nothing.
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail("no request may be sent"))) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            if call == "shipment":
                await client.orders.add_shipment("f1", "DPD", "W1", line_items=[])
            else:
                await client.orders.set_fulfillment("f1", "SENT", revision=" ")
    assert caught.value.field == ("line_items" if call == "shipment" else "revision")


class FormListing:
    """GET /order/checkout-forms over forms that may lack ``lineItems.boughtAt`` and
    ``updatedAt`` (the spec makes both optional): sorted by the key with keyless forms
    ``keyless_first`` or last, range bounds matching only forms that have the key, and
    offset + limit past 10 000 refused with 422 (A9)."""

    def __init__(self, forms: list[dict[str, object]], *, keyless_first: bool = False) -> None:
        self.forms = forms
        self.keyless_first = keyless_first
        self.requests = 0

    @staticmethod
    def form(n: int, bought: str | None = None, updated: str | None = None
             ) -> dict[str, object]:
        price = {"amount": "10.00", "currency": "PLN"}
        item: dict[str, object] = {"id": f"li-{n}", "offer": {"id": "o1", "name": "Mug"},
                                   "quantity": 1, "originalPrice": price, "price": price}
        if bought is not None:
            item["boughtAt"] = bought
        form: dict[str, object] = {
            "id": f"form-{n:04d}", "status": "READY_FOR_PROCESSING", "lineItems": [item],
            "surcharges": [], "summary": {"totalToPay": price},
            "buyer": {"id": "b1", "email": "b@example.com", "login": "b", "guest": False}}
        if updated is not None:
            form["updatedAt"] = updated
        return form

    @staticmethod
    def key_of(form: dict[str, object], key: str) -> str | None:
        if key == "updatedAt":
            return form.get("updatedAt")  # type: ignore[return-value]
        return next((i.get("boughtAt") for i in form["lineItems"]), None)  # type: ignore[attr-defined]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        q = request.url.params
        offset, limit = int(q["offset"]), int(q["limit"])
        if offset + limit > 10_000:
            return httpx.Response(422, json={"errors": [{"code": "VALIDATION_ERROR"}]})
        sort = q.get("sort", "-lineItems.boughtAt")
        key = sort.lstrip("-")
        rows = list(self.forms)
        gte, lte = q.get(f"{key}.gte"), q.get(f"{key}.lte")
        if gte or lte:  # a form without the key matches no bound on it
            rows = [f for f in rows if (k := self.key_of(f, key)) is not None
                    and (not gte or k >= gte) and (not lte or k <= lte)]
        keyed = sorted((f for f in rows if self.key_of(f, key) is not None),
                       key=lambda f: (self.key_of(f, key), f["id"]),
                       reverse=sort.startswith("-"))
        keyless = [f for f in rows if self.key_of(f, key) is None]
        rows = keyless + keyed if self.keyless_first else keyed + keyless
        page = rows[offset:offset + limit]
        return httpx.Response(200, json={"checkoutForms": page, "count": len(page),
                                         "totalCount": len(rows)})


def _stamp(n: int) -> str:
    return f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z"


async def _walk(listing: FormListing, **options: object) -> list[str]:
    async with AllegroClient(access_token="t", throttle=False, retry=False,
                             transport=httpx.MockTransport(listing)) as client:
        return [f.id async for f in client.orders.list(**options)]  # type: ignore[arg-type]


@pytest.mark.parametrize("sort", ["lineItems.boughtAt", "-lineItems.boughtAt", "updatedAt",
                                  "-updatedAt"])
async def test_a9_walk_without_the_sort_key_yields_every_form_once_and_ends(sort: str) -> None:
    # Without boughtAt the walk re-asked the same page forever, yielding duplicates; without
    # updatedAt it stopped silently after the first 100 of 250.
    listing = FormListing([FormListing.form(n) for n in range(250)])
    seen = await _walk(listing, sort=sort)
    assert sorted(seen) == [f"form-{n:04d}" for n in range(250)]
    assert len(seen) == len(set(seen)) == 250
    assert listing.requests <= 5


@pytest.mark.parametrize("keyless_first", [False, True])
@pytest.mark.parametrize("sort", ["lineItems.boughtAt", "-updatedAt"])
async def test_a9_walk_with_some_forms_lacking_the_key_yields_all_once(
        sort: str, keyless_first: bool) -> None:
    forms = [FormListing.form(n, bought=_stamp(n // 2), updated=_stamp(n // 3))
             if n % 3 else FormListing.form(n) for n in range(250)]
    listing = FormListing(forms, keyless_first=keyless_first)
    seen = await _walk(listing, sort=sort, page_size=40)
    assert len(seen) == len(set(seen)) == 250


async def test_a9_keyless_forms_past_the_offset_cap_raise_after_yielding_what_can_be_read(
        ) -> None:
    listing = FormListing([FormListing.form(n) for n in range(10_050)])
    seen: list[str] = []
    async with AllegroClient(access_token="t", throttle=False, retry=False,
                             transport=httpx.MockTransport(listing)) as client:
        with pytest.raises(IncompleteListingError) as caught:
            async for form in client.orders.list(sort="updatedAt"):
                seen.append(form.id)
    assert len(seen) == len(set(seen)) == 10_000 == caught.value.yielded
    assert caught.value.total == 10_050
    assert "updatedAt" in str(caught.value)
