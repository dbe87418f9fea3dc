"""Emulator: event journal, event stats, checkout forms, fulfillment, shipments, carriers
(S9-S16, A8, A9)."""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator import orders_data as od
from allegro_async.testing.emulator.clock import iso
from allegro_async.testing.emulator.http import (
    ApiError,
    emulator_of,
    json_body,
    json_response,
    media_type_of,
    principal,
    require_user,
)
from allegro_async.testing.emulator.orders_listing import list_forms
from allegro_async.testing.emulator.orders_views import event_bytes, form_json, shipment_json

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class OrdersConfig:
    """Settings of the emulator's orders area.

    ``orders_per_seller`` orders are spread over the last ``history_days``; ``events_per_seller``
    pads each journal with later events (BUYER_MODIFIED, FULFILLMENT_STATUS_CHANGED) up to that
    count. The rates decide how often the S9-S12 quirks show. ``auto_sent_sellers`` are the
    seller indexes whose "adding a waybill sets SENT" option is on (S14).
    ``new_orders_per_hour`` makes orders arrive as emulated time passes.
    """

    orders_per_seller: int = 200
    events_per_seller: int | None = None
    history_days: float = 30.0
    retention_days: float = 60.0
    new_orders_per_hour: float = 0.0
    auto_sent_sellers: tuple[int, ...] = (1,)
    rates: dict[str, float] = field(default_factory=lambda: {
        "lone_ready": 0.08, "combine": 0.03, "reorder": 0.15, "duplicate": 0.05, "cancel": 0.04,
    })


class OrdersState:
    """The emulator's orders data and behaviour. Each seller's book is built on first use.

    From Python: :meth:`new_order`, :meth:`buyer_cancels`, :meth:`combine` and
    :meth:`set_auto_sent` make things happen, so streams and demos have something to follow.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.config: OrdersConfig = emulator.config.orders
        self._books: dict[int, od.OrderBook] = {}
        self._auto_sent = set(self.config.auto_sent_sellers)
        self._last_tick: float | None = None
        self._carry = 0.0

    # -- data -------------------------------------------------------------------------------
    def now(self) -> float:
        """Emulated "now" as a unix timestamp."""
        return self.emulator.clock.now().timestamp()

    def book(self, seller: int | str = 0) -> od.OrderBook:
        """The order book of a seller (index, id or login), generated on first use."""
        index = self.emulator.sellers.index(self.emulator.seller(seller))
        book = self._books.get(index)
        if book is None:
            book = od.OrderBook(seed=self.emulator.config.seed, seller=index,
                                event_base=(index + 1) * 10**12)
            od.generate(
                book, orders=self.config.orders_per_seller,
                events=self.config.events_per_seller, history_days=self.config.history_days,
                now=self.emulator.clock.epoch.timestamp(), rates=self.config.rates,
            )
            self._books[index] = book
        self._tick()
        return book

    def _tick(self) -> None:
        """Orders that arrived since the last look, at ``new_orders_per_hour``."""
        now = self.now()
        if self._last_tick is None or self.config.new_orders_per_hour <= 0:
            self._last_tick = now
            return
        self._carry += (now - self._last_tick) / 3600 * self.config.new_orders_per_hour
        self._last_tick = now
        while self._carry >= 1 and self._books:
            self._carry -= 1
            seller = self.emulator.random.choice(sorted(self._books))
            self.new_order(seller)

    def find(self, form_id: str) -> tuple[od.OrderBook, int]:
        """(book, index) of a checkout form id, in any seller's book; KeyError if unknown."""
        for seller in range(len(self.emulator.sellers)):
            book = self.book(seller)
            index = book.form_index(form_id)
            if index is not None:
                return book, index
        raise KeyError(form_id)

    # -- things that happen -----------------------------------------------------------------
    def new_order(self, seller: int | str = 0, *, lone_ready: bool = False) -> str:
        """A buyer buys and pays now: BOUGHT, FILLED_IN, READY_FOR_PROCESSING (or a lone
        READY_FOR_PROCESSING, S9). Returns the checkout form id."""
        book = self.book(seller)
        now = self.now()
        index = book.add_order(now, self.emulator.random)
        kinds = (od.E_READY,) if lone_ready else (od.E_BOUGHT, od.E_FILLED_IN, od.E_READY)
        for kind in kinds:
            book.add_event(index, kind, now)
        book.status[index] = od.READY
        return book.form_id(index)

    def buyer_cancels(self, form_id: str) -> None:
        """The buyer cancels: status CANCELLED, a new revision and a BUYER_CANCELLED event."""
        book, index = self.find(form_id)
        now = self.now()
        book.status[index] = od.CANCELLED
        book.fstatus[index] = od.F_CANCELLED
        book.touch(index, now)
        book.add_event(index, od.E_CANCELLED, now)

    def buyer_modifies(self, form_id: str) -> None:
        """The buyer changes the delivery address: a new revision and a BUYER_MODIFIED event."""
        book, index = self.find(form_id)
        book.touch(index, self.now())
        book.add_event(index, od.E_MODIFIED, self.now())

    def combine(self, form_id: str) -> str:
        """S12: the buyer combines this order into a new payment. The form answers 404 from
        now on; a new form with the same payment id and its line items replaces it."""
        book, index = self.find(form_id)
        now = self.now()
        new = book.add_order(now, self.emulator.random, payment=book.payment[index],
                             buyer=book.buyer[index])
        book.gone[index] = 1
        book.combined_from[new] = [index]
        book.combined_into[index] = new
        book.status[new] = od.READY
        for kind in (od.E_BOUGHT, od.E_FILLED_IN, od.E_READY):
            book.add_event(new, kind, now)
        return book.form_id(new)

    def set_auto_sent(self, seller: int | str, enabled: bool) -> None:
        """S14: whether adding a waybill also sets the fulfillment status SENT."""
        index = self.emulator.sellers.index(self.emulator.seller(seller))
        (self._auto_sent.add if enabled else self._auto_sent.discard)(index)

    def auto_sent(self, seller: int) -> bool:
        """S14: the seller's "waybill sets SENT" option."""
        return seller in self._auto_sent


# -- routes ---------------------------------------------------------------------------------
def _book_of(request: Request) -> od.OrderBook:
    who = require_user(request)
    emulator = emulator_of(request)
    try:
        return emulator.orders.book(str(who.user_id))
    except KeyError:
        raise ApiError(404, "NotFoundException", f"User {who.user_id} not found") from None


def _unprocessable(message: str, path: str | None = None) -> ApiError:
    return ApiError(422, "VALIDATION_ERROR", message, path=path)


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _unprocessable(f"'{name}' must be an integer", name) from None
    if not lo <= value <= hi:
        raise _unprocessable(f"'{name}' must be between {lo} and {hi}", name)
    return value


def _form_index(request: Request, book: od.OrderBook) -> int:
    form_id = request.path_params["id"]
    index = book.form_index(form_id)
    if index is None or book.gone[index]:
        # S12: a combined form answers 404 like one that never existed.
        raise ApiError(404, "NOT_FOUND", f"Checkout form {form_id} not found", path="id")
    return index


async def _events(request: Request) -> Response:
    book = _book_of(request)
    emulator = emulator_of(request)
    limit = _int_param(request, "limit", 100, 1, 1000)
    types = request.query_params.getlist("type")
    unknown = [t for t in types if t not in od.EVENT_TYPES]
    if unknown:
        raise _unprocessable(f"Unknown event type {unknown[0]}", "type")
    wanted = {od.EVENT_TYPES.index(t) for t in types}
    start = 0
    after = request.query_params.get("from")
    if after:
        position = book.event_position(after)
        if position is None:
            raise _unprocessable(f"Event {after} not found", "from")
        start = position + 1
    oldest = emulator.orders.now() - emulator.orders.config.retention_days * od.DAY
    out: list[str] = []
    for position in book.iter_events(start, oldest):
        if wanted and book.ev_type[position] not in wanted:
            continue
        out.append(event_bytes(book, position))
        if len(out) >= limit:
            break
    body = ('{"events":[' + ",".join(out) + "]}").encode()
    return Response(body, media_type=media_type_of(request))


async def _event_stats(request: Request) -> Response:
    book = _book_of(request)
    if not book.ev_order:
        return json_response(request, {})
    last = len(book.ev_order) - 1
    return json_response(request, {"latestEvent": {
        "id": book.event_id(last), "occurredAt": iso(_ts(book.ev_time[last])),
    }})


async def _checkout_forms(request: Request) -> Response:
    book = _book_of(request)
    offset = _int_param(request, "offset", 0, 0, 2**31)
    limit = _int_param(request, "limit", 100, 1, 100)
    if offset + limit > 10_000:
        # A9: not in the spec, but Allegro answers 422 past this point.
        raise _unprocessable(
            "offset + limit must not exceed 10000; narrow the time range "
            "(updatedAt or lineItems.boughtAt) to read further", "offset")
    indexes, total = list_forms(book, request.query_params, offset, limit)
    return json_response(request, {
        "checkoutForms": [form_json(book, i) for i in indexes],
        "count": len(indexes), "totalCount": total,
    })


async def _checkout_form(request: Request) -> Response:
    book = _book_of(request)
    return json_response(request, form_json(book, _form_index(request, book)))


async def _fulfillment(request: Request) -> Response:
    book = _book_of(request)
    emulator = emulator_of(request)
    index = _form_index(request, book)
    body = await json_body(request)
    status = body.get("status") if isinstance(body, dict) else None
    if status not in od.FULFILLMENT_STATUSES:
        raise _unprocessable(f"Unknown fulfillment status {status}", "status")
    revision = request.query_params.get("checkoutForm.revision")
    if revision is not None and revision != book.revision_tag(index):
        # S13: the form changed since the caller read it (e.g. the buyer cancelled).
        raise ApiError(409, "CONFLICT", "Checkout form revision mismatch: the form has "
                       "changed since you read it", path="checkoutForm.revision")
    book.fstatus[index] = od.FULFILLMENT_STATUSES.index(status)
    book.touch(index, emulator.orders.now())
    book.add_event(index, od.E_FULFILLMENT, emulator.orders.now())
    return Response(status_code=204)


async def _add_shipment(request: Request) -> Response:
    book = _book_of(request)
    emulator = emulator_of(request)
    index = _form_index(request, book)
    body = await json_body(request)
    if not isinstance(body, dict) or not body.get("carrierId") or not body.get("waybill"):
        raise ApiError(400, "VALIDATION_ERROR", "carrierId and waybill are required")
    carrier = str(body["carrierId"])
    if carrier not in {c for c, _ in od.CARRIERS}:
        raise _unprocessable(f"Unknown carrier {carrier}", "carrierId")
    if carrier == "OTHER" and not body.get("carrierName"):
        raise _unprocessable("carrierName is required for carrier OTHER", "carrierName")
    own = [item for item, _ in book.line_item_ids(index)]
    given = [str(item.get("id")) for item in body.get("lineItems") or []]
    foreign = [item for item in given if item not in own]
    if foreign:
        raise _unprocessable(f"Line item {foreign[0]} is not in this order", "lineItems")
    now = emulator.orders.now()
    shipment = od.Shipment(
        id=str(uuid.UUID(int=emulator.random.getrandbits(128), version=4)),
        waybill=str(body["waybill"]), carrier_id=carrier,
        carrier_name=body.get("carrierName"), line_item_ids=tuple(given or own),
        created_at=now,
    )
    shipments = book.shipments.setdefault(index, [])
    shipments.append(shipment)
    covered = {item for s in shipments for item in s.line_item_ids}
    book.sent[index] = 2 if covered >= set(own) else 1  # S16 follows
    book.touch(index, now)
    if emulator.orders.auto_sent(book.seller) and book.fstatus[index] != od.F_SENT:
        # S14: only when the seller turned the option on.
        book.fstatus[index] = od.F_SENT
        book.add_event(index, od.E_FULFILLMENT, now)
    return json_response(request, shipment_json(shipment), 201)


async def _shipments(request: Request) -> Response:
    book = _book_of(request)
    index = _form_index(request, book)
    return json_response(request, {
        "shipments": [shipment_json(s) for s in book.shipments.get(index, [])],
    })


async def _carriers(request: Request) -> Response:
    # A6: the carrier list is public data, so an app (client_credentials) token reads it too.
    principal(request)
    return json_response(request, {
        "carriers": [{"id": cid, "name": name} for cid, name in od.CARRIERS],
    })


def _ts(value: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return [
        Route("/order/events", _events, methods=["GET"]),
        Route("/order/event-stats", _event_stats, methods=["GET"]),
        Route("/order/checkout-forms", _checkout_forms, methods=["GET"]),
        Route("/order/checkout-forms/{id}", _checkout_form, methods=["GET"]),
        Route("/order/checkout-forms/{id}/fulfillment", _fulfillment, methods=["PUT"]),
        Route("/order/checkout-forms/{id}/shipments", _add_shipment, methods=["POST"]),
        Route("/order/checkout-forms/{id}/shipments", _shipments, methods=["GET"]),
        Route("/order/carriers", _carriers, methods=["GET"]),
    ]


