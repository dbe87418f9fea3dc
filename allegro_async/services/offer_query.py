"""The query of ``client.offers.list()`` (GET /sale/offers): its filters checked, each as the
spec allows it, and mapped to the spec's parameter names before anything is sent; and the
check that every offer of a page has the id the walk needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from allegro_async import _args
from allegro_async.errors import InvalidArgumentError, ResponseValidationError
from allegro_async.models.offers import OfferListingItem

if TYPE_CHECKING:
    from allegro_async._response import APIResponse

#: ``list()`` keyword -> GET /sale/offers query parameter.
LIST_FILTERS = {
    "offer_id": "offer.id",
    "name": "name",
    "publication_status": "publication.status",
    "external_id": "external.id",
    "category_id": "category.id",
    "price_gte": "sellingMode.price.amount.gte",
    "price_lte": "sellingMode.price.amount.lte",
    "selling_format": "sellingMode.format",
    "marketplace": "publication.marketplace",
    "shipping_rates_id": "delivery.shippingRates.id",
    "product_id_empty": "product.id.empty",
    "sort": "sort",
}

#: The spec's enums for list filters, checked before sending (a typo would match nothing).
LIST_ENUMS = {
    "publication_status": ("INACTIVE", "ACTIVE", "ACTIVATING", "ENDED"),
    "selling_format": ("BUY_NOW", "ADVERTISEMENT", "AUCTION"),
}


#: The spec's sort orders of GET /sale/offers.
LIST_SORTS = ("sellingMode.price.amount", "-sellingMode.price.amount", "stock.sold",
              "-stock.sold", "stock.available", "-stock.available")


def ids_present(offers: list[OfferListingItem], raw: APIResponse) -> None:
    """Refuse a page holding an offer without an id."""
    # the spec makes an offer's id optional, but an offer without one cannot be read,
    # changed or told apart from the next page's: refused, naming it, as a malformed page
    for i, offer in enumerate(offers):
        if not offer.id:
            raise ResponseValidationError(
                f"GET /sale/offers: offers[{i}] has no id (field 'offers[{i}].id'); "
                "report the trace id to Allegro", body=raw.json(), trace_id=raw.trace_id)


def search_keywords(query: Mapping[str, Any]) -> dict[str, Any]:
    """The query by wire name as the generated search_offers' keywords; a name the spec does
    not give GET /sale/offers is refused before anything is sent."""
    from allegro_async.api import OPERATIONS  # on first use: importing the package stays cheap

    names = {p.name: p.python_name for p in OPERATIONS["searchOffersUsingGET"].params
             if p.location == "query"}
    out: dict[str, Any] = {}
    for key, value in query.items():
        if key in ("limit", "offset"):
            raise InvalidArgumentError(f"params[{key}]", "is set by the walk",
                                       "use page_size= and max_items= instead")
        if key not in names:
            raise InvalidArgumentError(f"params[{key}]", "is not a query parameter of "
                                       "GET /sale/offers", "use a parameter the spec names")
        if value is not None:
            out[names[key]] = value
    return out


def list_query(page_size: object, max_items: object, params: object,
                filters: Mapping[str, Any]) -> dict[str, Any]:
    """The GET /sale/offers query for ``list()``'s arguments, every one checked."""
    _args.page_size(page_size, "page_size", 1, 1000, "GET /sale/offers")
    _args.optional(max_items, lambda m: _args.count(m, "max_items"))
    query: dict[str, Any] = (_args.mapping(params, "params", allow_empty=True)
                             if params is not None else {})
    for key, value in filters.items():
        if key not in LIST_FILTERS:
            raise InvalidArgumentError(key, "is not a filter of GET /sale/offers",
                                       f"use one of {', '.join(LIST_FILTERS)} or params=")
        if key in LIST_ENUMS:
            value = _args.choices(value, key, LIST_ENUMS[key])
        elif key == "offer_id":
            value = ([_args.ident(value, key)] if isinstance(value, (str, int))
                     else _args.id_list(value, key))
        elif key in ("price_gte", "price_lte"):  # the spec's minimums: gte 0, lte 1
            value = str(_args.amount(value, key, minimum=Decimal(key == "price_lte")))
        elif key == "product_id_empty":
            value = _args.flag(value, key)
        elif key == "sort":
            value = _args.choice(value, key, LIST_SORTS)
        elif key == "external_id":
            value = _args.texts(value, key, max_len=100)
        elif key == "shipping_rates_id":
            value = _args.uuid_text(value, key)
        else:  # name, category_id, marketplace: text sent as given
            value = _args.text(value, key)
        query[LIST_FILTERS[key]] = value
    return query
