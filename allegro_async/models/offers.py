"""Offer models: product offers (``/sale/product-offers``), the offer listing
(``/sale/offers``), async operations (A10) and bulk-update results."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from allegro_async.api.models import (
    BuyNowPrice,
    OfferCategory,
    OfferStatus,
    SaleProductOfferPublicationResponse,
    SaleProductOfferResponseV1,
    SaleProductOfferResponseV1Stock,
    SaleProductOfferSellingMode,
    SaleProductOfferStatusResponse,
    SaleProductOfferStatusResponseOperation,
)
from allegro_async.api.models import users_offer_information as _listing
from allegro_async.models.base import AllegroModel

__all__ = [
    "BulkItemResult", "BulkResult", "IdRef", "ListingPublication", "ListingStock",
    "OfferListingItem", "OfferParts", "OfferPublication", "OffersPage", "OperationInfo",
    "OperationStatus", "Price", "ProductOffer", "ProductOfferBody", "PublicationStatus",
    "SellingMode", "Stock",
]

# The generated models of the spec's schemas, under this library's names (one model per
# schema). The services check what they rely on (an offer's ``id``) and say which field is
# missing, rather than narrowing the models.

#: An offer's publication status. ``INACTIVE`` is a draft (S19).
PublicationStatus = OfferStatus
#: An amount (a decimal string, as Allegro sends it) in a currency.
Price = BuyNowPrice
#: How the offer sells: format and price (and the auction's prices).
SellingMode = SaleProductOfferSellingMode
Stock = SaleProductOfferResponseV1Stock
OfferPublication = SaleProductOfferPublicationResponse
#: ``{"id": ...}``, as for categories.
IdRef = OfferCategory
#: An offer as GET /sale/product-offers/{offerId} returns it: every field of the spec's
#: schema typed, unknown ones kept (``model_extra``), so ``to_api()`` sends the whole
#: structure back, as S18 needs. The product-offer service refuses an answer without ``id``.
ProductOffer = SaleProductOfferResponseV1
#: A product offer as sent in POST or PATCH: the same model (every field optional).
ProductOfferBody = SaleProductOfferResponseV1
#: GET /sale/product-offers/{offerId}/parts: just stock and/or price.
OfferParts = _listing.SalePartialProductOfferResponse
ListingStock = _listing.OfferListingDtoV1Stock
ListingPublication = _listing.OfferListingDtoV1Publication
#: One offer in GET /sale/offers.
OfferListingItem = _listing.OfferListingDto
#: One page of GET /sale/offers; the spec requires no field.
OffersPage = _listing.OffersSearchResultDto


#: GET .../operations/{operationId} while the change is still processed (A10).
OperationStatus = SaleProductOfferStatusResponse
#: The ``operation`` of a pending product-offer change.
OperationInfo = SaleProductOfferStatusResponseOperation


class BulkItemResult(AllegroModel):
    """What happened to one offer in a bulk update."""

    offer_id: str
    ok: bool
    skipped: bool = False
    error: str | None = None
    offer: dict[str, Any] | None = None


class BulkResult(AllegroModel):
    """The outcome of :meth:`~allegro_async.services.offers.OffersService.bulk_update`:
    per-offer results, in the order the offers were given; ``callback_errors``: what a raising
    progress callback raised (logged once; the run went on)."""

    items: list[BulkItemResult] = Field(default_factory=list)
    callback_errors: list[str] = Field(default_factory=list)

    @property
    def succeeded(self) -> list[str]:
        """Offer ids changed in this run, or found done by an earlier run (``skipped``)."""
        return [i.offer_id for i in self.items if i.ok]

    @property
    def failed(self) -> dict[str, str]:
        """Offer id -> error message, for every offer that could not be changed."""
        return {i.offer_id: i.error or "" for i in self.items if not i.ok}

    @property
    def skipped(self) -> list[str]:
        """Offer ids an earlier (interrupted) run had already done."""
        return [i.offer_id for i in self.items if i.skipped]
