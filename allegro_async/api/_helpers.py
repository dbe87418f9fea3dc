"""Helpers of generated models (hand-written): each mixin here is inherited by the generated
class that ``tools/apigen/helpers.py`` names, listed before ``ApiModel``. A mixin adds
methods and properties only; it never declares or narrows a field, so the generated class
stays the one model of its schema. Importing this module loads no model module."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

if TYPE_CHECKING:
    from allegro_async.api.models import (
        CheckoutFormLineItem,
        OfferId,
        OrderEventData,
        OrderEventType,
        ParameterRangeValue,
        ProductParameterDto,
        ProductParameterDtoOptions,
        TaskCount,
    )

__all__ = ["CheckoutFormHelpers", "CommandReportHelpers", "CommandTaskHelpers",
           "OrderEventHelpers", "ProductHelpers", "ProductParameterHelpers", "dedup_key",
           "parse_timestamp"]

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


class ProductParameterHelpers:
    """What a catalogue product's parameter adds: whether it tells products with one EAN
    apart (S21), whether it is the GTIN itself, and its value as a person reads it."""

    if TYPE_CHECKING:
        values: list[str] | None
        values_labels: list[str] | None
        range_value: ParameterRangeValue | None
        unit: str | None
        options: ProductParameterDtoOptions | None

    @property
    def identifies_product(self) -> bool:
        """True when this parameter tells products with one EAN apart (S21)."""
        return bool(self.options and self.options.identifies_product)

    @property
    def is_gtin(self) -> bool:
        """True for the GTIN/EAN parameter itself."""
        return bool(self.options and self.options.is_gtin)

    @property
    def display(self) -> str:
        """The value as a person reads it: labels, else values, with the unit."""
        text = ", ".join(self.values_labels or self.values or [])
        if self.range_value is not None:
            text = f"{self.range_value.from_}-{self.range_value.to}"
        return f"{text} {self.unit}" if self.unit and text else text


class ProductHelpers:
    """What a catalogue product (one read by id, or a search result) adds: its parameters by
    name, its GTINs, and what tells it apart from products with the same EAN (S21)."""

    if TYPE_CHECKING:
        parameters: list[ProductParameterDto] | None

    def parameter(self, key: str) -> ProductParameterDto | None:
        """The parameter with this id or name (case-insensitive name), or ``None``."""
        for param in self.parameters or []:
            if param.id == key or (param.name or "").lower() == key.lower():
                return param
        return None

    @property
    def gtins(self) -> list[str]:
        """Every GTIN/EAN value of the product."""
        return [v for p in self.parameters or [] if p.is_gtin for v in p.values or []]

    def identifying_parameters(self) -> dict[str, str]:
        """Parameters that tell this product apart from others with the same EAN (S21), as
        ``{name: value}`` (GTIN excluded)::

            {"Disk size": "512 GB", "Colour": "silver"}
        """
        return {
            (p.name or p.id): p.display
            for p in self.parameters or []
            if p.identifies_product and not p.is_gtin
        }


class CommandReportHelpers:
    """What an offer command's report (``GeneralReport``) adds: whether it is finished, and
    how many tasks it counts (a count Allegro leaves out is 0)."""

    if TYPE_CHECKING:
        completed_at: _dt.datetime | None
        task_count: TaskCount | None

    @property
    def tasks_total(self) -> int:
        """How many tasks (offers) the command has, as far as the report says."""
        return (self.task_count.total or 0) if self.task_count is not None else 0

    @property
    def done(self) -> bool:
        """Whether every task has finished."""
        count = self.task_count
        if self.completed_at is not None:
            return True
        if count is None or not count.total:
            return False
        return (count.success or 0) + (count.failed or 0) >= count.total


class CommandTaskHelpers:
    """What one task (one offer) of a command report adds: the offer's id."""

    if TYPE_CHECKING:
        offer: OfferId | None

    @property
    def offer_id(self) -> str:
        """The offer this task changed (``""`` when the task names none)."""
        return str(self.offer.id or "") if self.offer is not None else ""
