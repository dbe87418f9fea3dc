"""The spec's request-side limits (``maxLength``, ``minimum``, ``pattern``, ``minItems``, ...)
checked on a body the emulator received, as Allegro checks them.

The generated models parse answers leniently and never enforce these limits; they keep them
as JSON-schema documentation (each field's ``json_schema_extra``). The emulator plays
Allegro's side, so it reads them from there and refuses a request breaking one (a 422).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, RootModel


def first_broken(value: Any, where: str = "") -> tuple[str, str] | None:
    """``(location, problem)`` of the first limit ``value`` (a validated model) breaks."""
    if isinstance(value, RootModel):
        return first_broken(value.root, where)
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            place = _join(where, info.alias or name)
            extra = info.json_schema_extra
            if isinstance(extra, Mapping) and item is not None:
                problem = _problem(item, extra)
                if problem is not None:
                    return place, problem
            found = first_broken(item, place)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = first_broken(item, f"{where}[{i}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = first_broken(item, _join(where, str(key)))
            if found is not None:
                return found
    return None


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


_COMPARE = {
    "minimum": lambda n, b: n < b, "maximum": lambda n, b: n > b,
    "exclusiveMinimum": lambda n, b: n <= b, "exclusiveMaximum": lambda n, b: n >= b,
}


def _problem(value: Any, limits: Mapping[str, Any]) -> str | None:
    text = isinstance(value, str)
    size = len(value) if isinstance(value, (str, list, tuple, dict)) else None
    number = _number(value) if isinstance(value, (int, float, str, Decimal)) else None
    for word, bound in limits.items():
        if word in _COMPARE:
            limit = _number(bound)
            broken = number is not None and limit is not None and _COMPARE[word](number, limit)
        elif word in ("maxLength", "maxItems"):
            broken = size is not None and text == (word == "maxLength") and size > bound
        elif word in ("minLength", "minItems"):
            broken = size is not None and text == (word == "minLength") and size < bound
        elif word == "pattern":
            broken = text and re.search(str(bound), value) is None
        else:
            broken = False
        if broken:
            return f"must have {word} {bound}"
    return None
