"""Offer models: product offers (``/sale/product-offers``), the offer listing
(``/sale/offers``), async operations (A10) and bulk-update results."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pydantic import Field

from allegro_async.api.models import BuyNowPrice as _BuyNowPrice
from allegro_async.api.models import (
    OfferCategory,
    SaleProductOfferPublicationResponse,
    SaleProductOfferResponseV1,
    SaleProductOfferResponseV1Stock,
    SaleProductOfferSellingMode,
)
from allegro_async.api.models import users_offer_information as _listing
from allegro_async.models.base import AllegroModel, OpenEnum

# The offer models subclass the generated ones (every field of the spec); AllegroModel as
# second base keeps ``isinstance(x, AllegroModel)`` true and gives the fields narrowed here
# their camelCase alias.


class PublicationStatus(OpenEnum):
    """An offer's publication status. ``INACTIVE`` is a draft (S19)."""

    INACTIVE = "INACTIVE"
    ACTIVATING = "ACTIVATING"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


class Price(_BuyNowPrice, AllegroModel):
    """An amount (a decimal string, as Allegro sends it) in a currency."""


class SellingMode(SaleProductOfferSellingMode, AllegroModel):
    """How the offer sells: format and price (and the auction's prices)."""

    price: Price | None = None


class Stock(SaleProductOfferResponseV1Stock, AllegroModel):
    """Units available (and sold, in the listing)."""

    unit: str | None = None  # type: ignore[assignment]  # was text here; the enum is open anyway
    sold: int | None = None


class OfferPublication(SaleProductOfferPublicationResponse, AllegroModel):
    """The ``publication`` section (times as datetimes, naive ones taken as given)."""

    status: PublicationStatus | None = None  # type: ignore[assignment]
    starting_at: _dt.datetime | None = None
    ending_at: _dt.datetime | None = None
    ended_by: str | None = None  # type: ignore[assignment]


class IdRef(OfferCategory, AllegroModel):
    """``{"id": ...}``, as for categories and external ids."""


class ProductOffer(SaleProductOfferResponseV1, AllegroModel):
    """An offer as GET /sale/product-offers/{offerId} returns it (SaleProductOfferResponseV1).

    Every field of the spec's schema is typed, and unknown ones are kept (``model_extra``),
    so :meth:`to_api` sends the whole structure back, as S18 needs. The spec's schema lists no
    required field, but an offer Allegro returns always has its ``id`` (it is how the offer is
    read, changed and deleted), so a body without one is refused rather than read as an
    offer with no id.
    """

    id: str
    category: IdRef | None = None
    selling_mode: SellingMode | None = None
    stock: Stock | None = None
    publication: OfferPublication | None = None
    external: IdRef | None = None  # type: ignore[assignment]
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None


class ProductOfferBody(ProductOffer):
    """A product offer as sent in POST or PATCH ``/sale/product-offers`` (the request
    schemas): the same fields, and no ``id``, which the URL or Allegro gives."""

    id: str | None = None  # type: ignore[assignment]


class OfferParts(_listing.SalePartialProductOfferResponse, AllegroModel):
    """GET /sale/product-offers/{offerId}/parts: just stock and/or price
    (``SalePartialProductOfferResponse``, every field of the spec, e.g.
    ``additional_marketplaces``). ``id`` is required, as of :class:`ProductOffer`."""

    id: str
    stock: Stock | None = None  # type: ignore[assignment]
    selling_mode: SellingMode | None = None  # type: ignore[assignment]


class ListingStock(_listing.OfferListingDtoV1Stock, AllegroModel):
    """The listing's stock: available and sold units (``unit`` kept from earlier releases;
    the listing's schema has none, so it is ``None`` unless Allegro sends it)."""

    unit: str | None = None


class ListingPublication(_listing.OfferListingDtoV1Publication, AllegroModel):
    """The listing's ``publication``, its times as datetimes (the spec's are strings)."""

    status: PublicationStatus | None = None  # type: ignore[assignment]
    starting_at: _dt.datetime | None = None  # type: ignore[assignment]
    ending_at: _dt.datetime | None = None  # type: ignore[assignment]


class OfferListingItem(_listing.OfferListingDto, AllegroModel):
    """One offer in GET /sale/offers (``OfferListingDto``, every field of the spec)."""

    id: str
    category: IdRef | None = None
    stock: ListingStock | None = None
    publication: ListingPublication | None = None
    external: IdRef | None = None  # type: ignore[assignment]


class OffersPage(_listing.OffersSearchResultDto, AllegroModel):
    """One page of GET /sale/offers (``OffersSearchResultDto``). The spec requires no field:
    ``count`` and ``total_count`` are ``None`` when Allegro left them out."""

    offers: list[OfferListingItem] = Field(default_factory=list)  # type: ignore[assignment]
    count: int | None = None
    total_count: int | None = None


class OperationInfo(AllegroModel):
    """The ``operation`` of a pending product-offer change."""

    id: str | None = None
    status: str | None = None
    started_at: str | None = None


class OperationStatus(AllegroModel):
    """GET .../operations/{operationId} while the change is still processed (A10)."""

    offer: IdRef | None = None
    operation: OperationInfo | None = None


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
