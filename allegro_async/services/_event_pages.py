"""How the order event stream reads a page of ``GET /order/events``: the JSON parsed once,
each event checked for what the stream reads, and the A8 key and form id read from it."""

from __future__ import annotations

import gc
from typing import Any

import pydantic_core

from allegro_async._response import APIResponse
from allegro_async.models.events import RawOrderEventsList, _check_raw_event, dedup_key


def form_id_of(raw: dict[str, Any]) -> str | None:
    """The checkout form id an event names (``None`` when it names none); any event."""
    order = raw.get("order")
    form = order.get("checkoutForm") if isinstance(order, dict) else None
    value = form.get("id") if isinstance(form, dict) else None
    return value if value is None or type(value) is str else str(value)


def key_of(raw: dict[str, Any]) -> str:
    """The A8 key of an event from a checked page (see :func:`page_events`: type and
    occurredAt are str, order a dict, its checkoutForm absent or a dict with a str id)."""
    when = raw["occurredAt"]
    form = raw["order"].get("checkoutForm")
    form_id = None if form is None else form["id"]
    if len(when) == 24 and when[19] == "." and when[-1] == "Z":
        return f"{form_id}|{raw['type']}|{when}"  # Allegro's own spelling, as dedup_key has it
    return dedup_key(form_id, raw["type"], when)


def any_key_of(raw: dict[str, Any]) -> str:
    """:func:`key_of` for any event, checked or not (one made by hand): the same key."""
    return dedup_key(form_id_of(raw), str(raw.get("type")), str(raw.get("occurredAt")))


def parse_page(content: bytes) -> Any:
    """A page's JSON, parsed with the cyclic garbage collector paused.

    A page of 1000 events is some 15 000 new dicts and lists and no reference cycle; with the
    collector on, building them runs about twenty young collections (and now and then a full
    one) that find nothing and double the parse. Paused for the parse alone (no ``await``
    inside), and turned back on only if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pydantic_core.from_json(content, cache_strings="keys")
    finally:
        if enabled:
            gc.enable()


def page_events(response: APIResponse) -> list[dict[str, Any]]:
    """The events of one page, as JSON, each checked for what the stream reads.

    pydantic-core's JSON parser and one plain loop: a page of 1000 events costs less than
    validating it as :class:`RawOrderEventsList` (a validator call per event through
    pydantic). A page that fails the check is parsed again as that model, whose
    :class:`~allegro_async.errors.ResponseValidationError` says what is wrong.
    """
    try:
        page = parse_page(response.http_response.content)
        events = page["events"]
        if type(events) is list and all(type(e) is dict for e in events):
            for event in events:
                _check_raw_event(event)
            return events
    except (ValueError, TypeError, KeyError):
        pass  # the model says what is wrong
    return response.parse(RawOrderEventsList).events
