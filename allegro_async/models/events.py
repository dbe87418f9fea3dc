"""The order event journal (spec schemas ``OrderEvent``, ``OrderEventsList``,
``OrderEventStats``)."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from pydantic import AfterValidator

from allegro_async.api.models import order_management as _g
from allegro_async.models.base import AllegroModel, OpenEnum, parse_timestamp
from allegro_async.models.orders import BuyerPreferences, ExternalId, MarketplaceRef, Price

# Each model subclasses its generated counterpart (every field of the spec); AllegroModel as
# second base keeps ``isinstance(x, AllegroModel)`` true and gives narrowed fields their alias.


def dedup_key(form_id: str | None, event_type: str, occurred_at: _dt.datetime | str) -> str:
    """The A8 de-duplication key: checkout form id + type + occurredAt, the instant written in
    UTC with milliseconds (Allegro's own spelling), so two spellings of one instant agree."""
    if isinstance(occurred_at, str):
        if len(occurred_at) == 24 and occurred_at[19] == "." and occurred_at[-1] == "Z":
            return f"{form_id}|{event_type}|{occurred_at}"  # already canonical: the usual case
        parsed = parse_timestamp(occurred_at)
        if parsed is None:  # not a timestamp: keep the text, the key still tells events apart
            return f"{form_id}|{event_type}|{occurred_at}"
        occurred_at = parsed
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=_dt.timezone.utc)
    when = occurred_at.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds")
    return f"{form_id}|{event_type}|{when[:-6]}Z"


class OrderEventType(OpenEnum):
    """``OrderEventType``; BUYER_MODIFIED included (A8), new values tolerated."""

    BOUGHT = "BOUGHT"
    FILLED_IN = "FILLED_IN"
    READY_FOR_PROCESSING = "READY_FOR_PROCESSING"
    BUYER_CANCELLED = "BUYER_CANCELLED"
    FULFILLMENT_STATUS_CHANGED = "FULFILLMENT_STATUS_CHANGED"
    BUYER_MODIFIED = "BUYER_MODIFIED"
    AUTO_CANCELLED = "AUTO_CANCELLED"


class SellerReference(_g.SellerReference, AllegroModel):
    """``SellerReference``."""


class BuyerReference(_g.BuyerReference, AllegroModel):
    """``BuyerReference``."""

    preferences: BuyerPreferences | None = None


class EventOfferReference(_g.OrderLineItemOfferReference, AllegroModel):
    """``OrderLineItemOfferReference``."""

    external: ExternalId | None = None


class OrderLineItem(_g.OrderLineItem, AllegroModel):
    """``OrderLineItem``: a line item as an event shows it."""

    id: str  # type: ignore[assignment]  # text, as the checkout form's line item ids
    offer: EventOfferReference
    quantity: int  # items are counted whole
    price: Price
    original_price: Price | None = None
    bought_at: _dt.datetime | None = None


class CheckoutFormReference(_g.CheckoutFormReference, AllegroModel):
    """``CheckoutFormReference``: the form an event is about."""


class OrderEventData(_g.OrderEventData, AllegroModel):
    """``OrderEventData``."""

    seller: SellerReference
    buyer: BuyerReference
    line_items: list[OrderLineItem]  # type: ignore[assignment]
    checkout_form: CheckoutFormReference | None = None
    marketplace: MarketplaceRef | None = None  # type: ignore[assignment]


class OrderEvent(_g.OrderEvent, AllegroModel):
    """``OrderEvent``: one journal entry. A duplicate has a new ``id`` and the same data and
    ``occurred_at`` (A8): :attr:`dedup_key` is what identifies it."""

    id: str
    order: OrderEventData
    type: OrderEventType  # type: ignore[assignment]
    occurred_at: _dt.datetime

    @property
    def checkout_form_id(self) -> str | None:
        """The checkout form this event is about."""
        return self.order.checkout_form.id if self.order.checkout_form else None

    @property
    def dedup_key(self) -> str:
        """Checkout form id + type + occurredAt: equal for an event and its duplicates (A8)."""
        return dedup_key(self.checkout_form_id, self.type.value, self.occurred_at)


class OrderEventsList(_g.OrderEventsList, AllegroModel):
    """``OrderEventsList``: one page of ``GET /order/events``."""

    events: list[OrderEvent]  # type: ignore[assignment]


class LatestOrderEvent(_g.LatestOrderEvent, AllegroModel):
    """``LatestOrderEvent``."""

    id: str
    occurred_at: _dt.datetime


class OrderEventStats(_g.OrderEventStats, AllegroModel):
    """``OrderEventStats``: where a fresh stream starts ("now")."""

    latest_event: LatestOrderEvent | None = None


def _check_raw_event(raw: dict[str, Any]) -> dict[str, Any]:
    # What the stream reads from an event before its model is built (id, type, the form id,
    # occurredAt for the A8 key): checked here, so a malformed page fails as a whole, at once.
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("an event needs an id (a non-empty string)")
    if not isinstance(raw.get("type"), str):
        raise ValueError("an event needs a type (a string)")
    if not isinstance(raw.get("occurredAt"), str):
        raise ValueError("an event needs occurredAt (a timestamp string)")
    order = raw.get("order")
    if not isinstance(order, dict):
        raise ValueError("an event needs an order (an object)")
    form = order.get("checkoutForm")
    if form is not None and not (isinstance(form, dict) and isinstance(form.get("id"), str)):
        raise ValueError("order.checkoutForm needs an id (a string)")
    return raw


#: One event as plain JSON, with the fields the stream reads checked (see ``OrderEvent``).
RawOrderEvent = Annotated[dict[str, Any], AfterValidator(_check_raw_event)]


class RawOrderEventsList(AllegroModel):
    """One page of ``GET /order/events`` with each event kept as JSON: the stream builds the
    :class:`OrderEvent` models only when a consumer asks (1000 per page cost more than the
    request)."""

    events: list[RawOrderEvent]
