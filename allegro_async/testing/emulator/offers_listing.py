"""Emulator: GET /sale/offers, the offer listing with its filters, sort and paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from allegro_async.testing.emulator import offers_data
from allegro_async.testing.emulator.http import ApiError, int_query, json_response, require_user

if TYPE_CHECKING:
    from allegro_async.testing.emulator.offers import OffersState

_LISTING_SORTS = {
    "sellingMode.price.amount": lambda o: float(
        ((o.get("sellingMode") or {}).get("price") or {}).get("amount", 0)),
    "stock.sold": lambda o: o["_sold"],
    "stock.available": lambda o: o["stock"]["available"],
}


def _bad_param(name: str, problem: str) -> ApiError:
    return ApiError(400, "IllegalArgumentException", f"Parameter '{name}' {problem}", path=name)


def _matches(offer: dict[str, Any], q: Any) -> bool:
    """One offer against GET /sale/offers filters."""
    ids = q.getlist("offer.id")
    if ids and offer["id"] not in ids:
        return False
    statuses = q.getlist("publication.status")
    if statuses and offer["publication"].get("status") not in statuses:
        return False
    externals = q.getlist("external.id")
    if externals and (offer.get("external") or {}).get("id") not in externals:
        return False
    formats = q.getlist("sellingMode.format")
    if formats and (offer.get("sellingMode") or {}).get("format") not in formats:
        return False
    name = q.get("name")
    if name and name.lower() not in str(offer.get("name", "")).lower():
        return False
    category = q.get("category.id")
    if category and (offer.get("category") or {}).get("id") != category:
        return False
    price_text = ((offer.get("sellingMode") or {}).get("price") or {}).get("amount")
    for key, above in (("sellingMode.price.amount.gte", True),
                       ("sellingMode.price.amount.lte", False)):
        bound = q.get(key)
        if bound is None:
            continue
        if price_text is None:
            return False
        price = float(price_text)
        if (above and price < float(bound)) or (not above and price > float(bound)):
            return False
    return True


async def list_offers(request: Request) -> Response:
    """GET /sale/offers: the caller's offers, filtered, sorted and paged."""
    who = require_user(request)
    state: OffersState = request.app.state.emulator.offers
    state.commands.settle_due()
    q = request.query_params
    limit = int_query(request, "limit", 20, 1, 1000, _bad_param)
    offset = int_query(request, "offset", 0, 0, 9_999_999, _bad_param)
    if offset + limit > 10_000_000:
        raise _bad_param("offset", "plus limit may not exceed 10 000 000")
    for key in ("sellingMode.price.amount.gte", "sellingMode.price.amount.lte"):
        if key in q:
            try:
                float(q[key])
            except ValueError:
                raise _bad_param(key, "must be a number") from None
    found = [o for o in state.offers_of(str(who.user_id)).values() if _matches(o, q)]
    sort = q.get("sort")
    if sort:
        sort_key = _LISTING_SORTS.get(sort.lstrip("-"))
        if sort_key is None:
            raise _bad_param("sort", f"has an unknown value {sort!r}")
        found.sort(key=sort_key, reverse=sort.startswith("-"))
    else:
        found.sort(key=lambda o: (o["createdAt"], o["id"]), reverse=True)
    page = found[offset:offset + limit]
    return json_response(request, {
        "offers": [offers_data.listing(o) for o in page],
        "count": len(page),
        "totalCount": len(found),
    })
