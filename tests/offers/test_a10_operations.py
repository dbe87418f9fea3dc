"""A10 on the generated operations: a Location on the spec's operation path is polled with
``offer_management.get_product_offer_processing_status`` and the 303's offer read with
``users_offer_information.get_product_offer``; any other Allegro URL is sent as given."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from allegro_async import AllegroClient, Environment
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.offers import ProductOffer
from allegro_async.services.offers import OperationPendingError
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator
from .test_product_offers import NEW_OFFER

OPERATION_ROUTE = "/sale/product-offers/{offerId}/operations/{operationId}"
OFFER_ROUTE = "/sale/product-offers/{offerId}"
TOKEN = "token-abcdef"
OFFER_BODY = {"id": "77", "name": "Blue kettle 1.7 l"}


class Spies:
    """Records the generated operations' calls, the sleeps and the URLs ``request_raw`` got."""

    def __init__(self, client: AllegroClient, emulator: Emulator | None = None) -> None:
        self.polls: list[tuple[str, str]] = []
        self.reads: list[str] = []
        self.sleeps: list[float] = []
        self.sent: list[str] = []
        status = client.api.offer_management.with_raw_response
        offers = client.api.users_offer_information.with_raw_response
        poll, read, raw, sleep = (status.get_product_offer_processing_status,
                                  offers.get_product_offer, client.request_raw,
                                  client.offers.sleep)

        async def polling(**kwargs: Any) -> Any:
            self.polls.append((kwargs["offer_id"], kwargs["operation_id"]))
            return await poll(**kwargs)

        async def reading(**kwargs: Any) -> Any:
            self.reads.append(kwargs["offer_id"])
            return await read(**kwargs)

        async def sending(method: str, path: str, **kwargs: Any) -> Any:
            self.sent.append(path)
            return await raw(method, path, **kwargs)

        async def sleeping(seconds: float) -> None:
            self.sleeps.append(seconds)
            if emulator is not None:
                emulator.clock.advance(seconds)
            elif sleep is not None:
                await sleep(0)

        status.get_product_offer_processing_status = polling  # type: ignore[method-assign]
        offers.get_product_offer = reading  # type: ignore[method-assign]
        client.request_raw = sending  # type: ignore[method-assign]
        client.offers.sleep = sleeping


async def _pending(client: AllegroClient) -> str:
    """The Location of a create still processed (the emulator takes 120 s, the deadline 5 s)."""
    with pytest.raises(OperationPendingError) as caught:
        await client.offers.create(NEW_OFFER, deadline=5)
    return caught.value.location


async def _finished(client: AllegroClient, emulator: Emulator) -> str:
    """The Location of a create whose operation has finished since (one poll answers 303)."""
    location = await _pending(client)
    emulator.clock.advance(200)
    return location


async def test_polls_and_the_finished_offer_go_through_the_generated_operations() -> None:
    emulator = make_emulator(async_every=1, operation_seconds=30, retry_after=5)
    async with fast_client(emulator) as client:
        spies = Spies(client, emulator)
        offer = await client.offers.create(NEW_OFFER)
    assert isinstance(offer, ProductOffer) and offer.name == NEW_OFFER["name"]
    polls = emulator.stats.route("GET", OPERATION_ROUTE)
    assert polls >= 2 and len(spies.polls) == polls  # every poll was the generated operation
    assert {p[0] for p in spies.polls} == {offer.id} and len({p[1] for p in spies.polls}) == 1
    assert spies.reads == [offer.id] and emulator.stats.route("GET", OFFER_ROUTE) == 1
    assert spies.sleeps and set(spies.sleeps) == {5.0}  # Retry-After honoured, capped wait
    # nothing went to the Location as a URL: the generated operations send their spec paths
    assert all(path.startswith("/sale/") for path in spies.sent)
    assert f"/sale/product-offers/{offer.id}/operations/{spies.polls[0][1]}" in spies.sent


async def test_a_percent_encoded_location_is_decoded_once_by_the_argument_layer() -> None:
    emulator = make_emulator(async_every=1, operation_seconds=120, retry_after=10)
    async with fast_client(emulator) as client:
        location = await _finished(client, emulator)
        head, _, operation_id = location.rpartition("/operations/")
        base, _, offer_id = head.rpartition("/")
        encoded = "".join(f"%{ord(c):02X}" for c in offer_id)  # every digit as %3N
        spies = Spies(client, emulator)
        offer = await client.offers.wait_for_operation(
            f"{base}/{encoded}/operations/{operation_id}")
    assert offer.id == offer_id
    assert spies.polls == [(offer_id, operation_id)] and spies.reads == [offer_id]


async def test_a_relative_location_is_polled_through_the_generated_operation() -> None:
    emulator = make_emulator(async_every=1, operation_seconds=120, retry_after=10)
    async with fast_client(emulator) as client:
        location = await _finished(client, emulator)
        path = "/sale/" + location.split("/sale/", 1)[1]
        spies = Spies(client, emulator)
        offer = await client.offers.wait_for_operation(path.lstrip("/"))
    assert offer.name == NEW_OFFER["name"] and len(spies.polls) == 1


@pytest.mark.parametrize("segment", ["%2E%2E", "1%2F2", "1%252F", "%FF", "1%20", "%zz"])
async def test_a_location_whose_segment_is_no_id_is_refused_before_any_wait(
    segment: str,
) -> None:
    emulator = make_emulator(async_every=1, operation_seconds=120, retry_after=10)
    async with fast_client(emulator) as client:
        location = await _pending(client)
        before = emulator.stats.requests
        head, _, operation_id = location.rpartition("/operations/")
        spies = Spies(client, emulator)
        for bad in (f"{head.rpartition('/')[0]}/{segment}/operations/{operation_id}",
                    f"{head}/operations/{segment}"):
            with pytest.raises(InvalidArgumentError) as caught:
                await client.offers.wait_for_operation(bad)
            assert caught.value.field == "location"
    assert emulator.stats.requests == before  # nothing sent, nothing mangled and sent
    assert spies.sleeps == [] and spies.polls == []


async def test_a_location_with_a_query_is_sent_as_given() -> None:
    # the generated operation has no query: such a Location is polled as Allegro gave it
    emulator = make_emulator(async_every=1, operation_seconds=120, retry_after=10)
    async with fast_client(emulator) as client:
        location = await _finished(client, emulator) + "?attempt=2"
        spies = Spies(client, emulator)
        offer = await client.offers.wait_for_operation(location)
    assert offer.name == NEW_OFFER["name"]
    assert spies.polls == [] and spies.sent[0] == location
    assert len(spies.reads) == 1  # the 303 names the offer's spec path


async def test_a_location_off_the_template_is_polled_as_given() -> None:
    location = "https://api.allegro.pl/sale/offer-operations/op-1"
    finished = "https://api.allegro.pl/sale/finished-offers/77"
    with respx.mock(assert_all_called=True) as router:
        router.post("https://api.allegro.pl/sale/product-offers").respond(
            202, headers={"Location": location, "Retry-After": "3"})
        poll = router.get(location).mock(side_effect=[
            httpx.Response(202, headers={"Retry-After": "2"}, json={}),
            httpx.Response(303, headers={"Location": finished})])
        read = router.get(finished).respond(200, json=OFFER_BODY)
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            spies = Spies(client)
            offer = await client.offers.create(NEW_OFFER)
    assert isinstance(offer, ProductOffer) and offer.id == "77"
    assert poll.call_count == 2 and read.call_count == 1
    assert spies.polls == [] and spies.reads == [] and spies.sleeps == [3.0, 2.0]


async def test_a_finished_offer_on_the_template_is_read_with_the_generated_get() -> None:
    location = "https://api.allegro.pl/sale/offer-operations/op-1"
    with respx.mock(assert_all_called=True) as router:
        router.get(location).respond(
            303, headers={"Location": "https://api.allegro.pl/sale/product-offers/77"})
        router.get("https://api.allegro.pl/sale/product-offers/77").respond(200, json=OFFER_BODY)
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            spies = Spies(client)
            offer = await client.offers.wait_for_operation(location)
    assert offer.id == "77" and spies.reads == ["77"] and spies.polls == []


async def test_an_operation_answering_200_returns_its_offer() -> None:
    location = "https://api.allegro.pl/sale/product-offers/77/operations/op-1"
    with respx.mock(assert_all_called=True) as router:
        router.get(location).respond(200, json=OFFER_BODY)
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            spies = Spies(client)
            offer = await client.offers.wait_for_operation(location)
    assert offer.id == "77" and spies.polls == [("77", "op-1")] and spies.reads == []


async def test_a_303_without_location_is_an_error() -> None:
    location = "https://api.allegro.pl/sale/product-offers/77/operations/op-1"
    with respx.mock(assert_all_called=True) as router:
        router.get(location).respond(303)
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            with pytest.raises(InvalidArgumentError, match="without a Location"):
                await client.offers.wait_for_operation(location)


async def test_the_template_is_matched_under_the_api_base_path() -> None:
    # a base URL with a path: the operation path is the one under it; the same path without
    # the base's prefix is another URL, polled as given
    environment = Environment.custom(api_url="https://gateway.example/allegro")
    under = "https://gateway.example/allegro/sale/product-offers/77/operations/op-1"
    beside = "https://gateway.example/sale/product-offers/77/operations/op-1"
    with respx.mock(assert_all_called=True) as router:
        router.get(under).respond(200, json=OFFER_BODY)
        router.get(beside).respond(200, json=OFFER_BODY)
        async with AllegroClient(TOKEN, environment=environment, throttle=False,
                                 retry=False) as client:
            spies = Spies(client)
            await client.offers.wait_for_operation(under)
            assert spies.polls == [("77", "op-1")]
            await client.offers.wait_for_operation(beside)
    assert spies.polls == [("77", "op-1")] and spies.sent[-1] == beside


async def test_the_deadline_still_raises_a_resumable_error() -> None:
    emulator = make_emulator(async_every=1, operation_seconds=120, retry_after=10)
    async with fast_client(emulator) as client:
        location = await _pending(client)
        spies = Spies(client, emulator)
        with pytest.raises(OperationPendingError) as caught:
            await client.offers.wait_for_operation(location, deadline=25)
        assert caught.value.location == location
        assert len(spies.polls) == 3 and spies.sleeps == [10.0, 10.0]
