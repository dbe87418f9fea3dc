"""Shipping price lists (``/sale/shipping-rates``, S3): the generated models of the
``delivery`` area with the stricter rules this library keeps (a rate's amounts and delivery
method required, ``KILOGRAM`` and ``PLN`` as defaults)."""

from __future__ import annotations

from allegro_async.api.models import GetListOfShippingRatestUsingGETResponse as _List
from allegro_async.api.models import GetShippingRatesSetUsingGETResponse as _Set
from allegro_async.api.models import GetShippingRatesSetUsingGETResponseFeatures as _Features
from allegro_async.api.models import ShippingRate as _Summary
from allegro_async.api.models import ShippingRateMarketplaces as _Marketplace
from allegro_async.api.models import ShippingRatesSetRates as _ShippingRate
from allegro_async.api.models import ShippingRatesSetRatesDeliveryMethod as _DeliveryMethod
from allegro_async.api.models import ShippingRatesSetRatesFirstItemRate as _Rate
from allegro_async.api.models import ShippingRatesSetRatesMaxPackageWeight as _Weight
from allegro_async.api.models import ShippingRatesSetRatesShippingTime as _ShippingTime
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

# AllegroModel as second base keeps ``isinstance(x, AllegroModel)`` true and gives the fields
# narrowed here their camelCase alias.


class Money(_Rate, AllegroModel):
    """An amount as Allegro sends it: a decimal string and an ISO 4217 currency."""

    amount: str
    currency: str = "PLN"


class DeliveryMethodRef(_DeliveryMethod, AllegroModel):
    """A delivery method by id (see GET /sale/delivery-methods)."""

    id: str


class PackageWeight(_Weight, AllegroModel):
    """Maximum package weight; ``unit`` is ``KILOGRAM`` today."""

    value: str
    unit: str | None = "KILOGRAM"


class ShippingTime(_ShippingTime, AllegroModel):
    """Shipping time as ISO 8601 durations, e.g. ``PT24H`` to ``PT72H``. ``from`` is a Python
    keyword, so the attribute is ``from_``; the JSON key stays ``from``."""


class ShippingRate(_ShippingRate, AllegroModel):
    """One delivery method's rates in a price list (``ShippingRate``)."""

    delivery_method: DeliveryMethodRef
    # checked by the service (S3) with a message naming the field, not on construction
    max_quantity_per_package: int
    first_item_rate: Money
    # the spec gives the next item's rate its own (identical) schema; one Money serves both
    next_item_rate: Money  # type: ignore[assignment]
    max_package_weight: PackageWeight | None = None
    shipping_time: ShippingTime | None = None


class ShippingRatesType(OpenEnum):
    """What a price list is for."""

    PHYSICAL = "PHYSICAL"
    ELECTRONIC = "ELECTRONIC"


class ShippingRatesFeatures(_Features, AllegroModel):
    """Flags Allegro sets on a price list."""


class MarketplaceRef(_Marketplace, AllegroModel):
    """A marketplace by id, e.g. ``allegro-pl``."""

    id: str


class ShippingRatesSet(_Set, AllegroModel):
    """A shipping price list (``ShippingRatesSet`` of GET /sale/shipping-rates/{id}). ``id``
    and ``last_modified`` are set by Allegro; leave them out when creating."""

    # the name's rules are checked by the service, with a message naming the field and the
    # fix, so a draft can be built and corrected before sending
    name: str | None = None
    rates: list[ShippingRate]  # type: ignore[assignment]
    type: ShippingRatesType | None = None  # type: ignore[assignment]
    features: ShippingRatesFeatures | None = None


class ShippingRatesSetSummary(_Summary, AllegroModel):
    """One entry of GET /sale/shipping-rates: id, name, flags and marketplaces."""

    id: str
    features: ShippingRatesFeatures | None = None
    marketplaces: list[MarketplaceRef] = []  # type: ignore[assignment]


class ShippingRatesList(_List, AllegroModel):
    """GET /sale/shipping-rates: the account's price lists (the spec requires no field)."""

    shipping_rates: list[ShippingRatesSetSummary] = []  # type: ignore[assignment]
