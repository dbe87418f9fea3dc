"""GET /order/checkout-forms: filters, sort and time ranges over an :class:`OrderBook` (A9, S16).

A filtered, sorted index list is cached per book version, so paging or slicing by time over
100 000 orders costs one scan, then a bisection per page.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

from allegro_async.testing.emulator import orders_data as od
from allegro_async.testing.emulator import orders_views as ov
from allegro_async.testing.emulator.clock import parse_iso
from allegro_async.testing.emulator.http import ApiError

SORTS = ("lineItems.boughtAt", "-lineItems.boughtAt", "updatedAt", "-updatedAt")
_CACHE_SIZE = 8

# (book serial, version, filters, sort field) -> (keys ascending, indexes in that order)
_cache: dict[tuple[object, ...], tuple[list[int], list[int]]] = {}


def _time(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return round(parse_iso(raw).timestamp() * 1000)
    except ValueError:
        raise ApiError(422, "VALIDATION_ERROR", f"'{name}' is not a date-time",
                       path=name) from None


def _choice(params: Mapping[str, str], name: str, values: tuple[str, ...]) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in values:
        raise ApiError(422, "VALIDATION_ERROR", f"'{name}' must be one of {', '.join(values)}",
                       path=name)
    return values.index(raw)


def _candidates(book: od.OrderBook, params: Mapping[str, str], by_updated: bool
                ) -> tuple[list[int], list[int]]:
    status = _choice(params, "status", od.FORM_STATUSES)
    fstatus = _choice(params, "fulfillment.status", od.FULFILLMENT_STATUSES)
    sent = _choice(params, "fulfillment.shipmentSummary.lineItemsSent", od.LINE_ITEMS_SENT)
    market = params.get("marketplace.id")
    login = params.get("buyer.login")
    payment_id = params.get("payment.id")
    provider = _choice(params, "fulfillment.provider.id", ov.PROVIDERS)
    method_id = params.get("delivery.method.id")
    surcharge = params.get("surcharges.id")
    key = (book.serial, book.version, status, fstatus, sent, market, login, payment_id,
           provider, method_id, surcharge, by_updated)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    buyer = None
    if login is not None:
        digits = login.removeprefix("buyer-")
        buyer = int(digits) if login.startswith("buyer-") and digits.isdigit() else -1
    payment = None
    if payment_id is not None:
        found = book.payment_number(payment_id)
        payment = -1 if found is None else found
    market_code = -1
    if market is not None and market in od.MARKETPLACES:
        market_code = od.MARKETPLACES.index(market)
    method = -1
    if method_id is not None:
        method = next((n for n, (mid, _) in enumerate(od.DELIVERY_METHODS) if mid == method_id),
                      -1)
    surcharged = -1
    if surcharge is not None:
        number = book.payment_number(surcharge)
        if number is not None and number >= ov.SURCHARGE_BASE:
            surcharged = number - ov.SURCHARGE_BASE
    chosen = [
        i for i in range(len(book.bought))
        if not book.gone[i]
        and (provider is None or ov.provider(book, i) == provider)
        and (method_id is None or ov.delivery_method(book, i) == method)
        and (surcharge is None or (i == surcharged and ov.surcharge_id(book, i) == surcharge))
        and (status is None or book.status[i] == status)
        and (fstatus is None or book.fstatus[i] == fstatus)
        and (sent is None or book.sent[i] == sent)
        and (market is None or book.market[i] == market_code)
        and (buyer is None or book.buyer[i] == buyer)
        and (payment is None or book.payment[i] == payment)
    ]
    source = book.updated if by_updated else book.bought
    if by_updated:
        chosen.sort(key=lambda i: (source[i], i))
    keys = [source[i] for i in chosen]
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = (keys, chosen)
    return keys, chosen


def list_forms(book: od.OrderBook, params: Mapping[str, str], offset: int, limit: int
               ) -> tuple[list[int], int]:
    """The order indexes of one page and the total count matching ``params``."""
    sort = params.get("sort", "-lineItems.boughtAt")
    if sort not in SORTS:
        raise ApiError(422, "VALIDATION_ERROR", f"'sort' must be one of {', '.join(SORTS)}",
                       path="sort")
    by_updated = sort.endswith("updatedAt")
    keys, chosen = _candidates(book, params, by_updated)
    bounds = {
        "lineItems.boughtAt": (_time(params, "lineItems.boughtAt.gte"),
                               _time(params, "lineItems.boughtAt.lte")),
        "updatedAt": (_time(params, "updatedAt.gte"), _time(params, "updatedAt.lte")),
    }
    field, other = ("updatedAt", "lineItems.boughtAt") if by_updated else (
        "lineItems.boughtAt", "updatedAt")
    gte, lte = bounds[field]
    lo = 0 if gte is None else bisect.bisect_left(keys, gte)
    hi = len(keys) if lte is None else bisect.bisect_right(keys, lte)
    window = chosen[lo:max(lo, hi)]
    other_gte, other_lte = bounds[other]
    if other_gte is not None or other_lte is not None:
        values = book.bought if by_updated else book.updated
        window = [
            i for i in window
            if (other_gte is None or values[i] >= other_gte)
            and (other_lte is None or values[i] <= other_lte)
        ]
    if sort.startswith("-"):
        window.reverse()
    return window[offset:offset + limit], len(window)
