"""Helpers of generated models (hand-written): each mixin here is inherited by the generated
class that ``tools/apigen/helpers.py`` names, listed before ``ApiModel``. A mixin adds
methods and properties only; it never declares or narrows a field, so the generated class
stays the one model of its schema. Importing this module loads no model module."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

if TYPE_CHECKING:
    from allegro_async.api.models.order_management import (
        CheckoutFormLineItem,
        OrderEventData,
        OrderEventType,
    )

__all__ = ["CheckoutFormHelpers", "OrderEventHelpers", "dedup_key", "parse_timestamp"]

_DATETIME = TypeAdapter(_dt.datetime)


def parse_timestamp(text: str) -> _dt.datetime | None:
    """An API timestamp as an aware datetime (UTC when no zone is given); ``None`` when it is
    not a timestamp. Any ISO 8601 spelling works on every supported Python (3.10's
    ``datetime.fromisoformat`` takes only 3 or 6 fraction digits)."""
    try:
        value = _DATETIME.validate_python(text)
    except ValidationError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)


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


class CheckoutFormHelpers:
    """What ``CheckoutForm`` adds to the spec's fields."""

    if TYPE_CHECKING:
        line_items: list[CheckoutFormLineItem]

    @property
    def bought_at(self) -> _dt.datetime | None:
        """The latest line item's ``boughtAt`` (what ``lineItems.boughtAt`` filters on)."""
        times = [item.bought_at for item in self.line_items if item.bought_at is not None]
        return max(times) if times else None


class OrderEventHelpers:
    """What ``OrderEvent`` adds: the form it is about and its A8 de-duplication key. A
    duplicate has a new ``id`` and the same data and ``occurred_at`` (A8)."""

    if TYPE_CHECKING:
        order: OrderEventData
        type: OrderEventType
        occurred_at: _dt.datetime

    @property
    def checkout_form_id(self) -> str | None:
        """The checkout form this event is about."""
        form = self.order.checkout_form
        return form.id if form is not None else None

    @property
    def dedup_key(self) -> str:
        """Checkout form id + type + occurredAt: equal for an event and its duplicates (A8)."""
        return dedup_key(self.checkout_form_id, self.type.value, self.occurred_at)
