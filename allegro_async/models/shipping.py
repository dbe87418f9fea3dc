"""Shipping price lists (``/sale/shipping-rates``, S3), after the spec's ``ShippingRatesSet``."""

from __future__ import annotations

from pydantic import Field

from allegro_async.models.base import AllegroModel, OpenEnum

__all__ = [
    "DeliveryMethodRef",
    "MarketplaceRef",
    "Money",
    "PackageWeight",
    "ShippingRate",
    "ShippingRatesFeatures",
    "ShippingRatesList",
    "ShippingRatesSet",
    "ShippingRatesSetSummary",
    "ShippingRatesType",
    "ShippingTime",
]


class Money(AllegroModel):
    """An amount as Allegro sends it: a decimal string and an ISO 4217 currency."""

    amount: str
    currency: str = "PLN"


class DeliveryMethodRef(AllegroModel):
    """A delivery method by id (see GET /sale/delivery-methods)."""

    id: str


class PackageWeight(AllegroModel):
    """Maximum package weight; ``unit`` is ``KILOGRAM`` today."""

    value: str
    unit: str | None = "KILOGRAM"


class ShippingTime(AllegroModel):
    """Shipping time as ISO 8601 durations, e.g. ``PT24H`` to ``PT72H``. ``from`` is a Python
    keyword, so the attribute is ``from_``; the JSON key stays ``from``."""

    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class ShippingRate(AllegroModel):
    """One delivery method's rates in a price list (``ShippingRate``)."""

    delivery_method: DeliveryMethodRef
    max_quantity_per_package: int
    first_item_rate: Money
    next_item_rate: Money
    max_package_weight: PackageWeight | None = None
    shipping_time: ShippingTime | None = None


class ShippingRatesType(OpenEnum):
    """What a price list is for."""

    PHYSICAL = "PHYSICAL"
    ELECTRONIC = "ELECTRONIC"


class ShippingRatesFeatures(AllegroModel):
    """Flags Allegro sets on a price list."""

    managed_by_allegro: bool | None = None
    is_fulfillment: bool | None = None


class MarketplaceRef(AllegroModel):
    """A marketplace by id, e.g. ``allegro-pl``."""

    id: str


class ShippingRatesSet(AllegroModel):
    """A shipping price list (``ShippingRatesSet``). ``id`` and ``last_modified`` are set by
    Allegro; leave them out when creating."""

    rates: list[ShippingRate]
    id: str | None = None
    name: str | None = None
    last_modified: str | None = None
    type: ShippingRatesType | None = None
    dispatch_country: str | None = None
    features: ShippingRatesFeatures | None = None


class ShippingRatesSetSummary(AllegroModel):
    """One entry of GET /sale/shipping-rates: id, name, flags and marketplaces."""

    id: str
    name: str | None = None
    features: ShippingRatesFeatures | None = None
    marketplaces: list[MarketplaceRef] = []


class ShippingRatesList(AllegroModel):
    """GET /sale/shipping-rates: the account's price lists (the spec requires no field)."""

    shipping_rates: list[ShippingRatesSetSummary] = []
