"""Shipping price lists (``/sale/shipping-rates``, S3): the generated models of the
``delivery`` area under this library's names (one model per schema). ``ShippingRatesSet`` is
the spec's own schema; what each operation answers is a subclass of it
(``GetShippingRatesSetUsingGETResponse`` with ``type`` and ``features``, ...). What the
service needs of a price list (a name, each rate's delivery method, amounts and currencies)
it checks before sending, naming the field."""

from __future__ import annotations

from allegro_async.api.models import (
    GetListOfShippingRatestUsingGETResponse,
    GetShippingRatesSetUsingGETResponseFeatures,
    GetShippingRatesSetUsingGETResponseType,
    ShippingRateMarketplaces,
    ShippingRatesSet,
    ShippingRatesSetRates,
    ShippingRatesSetRatesDeliveryMethod,
    ShippingRatesSetRatesFirstItemRate,
    ShippingRatesSetRatesMaxPackageWeight,
    ShippingRatesSetRatesNextItemRate,
    ShippingRatesSetRatesShippingTime,
)
from allegro_async.api.models import ShippingRate as ShippingRatesSetSummary

__all__ = [
    "DeliveryMethodRef",
    "MarketplaceRef",
    "Money",
    "NextItemMoney",
    "PackageWeight",
    "ShippingRate",
    "ShippingRatesFeatures",
    "ShippingRatesList",
    "ShippingRatesSet",
    "ShippingRatesSetSummary",
    "ShippingRatesType",
    "ShippingTime",
]

#: The first item's rate: an amount (a decimal string) and an ISO 4217 currency.
Money = ShippingRatesSetRatesFirstItemRate
#: The next item's rate (the spec gives it its own schema, of the same shape as :data:`Money`).
NextItemMoney = ShippingRatesSetRatesNextItemRate
#: A delivery method by id (see GET /sale/delivery-methods).
DeliveryMethodRef = ShippingRatesSetRatesDeliveryMethod
#: Maximum package weight; ``unit`` is ``KILOGRAM`` today.
PackageWeight = ShippingRatesSetRatesMaxPackageWeight
#: Shipping time as ISO 8601 durations (``from_``, ``to``).
ShippingTime = ShippingRatesSetRatesShippingTime
#: One delivery method's rates in a price list.
ShippingRate = ShippingRatesSetRates
#: What a price list is for (``PHYSICAL``, ``ELECTRONIC``).
ShippingRatesType = GetShippingRatesSetUsingGETResponseType
#: Flags Allegro sets on a price list.
ShippingRatesFeatures = GetShippingRatesSetUsingGETResponseFeatures
#: A marketplace by id, e.g. ``allegro-pl``.
MarketplaceRef = ShippingRateMarketplaces
#: GET /sale/shipping-rates: the account's price lists (the spec requires no field).
ShippingRatesList = GetListOfShippingRatestUsingGETResponse
