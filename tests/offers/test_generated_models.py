"""The offer models are the generated ones (one model per schema): every field of the spec is
typed, the library's names stay, the service refuses an offer without an id, and S18's
read-modify-write sends it all back."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.api.models import (
    OfferListingDto,
    SaleProductOfferResponseV1,
    SaleProductOfferSellingMode,
)
from allegro_async.api.models.users_offer_information import (
    SalePartialProductOfferResponse,
    SalePartialProductOfferResponseAdditionalMarketplaces,
)
from allegro_async.errors import InvalidArgumentError, ResponseValidationError
from allegro_async.models.offers import (
    OfferParts,
    ProductOffer,
    PublicationStatus,
)


async def test_product_offer_types_every_field(offers_client: AllegroClient) -> None:
    items = [i async for i in offers_client.offers.list(publication_status="ACTIVE",
                                                        max_items=1)]
    offer = await offers_client.offers.get(items[0].id)
    assert ProductOffer is SaleProductOfferResponseV1
    assert type(offer) is SaleProductOfferResponseV1
    assert isinstance(offer.selling_mode, SaleProductOfferSellingMode)
    # fields the hand-written model kept only as camelCase extras are typed attributes now
    assert offer.model_extra == {}
    assert offer.delivery is not None and offer.delivery.handling_time is not None
    assert offer.validation is not None and offer.validation.validated_at is not None
    assert offer.publication is not None and offer.publication.status is PublicationStatus.ACTIVE
    # S18: the body sent back still has every field Allegro sent
    body = offer.to_api()
    assert body["delivery"]["handlingTime"] == offer.delivery.to_api()["handlingTime"]
    assert "validation" in body and "language" in body


async def test_listing_items_are_the_generated_listing_model(
    offers_client: AllegroClient,
) -> None:
    items = [i async for i in offers_client.offers.list(max_items=3)]
    assert items and all(isinstance(i, OfferListingDto) for i in items)
    assert all(isinstance(i.id, str) and i.model_extra == {} for i in items)
    assert items[0].sale_info is not None and items[0].stats is not None


async def test_parts_are_the_generated_partial_offer(offers_client: AllegroClient) -> None:
    items = [i async for i in offers_client.offers.list(publication_status="ACTIVE",
                                                        max_items=1)]
    parts = await offers_client.offers.parts(items[0].id)
    assert OfferParts is SalePartialProductOfferResponse
    assert type(parts) is SalePartialProductOfferResponse
    assert parts.stock is not None and parts.selling_mode is not None
    assert parts.stock.available is not None and parts.selling_mode.price is not None
    assert parts.id == items[0].id and parts.model_extra == {}
    assert parts.additional_marketplaces is None  # a field only the spec's model has


def test_parts_type_the_additional_marketplaces() -> None:
    body = {"id": "77", "stock": {"available": 3},
            "sellingMode": {"price": {"amount": "10.00", "currency": "PLN"}},
            "additionalMarketplaces": {"allegro-cz": {"sellingMode": {
                "price": {"amount": "9.90", "currency": "CZK"}}}}}
    parts = OfferParts.model_validate(body)
    cz = (parts.additional_marketplaces or {})["allegro-cz"]
    assert isinstance(cz, SalePartialProductOfferResponseAdditionalMarketplaces)
    assert parts.model_extra == {}
    assert cz.selling_mode is not None and cz.selling_mode.price is not None
    assert cz.selling_mode.price.amount == "9.90"
    assert parts.selling_mode is not None and parts.selling_mode.price is not None
    assert parts.selling_mode.price.amount == "10.00"
    assert parts.to_api() == body  # every field sent back as Allegro named it


async def test_parts_without_an_id_are_refused() -> None:
    # the spec's model has an optional id; the service refuses an offer without one, saying so
    with respx.mock() as router:
        router.get(url__regex=r"/parts").respond(200, json={"stock": {"available": 1}})
        async with AllegroClient("token-abcdef", throttle=False, retry=False) as client:
            with pytest.raises(ResponseValidationError, match=r"no id \(field 'id'\)"):
                await client.offers.parts("77", ["stock"])


async def test_get_calls_the_generated_operation(offers_client: AllegroClient) -> None:
    area = offers_client.api.users_offer_information.with_raw_response
    original = area.get_product_offer
    asked: list[object] = []

    async def counting(**kwargs: Any) -> Any:
        asked.append(kwargs["offer_id"])
        return await original(**kwargs)

    area.get_product_offer = counting  # type: ignore[method-assign]
    items = [i async for i in offers_client.offers.list(max_items=1)]
    offer = await offers_client.offers.get(items[0].id)
    assert asked == [items[0].id] and offer.id == items[0].id


async def test_list_pages_call_the_generated_search_and_refuse_unknown_params(
    offers_client: AllegroClient,
) -> None:
    area = offers_client.api.users_offer_information.with_raw_response
    original = area.search_offers
    pages: list[dict[str, Any]] = []

    async def counting(**kwargs: Any) -> Any:
        pages.append(kwargs)
        return await original(**kwargs)

    area.search_offers = counting  # type: ignore[method-assign]
    items = [i async for i in offers_client.offers.list(
        publication_status="ACTIVE", page_size=10, max_items=15,
        params={"sellingMode.format": "BUY_NOW"})]
    assert len(items) == 15
    assert [(p["offset"], p["limit"]) for p in pages] == [(0, 10), (10, 10)]
    assert pages[0]["publication_status"] == ["ACTIVE"]
    assert pages[0]["selling_mode_format"] == "BUY_NOW"
    with pytest.raises(InvalidArgumentError, match=r"params\[colour\]"):
        [i async for i in offers_client.offers.list(params={"colour": "red"})]
    assert len(pages) == 2  # refused before sending


async def test_create_patch_parts_and_drafts_call_the_generated_operations(
    offers_client: AllegroClient,
) -> None:
    from .test_product_offers import NEW_OFFER

    called: list[str] = []
    for area, name in ((offers_client.api.offer_management.with_raw_response,
                        "create_product_offers"),
                       (offers_client.api.offer_management.with_raw_response,
                        "edit_product_offers"),
                       (offers_client.api.users_offer_information.with_raw_response,
                        "get_partial_product_offer"),
                       (offers_client.api.offer_management.with_raw_response, "delete_offer"),
                       (offers_client.api.users_offer_information.with_raw_response,
                        "search_offers")):
        original = getattr(area, name)

        async def counting(*args: Any, __name: str = name, __call: Any = original,
                           **kwargs: Any) -> Any:
            called.append(__name)
            return await __call(*args, **kwargs)

        setattr(area, name, counting)
    offer = await offers_client.offers.create(NEW_OFFER)
    patched = await offers_client.offers.patch(offer.id, {"name": "Green kettle 1.7 l"})
    parts = await offers_client.offers.parts(offer.id, ["stock"])
    drafts = await offers_client.offers.count_drafts()
    await offers_client.offers.delete_draft(offer.id)
    assert await offers_client.offers.count_drafts() == drafts - 1
    assert patched.name == "Green kettle 1.7 l" and parts.id == offer.id
    assert called == ["create_product_offers", "edit_product_offers",
                      "get_partial_product_offer", "search_offers", "delete_offer",
                      "search_offers"]
