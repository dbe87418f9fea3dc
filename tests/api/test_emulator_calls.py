"""Generated operations against the emulator, for the operations it implements (every
exchange is checked against the spec by the suite's conformance recorder)."""

from __future__ import annotations

import datetime as _dt

import pytest

from allegro_async import AllegroClient, InvalidArgumentError, NotFoundError
from allegro_async.api import TypedAPIResponse, models
from allegro_async.api.models import information_about_user, order_management
from allegro_async.testing import Emulator


async def test_me_returns_the_typed_user(client: AllegroClient, emulator: Emulator) -> None:
    me = await client.api.information_about_user.me()
    assert isinstance(me, information_about_user.MeResponse)
    assert me.login == emulator.sellers[0].login


async def test_checkout_forms_page_is_typed_with_snake_case_fields(client: AllegroClient) -> None:
    page = await client.api.order_management.get_list_of_orders(limit=5)
    assert isinstance(page, order_management.CheckoutForms)
    assert len(page.checkout_forms) == 5
    form = page.checkout_forms[0]
    detail = await client.api.order_management.get_orders_details(id=str(form.id))
    assert detail.id == form.id and detail.buyer.login == form.buyer.login


async def test_query_values_reach_allegro_canonical(client: AllegroClient) -> None:
    since = _dt.datetime(2000, 1, 1, 2, tzinfo=_dt.timezone(_dt.timedelta(hours=2)))
    raw = await client.api.order_management.with_raw_response.get_list_of_orders(
        limit=1, updated_at_gte=since, status="READY_FOR_PROCESSING"
    )
    sent = raw.http_response.request.url.params
    assert sent["updatedAt.gte"] == "2000-01-01T00:00:00Z"
    assert sent["status"] == "READY_FOR_PROCESSING" and sent["limit"] == "1"


async def test_raw_response_gives_status_trace_id_and_typed_parse(client: AllegroClient) -> None:
    raw = await client.api.order_management.with_raw_response.get_list_of_orders(limit=2)
    assert isinstance(raw, TypedAPIResponse)
    assert raw.status_code == 200 and raw.trace_id
    page = raw.parse()
    assert isinstance(page, order_management.CheckoutForms) and len(page.checkout_forms) == 2


async def test_iterating_items_walks_every_page(client: AllegroClient) -> None:
    total = (await client.api.order_management.get_list_of_orders(limit=1)).total_count
    assert total is not None and total > 7
    ids = [f.id async for f in client.api.order_management.iter_get_list_of_orders(limit=7)]
    assert len(ids) == int(total) and len(set(ids)) == len(ids)


async def test_pages_are_iterable_one_by_one(client: AllegroClient) -> None:
    paginator = client.api.order_management.iter_get_list_of_orders(limit=50)
    sizes = [len(p.checkout_forms) async for p in paginator.pages()]
    assert sizes and all(s == 50 for s in sizes[:-1]) and 0 < sizes[-1] <= 50


async def test_a_bad_id_is_refused_before_sending(client: AllegroClient,
                                                  emulator: Emulator) -> None:
    before = emulator.stats.requests
    with pytest.raises(InvalidArgumentError, match="id"):
        await client.api.order_management.get_orders_details(id="../me")
    with pytest.raises(InvalidArgumentError, match=r"updatedAt\.gte"):
        await client.api.order_management.get_list_of_orders(
            updated_at_gte=_dt.datetime(2024, 1, 1)  # naive: which zone?
        )
    assert emulator.stats.requests == before


async def test_errors_keep_their_typed_exception(client: AllegroClient) -> None:
    with pytest.raises(NotFoundError):
        await client.api.order_management.get_orders_details(
            id="00000000-0000-0000-0000-000000000000"
        )


async def test_product_offer_and_offer_listing(client: AllegroClient) -> None:
    listing = await client.api.users_offer_information.search_offers(limit=3)
    assert listing.offers
    offer_id = listing.offers[0].id
    offer = await client.api.users_offer_information.get_product_offer(offer_id=offer_id)
    assert isinstance(offer, models.SaleProductOfferResponseV1)
    assert offer.id == offer_id


async def test_order_events_and_stats(client: AllegroClient) -> None:
    events = await client.api.order_management.get_order_events(limit=5)
    stats = await client.api.order_management.get_order_events_statistics()
    assert events.events is not None and len(events.events) <= 5
    assert stats.latest_event is not None


async def test_catalogue_search_follows_next_page(client: AllegroClient,
                                                  emulator: Emulator) -> None:
    first = await client.api.products.get_sale_products(phrase="a")
    assert first.next_page is not None and first.next_page.id  # more than one page
    before = emulator.stats.requests
    found = [p.id async for p in client.api.products.iter_get_sale_products(phrase="a")]
    assert found[: len(first.products)] == [p.id for p in first.products]
    assert len(set(found)) == len(found) > len(first.products)
    assert emulator.stats.requests - before == -(-len(found) // len(first.products))


async def test_writes_with_typed_bodies(client: AllegroClient) -> None:
    page = await client.api.order_management.get_list_of_orders(
        limit=1, status="READY_FOR_PROCESSING"
    )
    form_id = str(page.checkout_forms[0].id)
    result = await client.api.order_management.set_order_fulfillment(
        id=form_id, body=order_management.CheckoutFormFulfillment(status="PROCESSING")
    )
    assert result is None
    detail = await client.api.order_management.get_orders_details(id=form_id)
    assert detail.fulfillment is not None and detail.fulfillment.status == "PROCESSING"
    created = await client.api.order_management.create_order_shipments(
        id=form_id, body={"carrierId": "ALLEGRO", "waybill": "AD-1239134"}
    )
    assert created.waybill == "AD-1239134"
    shipments = await client.api.order_management.get_order_shipments(id=form_id)
    assert "AD-1239134" in [s.waybill for s in shipments.shipments]


async def test_shipping_rates_round_trip(client: AllegroClient) -> None:
    listed = await client.api.delivery.get_list_of_shipping_rates()
    assert listed.shipping_rates
    first = await client.api.delivery.get_shipping_rates_set(id=listed.shipping_rates[0].id)
    assert first.id == listed.shipping_rates[0].id and first.rates


async def test_generated_calls_go_through_the_retry_layer(client: AllegroClient,
                                                          emulator: Emulator) -> None:
    rule = emulator.faults.add("GET /me", status=503, times=1, retry_after=0.01)
    me = await client.api.information_about_user.me()
    assert me.login == emulator.sellers[0].login
    assert rule.fired == 1 and emulator.stats.by_route["GET /me"] == 2
