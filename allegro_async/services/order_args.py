"""The checks of ``client.orders``' arguments, made before anything is sent: enum values,
timezone-aware dates, the revision, checkout form ids (UUIDs, as the spec gives them) and
the line items to ship; and the listing's wire names mapped to the generated keywords.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Sequence
from typing import Any

from allegro_async import _args
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.orders import CheckoutFormLineItem


def _enum(field: str, value: Any, kind: type[Any]) -> str | None:
    return None if value is None else _args.choice(value, field, kind)


def _aware(field: str, value: _dt.datetime | None) -> _dt.datetime | None:
    return None if value is None else _args.aware(value, field)


def _revision(revision: str | None) -> None:
    if revision is not None:
        _args.text(revision, "revision")


@functools.cache
def _list_keywords() -> dict[str, str]:
    # The walk builds its filters by wire name ("lineItems.boughtAt.gte", as the paginator
    # moves them); the generated method takes the spec's keywords. Read from the index on
    # first use, so importing the package does not load it.
    from allegro_async.api import OPERATIONS

    return {p.name: p.python_name for p in OPERATIONS["getListOfOrdersUsingGET"].params}


def _form_id(value: object) -> str:
    # The spec gives checkout form ids as UUIDs (GET /order/checkout-forms/{id}: format uuid).
    return _args.uuid_text(value, "checkout_form_id")


def _line_item_ids(line_items: object) -> list[str] | None:
    """The line items to ship: ids or line items, none twice; ``None`` means all of them."""
    if line_items is None:
        return None
    if isinstance(line_items, (str, bytes)) or not isinstance(line_items, Sequence):
        # a str would be read as its characters: "abc" as items a, b and c
        raise InvalidArgumentError("line_items", f"{type(line_items).__name__} is not a list",
                                   "name the line items to ship, e.g. [item.id], or None for all")
    if not line_items:
        # An empty selection (a filter that matched nothing) must not mean "every item".
        raise InvalidArgumentError("line_items", "it is empty",
                                   "name the line items to ship, or pass None for all")
    return _args.id_list([i.id if isinstance(i, CheckoutFormLineItem) else i
                          for i in line_items], "line_items")
