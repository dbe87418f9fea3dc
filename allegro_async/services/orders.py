"""Checkout forms, fulfillment, shipments, carriers and the order event journal."""

from __future__ import annotations

import builtins
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from typing_extensions import Unpack

from allegro_async import _args
from allegro_async._options import CallOptions
from allegro_async.errors import ConflictError, ErrorDetail, InvalidArgumentError
from allegro_async.models.base import parse_timestamp
from allegro_async.models.events import OrderEvent
from allegro_async.models.orders import (
    CarrierList,
    CheckoutForm,
    CheckoutFormLineItem,
    CheckoutFormList,
    CheckoutFormStatus,
    FulfillmentStatus,
    LineItemsSent,
    Shipment,
)
from allegro_async.pagination import Page, TimeSlicedPaginator
from allegro_async.services._bind import CALL_OPTIONS, bind, split
from allegro_async.services.events import EventsOptions, OrderEventStream, StreamOptions
from allegro_async.services.order_args import (
    _aware,
    _enum,
    _form_id,
    _line_item_ids,
    _list_keywords,
    _revision,
)

if TYPE_CHECKING:
    from allegro_async.api.order_management import OrderManagement
    from allegro_async.client import AllegroClient

OrderSort = Literal["lineItems.boughtAt", "-lineItems.boughtAt", "updatedAt", "-updatedAt"]
_SORTS = ("lineItems.boughtAt", "-lineItems.boughtAt", "updatedAt", "-updatedAt")


class StaleRevisionError(ConflictError):
    """S13: the checkout form changed since you read it (a buyer's cancellation, say), so the
    fulfillment change was refused. Re-read it: ``await client.orders.get(exc.form_id)``,
    decide again, and retry with the new ``revision``."""

    form_id: str = ""
    revision: str | None = None
    shipment: Shipment | None = None
    """Set when the waybill was added but SENT was refused: nothing added is lost."""

    @classmethod
    def from_conflict(cls, exc: ConflictError, form_id: str, revision: str | None
                      ) -> StaleRevisionError:
        """Wrap the 409 with the form id and the revision that was sent."""
        error = cls(
            status_code=exc.status_code, method=exc.method, path=exc.path, errors=exc.errors,
            trace_id=exc.trace_id, body_text=exc.body_text, response=exc.response,
            hint="the checkout form changed since your read: re-read it with "
                 f"client.orders.get({form_id!r}) and retry with its revision",
        )
        error.form_id = form_id
        error.revision = revision
        return error

    @classmethod
    def refused(cls, form_id: str, revision: str | None, problem: str,
                shipment: Shipment | None = None) -> StaleRevisionError:
        """Refused on the client's side, without a request: the re-read form shows that it
        changed in a way fulfillment must not overwrite (e.g. the buyer cancelled)."""
        error = cls(
            status_code=409, method="PUT", path=f"/order/checkout-forms/{form_id}/fulfillment",
            errors=[ErrorDetail(code="STALE_REVISION", message=problem)],
            hint=f"re-read it with client.orders.get({form_id!r}) and decide again",
        )
        error.form_id = form_id
        error.revision = revision
        error.shipment = shipment
        return error


#: Fulfillment states from which a shipped form may become SENT; anything else (CANCELLED,
#: SUSPENDED, RETURNED, PICKED_UP, SENT) means someone else decided already.
_SENDABLE = frozenset({"NEW", "PROCESSING", "READY_FOR_SHIPMENT", "READY_FOR_PICKUP"})




class OrdersService:
    """Checkout forms, fulfillment, shipments, carriers and the order event journal.

    ``client.orders`` is one. The usual day: follow :meth:`events`, :meth:`get` each form,
    ship with :meth:`add_shipment`, and :meth:`set_fulfillment` with the form's revision.
    """

    def __init__(self, client: AllegroClient) -> None:
        self._client = client

    @property
    def _api(self) -> OrderManagement:
        # the generated operations; they return the generated models, which this returns too
        return self._client.api.order_management

    # -- reading ----------------------------------------------------------------------------
    def list(
        self,
        *,
        status: CheckoutFormStatus | str | None = None,
        fulfillment_status: FulfillmentStatus | str | None = None,
        line_items_sent: Literal["NONE", "SOME", "ALL"] | LineItemsSent | None = None,
        updated_at_gte: _dt.datetime | None = None,
        updated_at_lte: _dt.datetime | None = None,
        bought_at_gte: _dt.datetime | None = None,
        bought_at_lte: _dt.datetime | None = None,
        buyer_login: str | None = None,
        payment_id: str | None = None,
        marketplace_id: str | None = None,
        fulfillment_provider_id: str | None = None,
        delivery_method_id: str | None = None,
        surcharges_id: str | None = None,
        sort: OrderSort = "-lineItems.boughtAt",
        page_size: int = 100,
        max_items: int | None = None,
        **options: Unpack[CallOptions],
    ) -> TimeSlicedPaginator[CheckoutForm]:
        """Every checkout form matching the filters (A9, S16), past the 10 000 cap.

        ``async for form in client.orders.list(status="READY_FOR_PROCESSING")`` walks all of
        them; ``.pages()`` gives them page by page, ``await .count()`` the total.

        It pages by time, not by offset: each request asks for forms at or past the last
        ``boughtAt`` (or ``updatedAt``) seen, so ``offset + limit`` stays tiny however many
        there are. Guarantee, with the default boughtAt sorts: every form matching the filters
        for the whole walk is yielded exactly once, even while orders arrive or change; forms
        bought during the walk are yielded if they sort ahead of the cursor (ascending order
        reaches them, descending does not); forms that stop matching, or are combined away
        (S12), before the walk reaches them are not yielded. With the updatedAt sorts a form
        updated during the walk moves ahead; it is not yielded twice (its id is remembered,
        so memory grows with the walk). Use ``sort="updatedAt"`` for a complete walk: with
        ``"-updatedAt"`` (newest first) a form not yet reached that is updated meanwhile moves
        behind the cursor and is never yielded.

        ``max_items`` stops the walk after that many forms, with no request past them
        (``None``: all; ``0``: none, and no request). A server that stops moving the walk on
        (answers pages behind the bound sent, or the same page for every offset) ends it with
        :class:`~allegro_async.errors.WalkStalledError` before any form comes twice.

        The per-call options (``timeout=`` seconds, ...; docs/client.md) apply to every
        page's request: ``timeout=`` bounds each page, not the whole walk.
        """
        svc = bind(self, options)
        _args.choice(sort, "sort", _SORTS)
        _args.page_size(page_size, "page_size", 1, 100, "GET /order/checkout-forms (A9)")
        _args.optional(max_items, lambda m: _args.count(m, "max_items"))
        texts = {"buyer_login": buyer_login, "payment_id": payment_id,
                 "marketplace_id": marketplace_id,
                 "fulfillment_provider_id": fulfillment_provider_id,
                 "delivery_method_id": delivery_method_id, "surcharges_id": surcharges_id}
        for name, value in texts.items():
            if value is not None:
                _args.text(value, name)
        by_updated = sort.endswith("updatedAt")
        base: dict[str, Any] = {
            "status": _enum("status", status, CheckoutFormStatus),
            "fulfillment.status": _enum("fulfillment_status", fulfillment_status,
                                        FulfillmentStatus),
            "fulfillment.shipmentSummary.lineItemsSent": _enum(
                "line_items_sent", line_items_sent, LineItemsSent),
            "buyer.login": buyer_login,
            "payment.id": payment_id,
            "marketplace.id": marketplace_id,
            "fulfillment.provider.id": fulfillment_provider_id,
            "delivery.method.id": delivery_method_id,
            "surcharges.id": surcharges_id,
            "sort": sort,
        }
        ranges = {
            "updatedAt.gte": _aware("updated_at_gte", updated_at_gte),
            "updatedAt.lte": _aware("updated_at_lte", updated_at_lte),
            "lineItems.boughtAt.gte": _aware("bought_at_gte", bought_at_gte),
            "lineItems.boughtAt.lte": _aware("bought_at_lte", bought_at_lte),
        }
        key_param = "updatedAt" if by_updated else "lineItems.boughtAt"
        base.update({k: v for k, v in ranges.items() if not k.startswith(key_param + ".")})

        async def fetch(offset: int, limit: int, extra: Mapping[str, Any]
                        ) -> Page[CheckoutForm]:
            params = {**base, **extra, "offset": offset, "limit": limit}
            names = _list_keywords()
            # raw: the walk names the page's trace id when the server stops moving it on
            raw = await svc._api.with_raw_response.get_list_of_orders(
                **{names[k]: v for k, v in params.items() if v is not None})
            page = raw.parse(CheckoutFormList)
            return Page(page.checkout_forms, int(page.total_count), raw.trace_id)

        return TimeSlicedPaginator(
            fetch,
            key=_updated_at if by_updated else _bought_at,
            ident=lambda form: form.id,
            gte_param=f"{key_param}.gte", lte_param=f"{key_param}.lte",
            lower=ranges[f"{key_param}.gte"], upper=ranges[f"{key_param}.lte"],
            descending=sort.startswith("-"), page_size=page_size, mutable_key=by_updated,
            max_items=max_items, what="GET /order/checkout-forms",
        )

    async def get(self, checkout_form_id: str, **options: Unpack[CallOptions]) -> CheckoutForm:
        """One checkout form. A combined one (S12) raises ``NotFoundError``: see
        :meth:`find_replacement`."""
        svc = bind(self, options)
        return await svc._api.get_orders_details(id=_form_id(checkout_form_id))

    async def find_replacement(self, event: OrderEvent,
                               **options: Unpack[CallOptions]) -> CheckoutForm | None:
        """S12: the form that took over the line items of the (now 404) form an event names,
        found among the buyer's forms bought since; ``None`` if there is none yet."""
        svc = bind(self, options)
        _args.instance(event, "event", OrderEvent)
        item_ids = {item.id for item in event.order.line_items}
        times = [i.bought_at for i in event.order.line_items if i.bought_at is not None]
        async for form in svc.list(buyer_login=event.order.buyer.login,
                                   bought_at_gte=min(times) if times else None,
                                   sort="lineItems.boughtAt"):
            if form.id != event.checkout_form_id and item_ids & {i.id for i in form.line_items}:
                return form
        return None

    # -- changing ---------------------------------------------------------------------------
    async def set_fulfillment(
        self, checkout_form_id: str, status: FulfillmentStatus | str, *, revision: str | None,
        **options: Unpack[CallOptions],
    ) -> None:
        """Set the seller's fulfillment status (S13).

        ``revision`` is the form's ``revision`` from your last read: a form that changed since
        (a buyer's cancellation) raises :class:`StaleRevisionError` instead of being
        overwritten. Pass ``revision=None`` only to overwrite whatever is there.
        """
        svc = bind(self, options)
        form_id = _form_id(checkout_form_id)
        value = _args.choice(status, "status", FulfillmentStatus)
        _revision(revision)
        try:
            await svc._api.set_order_fulfillment(
                id=form_id, body={"status": value}, checkout_form_revision=revision)
        except ConflictError as exc:
            raise StaleRevisionError.from_conflict(exc, form_id, revision) from exc

    async def add_shipment(
        self,
        checkout_form_id: str,
        carrier_id: str,
        waybill: str,
        line_items: Sequence[str | CheckoutFormLineItem] | None = None,
        carrier_name: str | None = None,
        *,
        set_sent: bool = False,
        revision: str | None = None,
        **options: Unpack[CallOptions],
    ) -> Shipment:
        """Add a waybill (tracking number) to a form; ``line_items`` default (``None``) to all
        of them; an empty list is refused.

        ``revision`` (S13) is the form's revision from your last read: when given, the form is
        re-read first and a changed one raises :class:`StaleRevisionError` before any waybill
        is added (the buyer may have cancelled or changed the address).

        S14: Allegro sets the form SENT only when the seller turned that option on. With
        ``set_sent=True`` this re-reads the form after adding the waybill and sets SENT with
        that read's revision, unless it is SENT already. A form that meanwhile was cancelled,
        or whose fulfillment is no longer NEW, PROCESSING or READY_FOR_*, is not marked SENT:
        :class:`StaleRevisionError` is raised with the added waybill as ``exc.shipment``.
        """
        svc = bind(self, options)
        form_id = _form_id(checkout_form_id)
        _args.ident(carrier_id, "carrier_id")
        _args.text(waybill, "waybill")
        _args.optional(carrier_name, lambda n: _args.text(n, "carrier_name"))
        if carrier_id == "OTHER" and not carrier_name:
            raise InvalidArgumentError("carrier_name", "carrier OTHER needs a name",
                                       "pass carrier_name='...' with the carrier's name")
        items = _line_item_ids(line_items)
        _args.flag(set_sent, "set_sent")
        _revision(revision)
        body: dict[str, Any] = {"carrierId": carrier_id, "waybill": waybill}
        if carrier_name:
            body["carrierName"] = carrier_name
        if items:
            body["lineItems"] = [{"id": item} for item in items]
        if revision is not None:
            before = await svc.get(form_id)
            if before.revision != revision:
                raise StaleRevisionError.refused(
                    form_id, revision, "the checkout form changed since your read; "
                    "no waybill was added")
        shipment = await svc._api.create_order_shipments(id=form_id, body=body)
        if set_sent:
            await svc._mark_sent(form_id, revision, shipment)
        return shipment

    async def _mark_sent(self, form_id: str, revision: str | None, shipment: Shipment) -> None:
        # The waybill itself changes the revision, so the caller's revision cannot guard the
        # PUT: re-read, refuse if the form left the shippable states (a cancellation between
        # the caller's read and now), and guard the PUT with this read's revision (a
        # cancellation from now on answers 409).
        form = await self.get(form_id)
        fulfillment = form.fulfillment.status if form.fulfillment is not None else None
        if fulfillment == FulfillmentStatus.SENT:
            return
        if form.status == CheckoutFormStatus.CANCELLED or (
                fulfillment is not None and str(getattr(fulfillment, "value", fulfillment))
                not in _SENDABLE):
            raise StaleRevisionError.refused(
                form_id, revision,
                f"the form is {form.status} with fulfillment {fulfillment}; the waybill was "
                "added but the form was not marked SENT", shipment)
        try:
            await self.set_fulfillment(form_id, FulfillmentStatus.SENT, revision=form.revision)
        except StaleRevisionError as exc:
            exc.shipment = shipment
            raise

    async def shipments(self, checkout_form_id: str,
                        **options: Unpack[CallOptions]) -> builtins.list[Shipment]:
        """The waybills added to a form."""
        svc = bind(self, options)
        found = await svc._api.get_order_shipments(id=_form_id(checkout_form_id))
        return found.shipments or []  # the spec makes the list optional: none is no waybill

    async def carriers(self, **options: Unpack[CallOptions]) -> CarrierList:
        """The carriers a waybill can name (``carrier_id``)."""
        svc = bind(self, options)
        return await svc._api.get_orders_carriers()

    # -- the event journal ------------------------------------------------------------------
    def events(self, **options: Unpack[EventsOptions]) -> OrderEventStream:
        """The order event stream (A8, S9-S12): see :class:`OrderEventStream` for the options
        (``start``, ``store``, ``types``, ``page_size``, ``follow``, ``read_forms``, ...),
        and the per-call options (``timeout=`` seconds, ...; docs/client.md) for each of its
        requests (every poll of the journal, every form read).

        ::

            store = FileCursorStore("order-events.cursor")
            async with client.orders.events(store=store, read_forms=True) as stream:
                async for delivery in stream:
                    await handle(delivery)        # finished when the loop asks for the next
        """
        # Every option is checked by the stream's constructor, before any request.
        call, stream = split(options)
        unknown = sorted(set(stream) - set(StreamOptions.__annotations__))
        if unknown:
            raise InvalidArgumentError(
                unknown[0], "is not an option of the event stream", "use "
                f"{', '.join([*StreamOptions.__annotations__, *sorted(CALL_OPTIONS)])}")
        return OrderEventStream(bind(self, call), **stream)


def _bought_at(form: CheckoutForm) -> _dt.datetime | None:
    return form.bought_at


def _updated_at(form: CheckoutForm) -> _dt.datetime | None:
    if form.updated_at is None:
        return None
    return parse_timestamp(form.updated_at)
