"""client.offers.list: filters and paging over GET /sale/offers."""

from __future__ import annotations

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import InvalidArgumentError
from allegro_async.testing import Emulator


async def test_list_pages_through_every_offer(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    ids = [o.id async for o in offers_client.offers.list(page_size=7)]
    assert len(ids) == len(set(ids)) == 50
    assert offers_emulator.stats.route("GET", "/sale/offers") == 8


async def test_list_filters_by_status_and_price(offers_client: AllegroClient) -> None:
    drafts = [o async for o in offers_client.offers.list(publication_status="INACTIVE")]
    assert len(drafts) == 10
    assert all(o.publication and o.publication.status == "INACTIVE" for o in drafts)
    cheap = [o async for o in offers_client.offers.list(
        price_lte=100, sort="-sellingMode.price.amount")]
    prices = [float(o.selling_mode.price.amount) for o in cheap
              if o.selling_mode and o.selling_mode.price]
    assert prices == sorted(prices, reverse=True) and all(p <= 100 for p in prices)


async def test_list_by_external_id(offers_client: AllegroClient) -> None:
    found = [o async for o in offers_client.offers.list(external_id=["SKU-1-000002"])]
    assert [o.external.id for o in found if o.external] == ["SKU-1-000002"]


async def test_unknown_filter_is_refused_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    with pytest.raises(InvalidArgumentError):
        async for _ in offers_client.offers.list(colour="red"):
            pass
    assert offers_emulator.stats.requests == 0


async def test_max_items_at_a_page_end_sends_no_further_request(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    # Reaching max_items on a page's last item went on to fetch the next page anyway.
    ids = [o.id async for o in offers_client.offers.list(page_size=7, max_items=14)]
    assert len(ids) == 14
    assert offers_emulator.stats.route("GET", "/sale/offers") == 2


async def test_negative_max_items_is_refused_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    with pytest.raises(InvalidArgumentError):
        async for _ in offers_client.offers.list(max_items=-1):
            pass
    assert offers_emulator.stats.requests == 0


async def test_a_page_without_total_count_does_not_end_the_walk() -> None:
    # totalCount is optional in the spec; its absence read as 0 ended the walk after page one.
    offers = [{"id": str(n), "name": f"Offer number {n:04d}"} for n in range(5)]

    def answer(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        page = offers[offset:offset + limit]
        return httpx.Response(200, json={"offers": page, "count": len(page)})

    async with AllegroClient(access_token="t", transport=httpx.MockTransport(answer)) as client:
        ids = [o.id async for o in client.offers.list(page_size=2)]
    assert ids == ["0", "1", "2", "3", "4"]


async def test_an_offset_the_server_ignores_yields_each_offer_once_then_stops() -> None:
    from allegro_async import WalkStalledError

    offsets: list[str] = []

    def ignores_offset(request: httpx.Request) -> httpx.Response:
        offsets.append(request.url.params["offset"])
        return httpx.Response(200, headers={"trace-id": "tr-9"}, json={
            "offers": [{"id": str(i)} for i in range(100)], "count": 100, "totalCount": 300})

    async with AllegroClient(access_token="t",
                             transport=httpx.MockTransport(ignores_offset)) as client:
        ids: list[str] = []
        with pytest.raises(WalkStalledError) as info:
            async for offer in client.offers.list(page_size=100):
                ids.append(offer.id)
    assert len(ids) == len(set(ids)) == 100
    assert offsets == ["0", "100"]
    error = info.value
    assert (error.reason, error.yielded, error.pages, error.cursor, error.total) == (
        "page_repeated", 100, 2, 100, 300)
    assert error.trace_id == "tr-9" and "GET /sale/offers" in str(error)
