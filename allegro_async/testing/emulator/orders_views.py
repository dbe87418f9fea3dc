"""JSON of checkout forms, events and shipments, built from an :class:`OrderBook` on demand
(shapes follow the spec's CheckoutForm, OrderEvent and CheckoutFormAddWaybillCreated)."""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

from allegro_async.testing.emulator import orders_data as od

_FIRST = ("Anna", "Jan", "Ewa", "Piotr", "Kasia", "Tomasz", "Ola", "Marek")
_LAST = ("Nowak", "Kowalski", "Wisniewska", "Wojcik", "Kaminska", "Lewandowski")
_CITIES = (("Warszawa", "00-001"), ("Krakow", "30-001"), ("Poznan", "60-001"),
           ("Gdansk", "80-001"), ("Wroclaw", "50-001"))
_PRODUCTS = ("Kubek", "Koszulka", "Ladowarka USB-C", "Plecak", "Lampka LED", "Ksiazka",
             "Sluchawki", "Powerbank")


_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_DATES: dict[int, str] = {}
#: Zero-padded numbers, looked up: format specs were most of the cost of :func:`_ts`.
_DIGITS = tuple(f"{n:02d}" for n in range(100))
_MILLIS = tuple(f"{n:03d}" for n in range(1000))


def _ts(value: float) -> str:
    """A unix timestamp as Allegro writes it (UTC, milliseconds, ``Z``): the same text as
    ``datetime.fromtimestamp(value, utc).isoformat(timespec="milliseconds")``, done by
    arithmetic with the date part cached, because a million-event stream writes a few million
    of them and the datetime route was most of an event's cost."""
    # As fromtimestamp does: the fraction rounded half-even to microseconds, then cut to ms.
    whole = math.floor(value)
    millis = whole * 1000 + round((value - whole) * 1_000_000) // 1000
    day, rest = divmod(millis, 86_400_000)
    date = _DATES.get(day)
    if date is None:
        date = _dt.date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
        if len(_DATES) < 100_000:
            _DATES[day] = date
    seconds, millis = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{date}T{_DIGITS[hours]}:{_DIGITS[minutes]}:{_DIGITS[seconds]}.{_MILLIS[millis]}Z"


def _money(cents: int) -> dict[str, str]:
    return {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "PLN"}


def buyer_json(book: od.OrderBook, buyer: int, *, full: bool) -> dict[str, Any]:
    """The buyer reference (event) or the checkout form's buyer (``full``)."""
    data: dict[str, Any] = {
        "id": str(40_000_000 + buyer),
        "email": f"buyer-{buyer}@allegromail.example",
        "login": f"buyer-{buyer}",
        "guest": buyer % 50 == 49,
        "preferences": {"language": "pl-PL"},
    }
    if full:
        h = od.mix_from(book.hash_start, buyer, 7)  # cheaper than a Random per form
        city, code = _CITIES[h % len(_CITIES)]
        data.update({
            "firstName": _FIRST[(h >> 8) % len(_FIRST)],
            "lastName": _LAST[(h >> 16) % len(_LAST)],
            "phoneNumber": f"+48 5{(h >> 24) % 10**8:08d}",
            "address": {"street": f"Prosta {1 + (h >> 52) % 98}", "city": city,
                        "postCode": code, "countryCode": "PL"},
        })
    return data


_ITEMS_CACHE: dict[tuple[int, int, int, int], list[dict[str, Any]]] = {}
_ITEMS_CACHE_SIZE = 4096


def _item_values(book: od.OrderBook, position: int, source: int
                 ) -> tuple[str, str, str, int, int, str]:
    """(offer id, offer name, SKU, quantity, price in cents, boughtAt) of the line item at
    ``position`` in its form's list, bought in order ``source``: one derivation that the form's
    dicts and the events' pre-encoded JSON both use, so the two cannot disagree."""
    h = od.mix_from(book.hash_start, source, position)
    return (str(17_000_000_000 + (h >> 24) % 10**6), _PRODUCTS[(h >> 44) % len(_PRODUCTS)],
            f"SKU-{(h >> 50) % 10**5:05d}", (1, 1, 1, 2, 3)[(h >> 20) % 5], 999 + h % 49_000,
            _ts(book.bought[source] / 1000))


def _line_items(book: od.OrderBook, index: int) -> list[dict[str, Any]]:
    # Events of one order come in clusters: a small cache saves rebuilding its line items.
    cache_key = (book.serial, index, book.seed, len(book.combined_from.get(index, ())))
    hit = _ITEMS_CACHE.get(cache_key)
    if hit is not None:
        return hit
    out: list[dict[str, Any]] = []
    for position, (item_id, source) in enumerate(book.line_item_ids(index)):
        offer_id, name, sku, quantity, cents, bought_at = _item_values(book, position, source)
        out.append({
            "id": item_id,
            "offer": {"id": offer_id, "name": name, "external": {"id": sku}},
            "quantity": quantity,
            "originalPrice": _money(cents),
            "price": _money(cents),
            "boughtAt": bought_at,
        })
    if len(_ITEMS_CACHE) >= _ITEMS_CACHE_SIZE:
        _ITEMS_CACHE.pop(next(iter(_ITEMS_CACHE)))
    _ITEMS_CACHE[cache_key] = out
    return out


#: Surcharge payment numbers lie far past any order's payment number, so that
#: ``book.payment_number(surcharge_id) - SURCHARGE_BASE`` is the order index.
SURCHARGE_BASE = 1 << 40
PROVIDERS = ("SELLER", "ALLEGRO")


def _form_hash(book: od.OrderBook, index: int) -> int:
    return od.mix_from(book.hash_start, index, 11)


def delivery_method(book: od.OrderBook, index: int) -> int:
    """Index into ``DELIVERY_METHODS`` of a form's delivery method."""
    return (_form_hash(book, index) >> 4) % len(od.DELIVERY_METHODS)


def provider(book: od.OrderBook, index: int) -> int:
    """Index into ``PROVIDERS``: one form in 20 is handled by Allegro's warehouse."""
    return 1 if (_form_hash(book, index) >> 20) % 20 == 0 else 0


def surcharge_id(book: od.OrderBook, index: int) -> str | None:
    """The id of a form's surcharge (an extra payment), one form in 25 has one."""
    if (_form_hash(book, index) >> 24) % 25:
        return None
    return od.make_id(book.payment_prefix, book.seller, SURCHARGE_BASE + index)


#: Built forms by everything they are made of: a 100-form page was 80% building them again.
#: Ten pages of the largest size: a form is ~20 kB of dicts, and users run the emulator in
#: their test suites, where a long walk must not keep every form it served.
_FORMS_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_FORMS_CACHE_SIZE = 1_000


def form_json(book: od.OrderBook, index: int) -> dict[str, Any]:
    """A CheckoutForm as Allegro shows it (shared: callers serialise it, never change it)."""
    # Every per-order value the form reads (the revision alone changes on each change, S13,
    # but the key does not rely on that).
    key = (book.serial, book.seed, index, book.revision[index], book.status[index],
           book.fstatus[index], book.sent[index], book.updated[index], book.payment[index],
           book.buyer[index], book.market[index], book.bought[index],
           len(book.combined_from.get(index, ())))
    hit = _FORMS_CACHE.get(key)
    if hit is None:
        if len(_FORMS_CACHE) >= _FORMS_CACHE_SIZE:
            _FORMS_CACHE.pop(next(iter(_FORMS_CACHE)))
        hit = _FORMS_CACHE[key] = _build_form(book, index)
    return hit


def _build_form(book: od.OrderBook, index: int) -> dict[str, Any]:
    h = _form_hash(book, index)
    items = _line_items(book, index)
    total = sum(
        int(item["price"]["amount"].replace(".", "")) * item["quantity"] for item in items
    )
    delivery_cost = (0, 899, 1299)[h % 3]
    method_id, method_name = od.DELIVERY_METHODS[delivery_method(book, index)]
    buyer = buyer_json(book, book.buyer[index], full=True)
    status = book.status[index]
    payment: dict[str, Any] = {
        "id": book.payment_id(index),
        "type": od.PAYMENT_TYPES[(h >> 8) % len(od.PAYMENT_TYPES)],
        "provider": "P24",
    }
    if status in (od.READY, od.CANCELLED):
        payment["finishedAt"] = _ts(book.bought[index] / 1000 + 45)
        payment["paidAmount"] = _money(total + delivery_cost)
    return {
        "id": book.form_id(index),
        "messageToSeller": "" if (h >> 12) % 5 else "Prosze o szybka wysylke",
        "buyer": buyer,
        "payment": payment,
        "status": od.FORM_STATUSES[status],
        "fulfillment": {
            "status": od.FULFILLMENT_STATUSES[book.fstatus[index]],
            "shipmentSummary": {"lineItemsSent": od.LINE_ITEMS_SENT[book.sent[index]]},
            "provider": {"id": PROVIDERS[provider(book, index)]},
        },
        "delivery": {
            "address": {
                "firstName": buyer["firstName"], "lastName": buyer["lastName"],
                "street": buyer["address"]["street"], "city": buyer["address"]["city"],
                "zipCode": buyer["address"]["postCode"], "countryCode": "PL",
                "phoneNumber": buyer["phoneNumber"],
            },
            "method": {"id": method_id, "name": method_name},
            "cost": _money(delivery_cost),
            "smart": delivery_cost == 0,
            "calculatedNumberOfPackages": 1,
        },
        "invoice": {"required": (h >> 16) % 10 == 0},
        "lineItems": items,
        "surcharges": _surcharges(book, index, payment),
        "note": {"text": ""},
        "marketplace": {"id": od.MARKETPLACES[book.market[index]]},
        "summary": {"totalToPay": _money(total + delivery_cost)},
        "updatedAt": _ts(book.updated[index] / 1000),
        "revision": book.revision_tag(index),
    }


def _surcharges(book: od.OrderBook, index: int, payment: dict[str, Any]
                ) -> list[dict[str, Any]]:
    found = surcharge_id(book, index)
    if found is None:
        return []
    return [{"id": found, "type": payment["type"], "provider": "P24",
             "finishedAt": _ts(book.bought[index] / 1000 + 3600), "paidAmount": _money(500)}]


def event_json(book: od.OrderBook, position: int) -> dict[str, Any]:
    """An OrderEvent: the same data for an event and its duplicates, only the id differs."""
    index = book.ev_order[position]
    items = _line_items(book, index)
    return {
        "id": book.event_id(position),
        "order": {
            "seller": {"id": str(10_000_001 + book.seller)},
            "buyer": buyer_json(book, book.buyer[index], full=False),
            "lineItems": [
                {"id": item["id"], "offer": {"id": item["offer"]["id"],
                                             "name": item["offer"]["name"]},
                 "quantity": item["quantity"], "originalPrice": item["originalPrice"],
                 "price": item["price"], "boughtAt": item["boughtAt"]}
                for item in items
            ],
            "checkoutForm": {"id": book.form_id(index)},
            "marketplace": {"id": od.MARKETPLACES[book.market[index]]},
        },
        "type": od.EVENT_TYPES[book.ev_type[position]],
        "occurredAt": _ts(book.ev_time[position]),
    }


_ORDER_FRAGMENTS: dict[tuple[int, int, int], str] = {}
_BUYER_REFS: dict[tuple[int, int], str] = {}
#: JSON string literals of the product names, encoded once.
_PRODUCT_JSON = {name: json.dumps(name) for name in _PRODUCTS}


def _order_fragment(book: od.OrderBook, index: int) -> str:
    """The ``order`` part of :func:`event_json`, written straight as compact JSON.

    The journal's padding sweeps across all orders, so at 100 000 orders nearly every event
    misses the fragment cache; building dicts and ``json.dumps``-ing them on each miss made the
    emulator, not the client, the cost of a 1 000 000-event stream. Every value here is a
    number or a string without characters JSON would escape (ids, digits, fixed names,
    encoded once), so plain formatting gives the same JSON."""
    buyer = book.buyer[index]
    buyer_ref = _BUYER_REFS.get((book.serial, buyer))
    if buyer_ref is None:
        buyer_ref = json.dumps(buyer_json(book, buyer, full=False), separators=(",", ":"))
        if len(_BUYER_REFS) >= _ITEMS_CACHE_SIZE:
            _BUYER_REFS.pop(next(iter(_BUYER_REFS)))
        _BUYER_REFS[(book.serial, buyer)] = buyer_ref
    items = []
    for position, (item_id, source) in enumerate(book.line_item_ids(index)):
        offer_id, name, _, quantity, cents, bought_at = _item_values(book, position, source)
        money = f'{{"amount":"{cents // 100}.{_DIGITS[cents % 100]}","currency":"PLN"}}'
        items.append(
            f'{{"id":"{item_id}","offer":{{"id":"{offer_id}","name":{_PRODUCT_JSON[name]}}},'
            f'"quantity":{quantity},"originalPrice":{money},"price":{money},'
            f'"boughtAt":"{bought_at}"}}')
    return (
        f'{{"seller":{{"id":"{10_000_001 + book.seller}"}},"buyer":{buyer_ref},'
        f'"lineItems":[{",".join(items)}],"checkoutForm":{{"id":"{book.form_id(index)}"}},'
        f'"marketplace":{{"id":"{od.MARKETPLACES[book.market[index]]}"}}}}'
    )


def event_bytes(book: od.OrderBook, position: int) -> str:
    """:func:`event_json` already encoded; the order part is cached per order (events of one
    order come in clusters) and cheap to build when it misses."""
    index = book.ev_order[position]
    # Keyed on the book's serial, never id(): a freed book's id is reused by a new one.
    cache_key = (book.serial, index, len(book.combined_from.get(index, ())))
    fragment = _ORDER_FRAGMENTS.get(cache_key)
    if fragment is None:
        fragment = _order_fragment(book, index)
        if len(_ORDER_FRAGMENTS) >= _ITEMS_CACHE_SIZE:
            _ORDER_FRAGMENTS.pop(next(iter(_ORDER_FRAGMENTS)))
        _ORDER_FRAGMENTS[cache_key] = fragment
    return (
        f'{{"id":"{book.event_id(position)}","order":{fragment},'
        f'"type":"{od.EVENT_TYPES[book.ev_type[position]]}",'
        f'"occurredAt":"{_ts(book.ev_time[position])}"}}'
    )


def shipment_json(shipment: od.Shipment) -> dict[str, Any]:
    """A CheckoutFormAddWaybillCreated."""
    data: dict[str, Any] = {
        "id": shipment.id,
        "waybill": shipment.waybill,
        "carrierId": shipment.carrier_id,
        "lineItems": [{"id": item} for item in shipment.line_item_ids],
        "createdAt": _ts(shipment.created_at),
    }
    if shipment.carrier_name:
        data["carrierName"] = shipment.carrier_name
    return data
