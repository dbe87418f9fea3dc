"""The one argument layer: every public method's arguments are checked and made canonical here,
before any request is sent, so the value that is checked is the value that is sent.

Services and the generated operations (``allegro_async.api``) call these functions; none of
them checks an id, an amount or a page size inline. Each raises
:class:`~allegro_async.errors.InvalidArgumentError` naming the field and the fix, and never a
raw ``TypeError``/``AttributeError`` for a value of the wrong type. The checks against what
the spec declares live beside it and are reached through it: parameters in ``_spec_args``
(``query``, ``header``, ``free_query``), bodies in ``_body_rules`` (``json_body``, ``file_body``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote

# the checks the generated operations call with the spec's facts (see those modules)
from allegro_async._body_rules import file_body as file_body
from allegro_async._body_rules import json_body as json_body
from allegro_async._spec_args import free_query as free_query
from allegro_async._spec_args import header as header
from allegro_async._spec_args import query as query
from allegro_async.errors import InvalidArgumentError

T = TypeVar("T")

#: Characters an Allegro id may hold. Offer, user, category and event ids are digits; checkout
#: forms, products, shipping rates and variant sets are UUIDs; carrier and service ids are
#: upper-case words with ``_``; thread and message ids are base64url, which ends in ``=``
#: padding (the spec's examples: ``REhMOjEyMzQ1Njc4OTEwUEw=``). Nothing else is allowed: ``/``,
#: ``?``, ``#``, ``%``, ``\\``, ``.``, whitespace would change the request or are a mistake.
_ID = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_ID_MAX = 200  # far above any real id; a longer one is a pasted document

#: ``[digits][.digits]``: what an amount or a percentage may look like as text. No sign,
#: exponent, ``_`` separators or whitespace: those would be sent as written.
_DECIMAL_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("1000000000")  # no price or change is this large; bigger is a typo

#: The base currencies of Allegro's marketplaces, the only ones price fields take (the spec:
#: "Only base currency for a given marketplace is supported"): allegro-pl, -cz, -sk, -hu.
MARKETPLACE_CURRENCIES = ("PLN", "CZK", "EUR", "HUF")


def _refuse(field: str, value: object, expected: str, fix: str) -> InvalidArgumentError:
    shown = repr(value) if isinstance(value, (str, int, float, Decimal)) else (
        type(value).__name__)
    return InvalidArgumentError(field, f"expected {expected}, got {shown}", fix)


# -- ids ------------------------------------------------------------------------------------
def ident(value: object, field: str) -> str:
    """An id as the text that identifies the resource: ``str``, or an ``int`` converted
    explicitly. ``None``, ``bool``, floats, lists, blank text, whitespace, dot segments and
    characters no Allegro id contains are refused."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidArgumentError(
            field, f"expected an id (str or int), got {type(value).__name__}",
            f"pass {field} as text, e.g. '12345678'",
        )
    text = str(value)
    if isinstance(value, int) and value < 0:
        raise InvalidArgumentError(field, f"{value} is negative", f"pass a valid {field}")
    if not text or len(text) > _ID_MAX or not _ID.fullmatch(text):
        raise InvalidArgumentError(
            field, f"{text[:_ID_MAX]!r} is not an id (letters, digits, '-' and '_' only; no "
            "whitespace, '/', '.', '%' or '\\')",
            f"pass the {field} exactly as Allegro gave it",
        )
    return text


def path_segment(value: object, field: str, *, fmt: str | None = None) -> str:
    """An id checked by :func:`ident` (and as a UUID where the spec says ``format: uuid``),
    percent-encoded for one URL path segment."""
    if fmt is not None and fmt.lower() == "uuid":
        from allegro_async._spec_args import uuid_value

        return uuid_value(value if isinstance(value, str) else ident(value, field), field)
    return quote(ident(value, field), safe="")


def id_list(values: object, field: str) -> list[str]:
    """Several ids: a list, tuple or other iterable (not a ``str``, whose characters would be
    taken for ids, nor a mapping), each checked by :func:`ident`, none twice, at least one."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise _refuse(field, values, "a list of ids", f"pass a list, e.g. {field}=['123']")
    ids = [ident(v, f"{field}[{i}]") for i, v in enumerate(values)]
    if not ids:
        raise InvalidArgumentError(field, "no ids were given", "pass one or more ids")
    unique_ids(ids, field)
    return ids


def unique_ids(ids: Iterable[str], field: str) -> None:
    """Refuse canonical ids that repeat: one resource never gets two changes in one call."""
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise InvalidArgumentError(field, f"id {value} appears twice",
                                       "name each one once per call (merge its changes)")
        seen.add(value)


def id_mapping(values: object, field: str) -> list[tuple[str, Any]]:
    """``{id: value}`` (or pairs) with canonical ids, none twice: ``1`` and ``"1"`` are one
    id, so a mapping holding both is refused."""
    if isinstance(values, Mapping):
        items = list(values.items())
    elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise _refuse(field, values, "a mapping of ids", f"pass {{id: ...}} as {field}")
    else:
        items = []
        for pair in values:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise _refuse(field, pair, "(id, value) pairs", f"pass {{id: ...}} as {field}")
            items.append(pair)
    out = [(ident(key, f"{field} key"), value) for key, value in items]
    if not out:
        raise InvalidArgumentError(field, "it is empty", "pass at least one entry")
    unique_ids((key for key, _ in out), field)
    return out


def uuid_text(value: object, field: str) -> str:
    """A UUID given as text (command ids, variant set ids), lower-case as Allegro writes it."""
    import uuid

    text = ident(value, field) if not isinstance(value, uuid.UUID) else str(value)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InvalidArgumentError(field, f"{text!r} is not a UUID",
                                   "pass an id such as str(uuid.uuid4())") from None


# -- text, flags, mappings ------------------------------------------------------------------
def text(value: object, field: str, *, max_len: int | None = None,
         min_len: int = 1) -> str:
    """Text sent as given: ``str`` only, not blank, no leading or trailing whitespace, within
    ``min_len``..``max_len`` characters."""
    if not isinstance(value, str):
        raise _refuse(field, value, "text", f"pass {field} as a str")
    if not value.strip() or value != value.strip():
        raise InvalidArgumentError(field, f"{value!r} is blank or padded with whitespace",
                                   f"pass {field} without surrounding spaces")
    if len(value) < min_len or (max_len is not None and len(value) > max_len):
        bound = f"{min_len} to {max_len}" if max_len is not None else f"at least {min_len}"
        raise InvalidArgumentError(field, f"has {len(value)} characters",
                                   f"give {bound} characters")
    return value


def texts(value: object, field: str, *, max_len: int | None = None) -> list[str]:
    """One text or a non-empty list of them, each checked by :func:`text`."""
    if isinstance(value, str):
        return [text(value, field, max_len=max_len)]
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise _refuse(field, value, "text or a list of text", f"pass {field}=['...']")
    out = [text(v, f"{field}[{i}]", max_len=max_len) for i, v in enumerate(value)]
    if not out:
        raise InvalidArgumentError(field, "the list is empty", "give one or more values")
    return out


def flag(value: object, field: str) -> bool:
    """A ``bool`` (``"no"`` or ``0`` would be read as true or false by accident)."""
    if not isinstance(value, bool):
        raise _refuse(field, value, "True or False", f"pass {field}=True or {field}=False")
    return value


def mapping(value: object, field: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """A JSON object body or set of fields: a mapping with ``str`` keys."""
    if not isinstance(value, Mapping):
        raise _refuse(field, value, "a mapping", f"pass {field} as a dict")
    if not allow_empty and not value:
        raise InvalidArgumentError(field, "it is empty", "give the fields to send")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise InvalidArgumentError(field, f"key {bad[0]!r} is not text",
                                   "use the API's field names as keys")
    return dict(value)


def callable_or_none(value: T, field: str) -> T:
    """A callback (sleep, clock, progress) or ``None``."""
    if value is not None and not callable(value):
        raise _refuse(field, value, "a callable", f"pass a function as {field}, or None")
    return value


def instance(value: object, field: str, kind: type[T]) -> T:
    """An object of ``kind`` (an engine, a journal, a model)."""
    if not isinstance(value, kind):
        raise _refuse(field, value, f"a {kind.__name__}", f"pass a {kind.__name__}")
    return value


# -- numbers --------------------------------------------------------------------------------
def count(value: object, field: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number (``int``, not ``bool``, not ``1.5`` or ``"3"``) within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(field, value, "a whole number (int)", f"pass {field} as an int")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}..{maximum}" if maximum is not None else f"{minimum} or more"
        raise InvalidArgumentError(field, f"{value} is outside {bound}", f"use {bound}")
    return value


def page_size(value: object, field: str, low: int, high: int, operation: str) -> int:
    """A page size or limit within the operation's bounds in the spec."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(field, value, "an int", f"{operation} takes limit {low}..{high}")
    if not low <= value <= high:
        raise InvalidArgumentError(field, f"{value} is outside {low}..{high}",
                                   f"{operation} takes limit {low}..{high}")
    return value


def positive(value: object, field: str, *, maximum: float | None = None,
             zero: bool = False) -> float:
    """A finite number above 0 (or at least 0 with ``zero``), at most ``maximum``: ``nan``
    would make every comparison false and switch a check off silently."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse(field, value, "a number", f"pass {field} as a number")
    number = float(value)
    low_ok = number >= 0 if zero else number > 0
    if not math.isfinite(number) or not low_ok or (maximum is not None and number > maximum):
        bound = ("0 or more" if zero else "above 0") + (
            f" and at most {maximum:g}" if maximum is not None else "")
        raise InvalidArgumentError(field, f"{value!r} is not a finite number {bound}",
                                   f"pass a number {bound}")
    return number


def _decimal(value: object, field: str, example: str,
             minimum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _refuse(field, value, f"a decimal string such as '{example}'",
                      f"pass '{example}' or Decimal('{example}') (floats are not exact)")
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise InvalidArgumentError(field, f"{value!r} is not a plain decimal",
                                       f"write it like '{example}' (digits and one '.')")
        number = Decimal(value)
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise InvalidArgumentError(field, f"{value!r} is not a finite number",
                                   f"pass a decimal such as '{example}'")
    if minimum is None and number <= 0:
        raise InvalidArgumentError(field, f"{value} is not above 0", "pass a positive value")
    if minimum is not None and number < minimum:
        raise InvalidArgumentError(field, f"{value} is below {minimum}",
                                   f"pass {minimum} or more")
    if number >= _MAX_AMOUNT:
        raise InvalidArgumentError(field, f"{value} is too large",
                                   f"give a realistic value, e.g. '{example}'")
    if number.quantize(_CENT) != number:
        raise InvalidArgumentError(field, f"{value} has more than 2 decimal places",
                                   "give at most 2 decimal places (whole grosze/cents)")
    return number


def amount(value: object, field: str, *, minimum: Decimal | None = None) -> Decimal:
    """A money amount above 0 (or at least ``minimum``) with at most 2 decimal places, from
    text (``"19.99"``), an ``int`` or a ``Decimal``. Finer amounts are refused, not rounded
    ("0.001" would become 0.00). Returned with 2 places: ``str()`` of it is what is sent
    (``"19.90"``)."""
    return _decimal(value, field, "19.99", minimum).quantize(_CENT)


def percentage(value: object, field: str, *, decrease: bool) -> str:
    """A percentage for a price change, as the text sent: above 0, at most 2 decimal places,
    and below 100 for a decrease (a 100 % cut would give the offer away)."""
    number = _decimal(value, field, "10.5")
    if decrease and number >= 100:
        raise InvalidArgumentError(field, f"{value} is not below 100",
                                   "a decrease is more than 0 and less than 100 percent")
    return f"{number.normalize():f}"


def currency(value: object, field: str,
             allowed: tuple[str, ...] = MARKETPLACE_CURRENCIES) -> str:
    """An ISO 4217 code the field takes (by default a marketplace's base currency)."""
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) else type(value).__name__
        raise InvalidArgumentError(field, f"{shown} is not a currency this field takes",
                                   f"use one of {', '.join(allowed)}")
    return value


# -- enums and datetimes --------------------------------------------------------------------
def choice(value: object, field: str, allowed: Iterable[str] | type[Enum]) -> str:
    """An enum member or its exact value, as the value sent."""
    values = [str(m.value) for m in allowed] if isinstance(allowed, type) else list(allowed)
    raw = value.value if isinstance(value, Enum) else value
    if not isinstance(raw, str) or raw not in values:
        shown = repr(raw) if isinstance(raw, (str, int, float)) else type(raw).__name__
        raise InvalidArgumentError(field, f"{shown} is not one of {', '.join(values)}",
                                   f"use one of {', '.join(values)}")
    return raw


def choices(value: object, field: str, allowed: Iterable[str] | type[Enum]) -> list[str]:
    """One enum value or a non-empty list of them, each checked by :func:`choice`."""
    if isinstance(value, (str, Enum)):
        return [choice(value, field, allowed)]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise _refuse(field, value, "a value or a list of values", f"pass {field}=['...']")
    out = [choice(v, f"{field}[{i}]", allowed) for i, v in enumerate(value)]
    if not out:
        raise InvalidArgumentError(field, "the list is empty", "give one or more values")
    return out


def aware(value: object, field: str) -> _dt.datetime:
    """A timezone-aware ``datetime`` (a naive one is ambiguous; text is not parsed)."""
    if not isinstance(value, _dt.datetime):
        raise _refuse(field, value, "a datetime",
                      "pass datetime(2030, 1, 1, tzinfo=timezone.utc), not text")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(field, "the datetime has no time zone",
                                   "pass an aware datetime, e.g. datetime.now(timezone.utc)")
    return value


def utc_text(value: _dt.datetime) -> str:
    """An aware datetime as Allegro's UTC text, ``2030-01-01T00:00:00Z``."""
    return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def future(value: object, field: str, now: _dt.datetime | None, why: str) -> _dt.datetime:
    """An aware datetime after ``now`` (the current time when ``None``)."""
    moment = aware(value, field)
    current = _dt.datetime.now(_dt.timezone.utc) if now is None else aware(now, "now")
    if moment <= current:
        raise InvalidArgumentError(field, f"{moment.isoformat()} is in the past ({why})",
                                   f"give a future time, or leave {field} out")
    return moment


def optional(value: T | None, check: Callable[[T], Any]) -> Any:
    """``check(value)``, or ``None`` when the value is ``None``."""
    return None if value is None else check(value)
# -- query and header values (used by the generated operations, allegro_async.api) -------------
def query_value(value: object, field: str, *, number: bool = False) -> object:
    """A query or header value as Allegro reads it: ``bool`` -> ``"true"``/``"false"``, an
    aware datetime -> UTC ISO text ending in ``Z`` (a naive one is refused), an ``Enum`` -> its
    value, ``int``/``str`` as they are, a ``float`` only where the spec says ``number``
    (``number=True``), a list or tuple item by item. ``None`` stays ``None`` (left out)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if number and math.isfinite(value):
            return value
        example = f" (e.g. {int(value)})" if math.isfinite(value) else ""
        raise InvalidArgumentError(
            field, f"expected {'a finite number' if number else 'an integer or text'}, got "
            f"the float {value!r}", f"pass {field} as {'a finite' if number else 'an'} "
            f"{'number' if number else 'int'}{example}",
        )
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise InvalidArgumentError(
                field, f"datetime {value.isoformat()} has no time zone",
                "pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)",
            )
        text = value.astimezone(_dt.timezone.utc).isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [query_value(v, field, number=number) for v in value]
    raise InvalidArgumentError(
        field, f"{type(value).__name__} cannot be sent as a query value",
        f"pass {field} as text, a number, a bool, an enum or an aware datetime",
    )
