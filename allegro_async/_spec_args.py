"""Query, header and path parameters checked against what the spec declares for them (type,
``enum``, ``minimum``/``maximum``, the ``uuid`` and ``date-time`` formats), before any request.

The generated operations call these through :mod:`allegro_async._args` with the facts the
generator read from the spec, e.g. ``_a.query(limit, "limit", "integer", minimum=1,
maximum=100)``. Each returns the value as it is sent, or raises
:class:`~allegro_async.errors.InvalidArgumentError` naming the parameter and the fix.

A value the spec does not allow yet (an enum value Allegro added since) goes through the
per-call options ``extra_query=`` and ``extra_headers=``, which are sent as given.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from allegro_async.errors import InvalidArgumentError

#: The JSON-schema integer formats and their ranges; an integer without a format is an int64.
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
#: RFC 3339 date-time text, with its offset (text without one is as ambiguous as a naive
#: datetime): ``2030-01-01T10:00:00Z``, ``2030-01-01T10:00:00.123+02:00``.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
    r"(?:[Zz]|[+-](\d{2}):?(\d{2}))"
)


_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _shown(value: object) -> str:
    if isinstance(value, (str, int, float, Decimal)) and len(repr(value)) <= 60:
        return repr(value)
    return type(value).__name__


def _way_through(field: str, where: str) -> str:
    option = "extra_headers" if where == "header" else "extra_query"
    name = field.split("[", 1)[0]  # the parameter, not one item of its list
    return (f"or, for a value the spec does not list yet, leave {name} out and pass "
            f"{option}={{{name!r}: ...}}")


def _allowed(enum: Iterable[Any] | type[Enum] | str) -> list[str]:
    if isinstance(enum, str):  # a parameter enum of the generated layer, loaded when first used
        import importlib

        enum = getattr(importlib.import_module("allegro_async.api._enums"), enum)
    return [str(m.value) if isinstance(m, Enum) else str(m) for m in enum]


def _enum_value(value: object, field: str, enum: Iterable[Any] | type[Enum] | str,
                where: str) -> str:
    allowed = _allowed(enum)
    raw = value.value if isinstance(value, Enum) else value
    if isinstance(raw, str) and raw in allowed:
        return raw
    listed = ", ".join(allowed)
    raise InvalidArgumentError(
        field, f"{_shown(raw)} is not one of {listed}",
        f"use one of {listed}; {_way_through(field, where)}",
    )


def _integer(value: object, field: str, minimum: float | None, maximum: float | None,
             fmt: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        hint = ""
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            hint = f" (e.g. {int(value)})"
        raise InvalidArgumentError(field, f"expected a whole number (int), got {_shown(value)}",
                                   f"pass {field} as an int{hint}")
    low, high = _INT_RANGES.get(fmt or "int64", _INT_RANGES["int64"])
    low = max(low, math.ceil(minimum)) if minimum is not None else low
    high = min(high, math.floor(maximum)) if maximum is not None else high
    if not low <= value <= high:
        raise InvalidArgumentError(field, f"{value} is outside {low}..{high}",
                                   f"pass {field} between {low} and {high}")
    return value


def _number(value: object, field: str, minimum: float | None,
            maximum: float | None) -> int | float | str:
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        value = Decimal(value)  # an amount as Allegro writes it, '19.99'
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidArgumentError(field, f"expected a number, got {_shown(value)}",
                                   f"pass {field} as an int, a float, a Decimal or text "
                                   "such as '19.99'")
    if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
        raise InvalidArgumentError(field, f"{value!r} is not a finite number",
                                   f"pass {field} as a finite number")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bound = (f"{minimum:g}.." if minimum is not None else "..") + (
            f"{maximum:g}" if maximum is not None else "")
        raise InvalidArgumentError(field, f"{value} is outside {bound}",
                                   f"pass {field} within {bound}")
    return str(value) if isinstance(value, Decimal) else value


def _aware_text(value: _dt.datetime, field: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            field, f"datetime {value.isoformat()} has no time zone",
            "pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)",
        )
    return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def date_time_text(value: object, field: str) -> str:
    """A ``date-time`` value as sent: an aware ``datetime`` as UTC text ending in ``Z``, or
    RFC 3339 text with its offset, sent as given."""
    if isinstance(value, _dt.datetime):
        return _aware_text(value, field)
    if isinstance(value, str):
        match = _DATE_TIME.fullmatch(value)
        if match is not None:
            y, mo, d, h, mi, s, oh, om = (int(g) if g else 0 for g in match.groups())
            try:
                _dt.datetime(y, mo, d, h, mi, s)
                _dt.timedelta(hours=oh, minutes=om)
                if oh > 23 or om > 59:
                    raise ValueError
            except ValueError:
                pass
            else:
                return value
    raise InvalidArgumentError(
        field, f"{_shown(value)} is not a date-time with a time zone",
        "pass an aware datetime, or text such as '2030-01-01T10:00:00Z'",
    )


def uuid_value(value: object, field: str) -> str:
    """A ``uuid`` value: a :class:`uuid.UUID` or its text, sent lower-case."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) <= 45:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise InvalidArgumentError(field, f"{_shown(value)} is not a UUID",
                               "pass the id as Allegro gave it, e.g. str(uuid.uuid4())")


def _string(value: object, field: str, fmt: str | None, where: str) -> object:
    if fmt is not None and fmt.lower() == "uuid":
        return uuid_value(value, field)
    if fmt == "date-time":
        return date_time_text(value, field)
    if fmt == "http-date" and isinstance(value, _dt.datetime):
        import email.utils

        _aware_text(value, field)
        return email.utils.format_datetime(value.astimezone(_dt.timezone.utc), usegmt=True)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # an id given as a number is sent as its digits
    if isinstance(value, _dt.datetime):
        return _aware_text(value, field)
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise InvalidArgumentError(field, f"expected text, got {_shown(value)}",
                               f"pass {field} as a str")


def _scalar(value: object, field: str, kind: str, *, enum: Any, minimum: float | None,
            maximum: float | None, fmt: str | None, where: str) -> object:
    if enum is not None:
        return _enum_value(value, field, enum, where)
    if kind == "integer":
        return _integer(value, field, minimum, maximum, fmt)
    if kind == "number":
        return _number(value, field, minimum, maximum)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidArgumentError(field, f"expected True or False, got {_shown(value)}",
                                       f"pass {field}=True or {field}=False")
        return "true" if value else "false"
    return _string(value, field, fmt, where)


def query(value: object, field: str, kind: str = "string", *, required: bool = False,
          items: str | None = None, enum: Any = None, minimum: float | None = None,
          maximum: float | None = None, fmt: str | None = None, where: str = "query") -> Any:
    """One query parameter as sent, checked against its declaration (``kind`` is the spec's
    type; ``items`` the type of an array's items; ``enum`` the allowed values, an enum class,
    or the name of a class of ``allegro_async.api._enums``, which is then loaded only when a
    value is given). ``None`` leaves an optional one out."""
    if value is None:
        if required:
            raise InvalidArgumentError(field, "is required and was None",
                                       f"pass a value for {field}")
        return None
    if kind == "array":
        if isinstance(value, (str, Enum, int, float, _dt.date)):
            value = [value]  # one value is a list of one
        elif isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
            raise InvalidArgumentError(field, f"expected a list, got {_shown(value)}",
                                       f"pass {field} as a list, e.g. [...]")
        value = list(value)
        if required and not value:
            raise InvalidArgumentError(field, "is required and the list is empty",
                                       f"give {field} one or more values")
        return [_scalar(v, f"{field}[{i}]", items or "string", enum=enum, minimum=minimum,
                        maximum=maximum, fmt=fmt, where=where) for i, v in enumerate(value)]
    return _scalar(value, field, kind, enum=enum, minimum=minimum, maximum=maximum, fmt=fmt,
                   where=where)


def header(value: object, field: str, kind: str = "string", *, required: bool = False,
           items: str | None = None, enum: Any = None, minimum: float | None = None,
           maximum: float | None = None, fmt: str | None = None) -> str | None:
    """One header parameter as its text (``None`` leaves an optional one out); a line break
    in it is refused, as it would end the header."""
    out = query(value, field, kind, required=required, items=items, enum=enum,
                minimum=minimum, maximum=maximum, fmt=fmt, where="header")
    if out is None:
        return None
    text = ",".join(map(str, out)) if isinstance(out, list) else str(out)
    if "\r" in text or "\n" in text or "\0" in text:
        raise InvalidArgumentError(field, "the value holds a line break or NUL",
                                   f"pass {field} on one line")
    return text


def free_query(value: object, field: str, declared: Iterable[str]) -> dict[str, Any]:
    """A mapping of extra query parameters (``dynamic_filters``): text keys that are not a
    parameter the operation declares (pass those by their own keyword), each value text, a
    number, a bool or a list of them."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            field, f"expected a mapping of parameter names to values, got {_shown(value)}",
            f"pass {field}={{'parameter.id': ['value']}}",
        )
    known = set(declared)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(field, f"key {_shown(key)} is not a parameter name",
                                       "use the parameter's name as Allegro spells it")
        if key in known:
            raise InvalidArgumentError(
                f"{field}[{key!r}]", f"{key!r} is a parameter this operation declares",
                "pass it by its own keyword argument, not in " + field,
            )
        if item is None:
            continue  # left out, as a keyword given None is
        if isinstance(item, (list, tuple)):
            out[key] = [_free(v, f"{field}[{key!r}][{i}]") for i, v in enumerate(item)]
        else:
            out[key] = _free(item, f"{field}[{key!r}]")
    return out


def _free(value: object, field: str) -> object:
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool):
        return _number(value, field, None, None)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, Enum, _dt.date)):
        return _string(value, field, None, "query")
    raise InvalidArgumentError(field, f"expected text, a number or a bool, got {_shown(value)}",
                               "pass the filter's values as text")
