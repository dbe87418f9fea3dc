"""Product offers: get, parts, create, patch, A10 operations, S18 copies, S19 drafts limit."""

from __future__ import annotations

import pytest

from allegro_async import AllegroClient
from allegro_async.errors import (
    DraftsLimitError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from allegro_async.models.offers import PublicationStatus
from allegro_async.services.offers import OperationPendingError
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator

NEW_OFFER = {"name": "Blue kettle 1.7 l", "category": {"id": "257931"},
             "sellingMode": {"format": "BUY_NOW", "price": {"amount": "99.00", "currency": "PLN"}},
             "stock": {"available": 5, "unit": "UNIT"}}


async def _first_id(client: AllegroClient, status: str = "ACTIVE") -> str:
    async for offer in client.offers.list(publication_status=status, max_items=1):
        return offer.id
    raise AssertionError("no offer")


async def test_get_and_parts_read_the_same_offer(offers_client: AllegroClient) -> None:
    offer_id = await _first_id(offers_client)
    offer = await offers_client.offers.get(offer_id)
    parts = await offers_client.offers.parts(offer_id, ["price", "stock"])
    assert offer.id == parts.id == offer_id
    assert offer.publication is not None
    assert offer.publication.status is PublicationStatus.ACTIVE
    assert parts.selling_mode is not None and offer.selling_mode is not None
    # two schemas of the spec (Price, BuyNowPrice): the same amount and currency
    assert parts.selling_mode.price is not None and offer.selling_mode.price is not None
    assert parts.selling_mode.price.to_api() == offer.selling_mode.price.to_api()


async def test_parts_refuses_unknown_part_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    with pytest.raises(InvalidArgumentError):
        await offers_client.offers.parts("7700000001", ["name"])
    assert offers_emulator.stats.requests == 0


async def test_title_length_is_checked_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    with pytest.raises(InvalidArgumentError, match="12 to 75"):
        await offers_client.offers.patch("7700000001", {"name": "Too short"})
    with pytest.raises(InvalidArgumentError, match="12 to 75"):
        await offers_client.offers.create({**NEW_OFFER, "name": "x" * 76})
    assert offers_emulator.stats.requests == 0


async def test_create_makes_a_draft(offers_client: AllegroClient) -> None:
    offer = await offers_client.offers.create(NEW_OFFER)
    assert offer.id and offer.name == NEW_OFFER["name"]
    assert offer.publication is not None
    assert offer.publication.status is PublicationStatus.INACTIVE


async def test_a10_patch_follows_202_to_303_and_returns_the_offer() -> None:
    emulator = make_emulator(async_every=1, operation_seconds=30, retry_after=5)
    async with fast_client(emulator) as client:
        offer_id = await _first_id(client)
        offer = await client.offers.patch(offer_id, {"name": "Renamed kettle 2 l"})
    assert offer.name == "Renamed kettle 2 l"
    polls = emulator.stats.route("GET", "/sale/product-offers/{offerId}/operations/{operationId}")
    assert polls >= 2  # 202 while in progress, then the 303
    assert emulator.stats.by_status[202] >= 2 and emulator.stats.by_status[303] == 1


async def test_a10_deadline_raises_with_a_resumable_location() -> None:
    emulator = make_emulator(async_every=1, operation_seconds=120, retry_after=10)
    async with fast_client(emulator) as client:
        with pytest.raises(OperationPendingError) as caught:
            await client.offers.create(NEW_OFFER, deadline=30)
        assert "/operations/" in caught.value.location
        offer = await client.offers.wait_for_operation(caught.value.location, first_wait=100)
    assert offer.name == NEW_OFFER["name"]


async def test_s18_copy_as_draft_drops_read_only_sections(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    source_id = await _first_id(offers_client, "ACTIVE")
    copy = await offers_client.offers.copy_as_draft(source_id)
    original = await offers_client.offers.get(source_id)
    assert copy.id != source_id
    assert copy.name == original.name and copy.selling_mode == original.selling_mode
    assert copy.publication is not None
    assert copy.publication.status is PublicationStatus.INACTIVE


async def test_s19_drafts_limit_raises_with_the_limit() -> None:
    emulator = make_emulator(drafts=3, max_drafts=3)
    async with emulator.client(0) as client:
        assert await client.offers.count_drafts() == 3
        with pytest.raises(DraftsLimitError) as caught:
            await client.offers.create(NEW_OFFER)
        assert caught.value.limit == 3
        assert "maximum number of drafts" in (caught.value.hint or "")
        draft = await _first_id(client, "INACTIVE")
        await client.offers.delete_draft(draft)
        created = await client.offers.create(NEW_OFFER)
    assert created.id


async def test_delete_refuses_an_active_offer(offers_client: AllegroClient) -> None:
    active = await _first_id(offers_client, "ACTIVE")
    from allegro_async.services.offers import OfferNotDeletableError

    with pytest.raises(OfferNotDeletableError, match="only drafts") as caught:
        await offers_client.offers.delete_draft(active)
    assert isinstance(caught.value.__cause__, PermissionDeniedError)
    assert "token" not in str(caught.value)  # not the S7 "wrong token" hint
    assert (await offers_client.offers.get(active)).id == active


async def test_delete_of_another_sellers_offer_stays_permission_denied(
    offers_emulator: Emulator,
) -> None:
    async with offers_emulator.client(1) as other, offers_emulator.client(0) as mine:
        theirs = await _first_id(other, "ACTIVE")
        with pytest.raises(PermissionDeniedError):
            await mine.offers.delete_draft(theirs)


async def test_list_enums_are_checked_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    before = offers_emulator.stats.requests
    with pytest.raises(InvalidArgumentError, match="ACTIVE"):
        [o async for o in offers_client.offers.list(publication_status="ACTIV")]
    with pytest.raises(InvalidArgumentError, match="BUY_NOW"):
        [o async for o in offers_client.offers.list(selling_format=["BUY_NOW", "BIN"])]
    assert offers_emulator.stats.requests == before
    both = [o async for o in offers_client.offers.list(publication_status=["ACTIVE", "ENDED"])]
    assert len(both) == 40


async def test_other_sellers_offer_is_not_found_or_forbidden(offers_emulator: Emulator) -> None:
    async with offers_emulator.client(1) as other, offers_emulator.client(0) as mine:
        theirs = await _first_id(other)
        with pytest.raises(PermissionDeniedError):
            await mine.offers.get(theirs)
        with pytest.raises(NotFoundError):
            await mine.offers.get("7799999999")


async def test_a10_a_long_retry_after_is_capped_not_a_reason_to_give_up() -> None:
    # Retry-After 120 with polls capped at 60 s and a 100 s deadline: the deadline was checked
    # against the uncapped 120 s, so it gave up at once without waiting at all.
    emulator = make_emulator(async_every=1, operation_seconds=50, retry_after=120)
    async with fast_client(emulator) as client:
        assert client.offers.max_poll_wait == 60
        offer = await client.offers.create(NEW_OFFER, deadline=100)
    assert offer.name == NEW_OFFER["name"]
