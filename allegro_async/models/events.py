"""The order event journal (spec schemas ``OrderEvent``, ``OrderEventsList``,
``OrderEventStats``): the generated models under this library's names. ``OrderEvent`` carries
``checkout_form_id`` and the A8 ``dedup_key`` (attached by the generator); a duplicate has a
new ``id`` and the same data and ``occurred_at``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from allegro_async.api._helpers import dedup_key
from allegro_async.api.models import order_management as _g
from allegro_async.models.base import AllegroModel

__all__ = [
    "BuyerReference", "CheckoutFormReference", "EventOfferReference", "LatestOrderEvent",
    "OrderEvent", "OrderEventData", "OrderEventStats", "OrderEventType", "OrderEventsList",
    "OrderLineItem", "RawOrderEvent", "RawOrderEventsList", "SellerReference", "dedup_key",
]


#: ``OrderEventType``; BUYER_MODIFIED included (A8), new values tolerated.
OrderEventType = _g.OrderEventType
OrderEvent = _g.OrderEvent
OrderEventsList = _g.OrderEventsList
OrderEventData = _g.OrderEventData
OrderLineItem = _g.OrderLineItem
EventOfferReference = _g.OrderLineItemOfferReference
SellerReference = _g.SellerReference
BuyerReference = _g.BuyerReference
CheckoutFormReference = _g.CheckoutFormReference
LatestOrderEvent = _g.LatestOrderEvent
OrderEventStats = _g.OrderEventStats


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
