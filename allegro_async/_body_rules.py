"""Request bodies checked against the spec's rules before sending: required fields, types,
enums, bounds, nested objects and arrays (the table ``allegro_async/api/_request_rules.py``,
generated from the spec and loaded on the first check).

An error names the field's path in the body (``body.offers[0].id``) and the fix. What the
rules do not name passes: a dict body may carry keys the spec lacks (a field Allegro added
since), and ``None`` is accepted where the spec says ``nullable`` or the field is optional.
A model body is sent as the caller set it: the fields set, explicit ``None`` included, and no
defaults the caller did not set.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any

from allegro_async.errors import InvalidArgumentError

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_WHAT = {"string": "text (str)", "integer": "a whole number (int)", "number": "a number",
         "boolean": "True or False", "object": "an object (dict)", "array": "a list"}
_rules: dict[str, Any] | None = None


def rules() -> dict[str, Any]:
    """The generated table, imported on first use (it is large; import time matters)."""
    global _rules
    if _rules is None:
        from allegro_async.api._request_rules import RULES

        _rules = RULES
    return _rules


def _shown(value: object) -> str:
    if isinstance(value, (str, int, float)) and len(repr(value)) <= 60:
        return repr(value)
    return type(value).__name__


def _refuse(path: str, problem: str, fix: str) -> InvalidArgumentError:
    return InvalidArgumentError(path, problem, fix)


def to_json(body: object) -> object:
    """A model as the JSON the caller set (``exclude_unset``: explicit nulls kept, unset
    defaults left out); anything else as it is."""
    from pydantic import BaseModel

    if isinstance(body, BaseModel):
        to_api = getattr(body, "to_api", None)
        if callable(to_api):
            return to_api()
        return body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return body


def json_body(body: object, schema: str | None, *, required: bool) -> object:
    """The JSON body of an operation, checked against the rules of ``schema``: a model or a
    mapping; ``None`` only where the spec makes the body optional."""
    if body is None:
        if required:
            raise _refuse("body", "this operation requires a body and got None",
                          "pass body= as the operation's model or a dict")
        return None
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        raise _refuse("body", f"expected a model or a dict, got {type(body).__name__}",
                      "pass the body as the operation's model or a dict (json.loads(text) "
                      "for JSON text)")
    data = plain_json(to_json(body), "body")
    if schema is not None:
        check(data, schema, "body")
    elif not isinstance(data, (Mapping, list)):
        raise _refuse("body", f"expected a model or a dict, got {type(data).__name__}",
                      "pass the body as the operation's model or a dict")
    return data


def plain_json(value: object, path: str) -> Any:
    """``value`` as the JSON that is sent, or a refusal naming the path of what JSON cannot
    hold: nested models become what they set, enums their value, aware datetimes UTC text;
    ``nan``/``inf``, naive datetimes, ``Decimal``, ``bytes`` and other objects are refused."""
    if value is None or isinstance(value, (str, bool, int)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(path, f"{value!r} is not a finite number", "send a finite number")
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _refuse(path, f"key {_shown(key)} is not text",
                              "use the API's field names as keys")
            out[key] = plain_json(item, f"{path}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [plain_json(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Enum):
        return plain_json(value.value, path)
    if isinstance(value, _dt.datetime):
        from allegro_async._spec_args import date_time_text

        return date_time_text(value, path)
    converted = to_json(value)
    if converted is not value:
        return plain_json(converted, path)
    raise _refuse(path, f"{type(value).__name__} cannot be sent as JSON",
                  "send text (amounts as '19.99'), a number, a bool, a list or a dict")


def file_body(body: object, *, required: bool) -> bytes | None:
    """A file upload's body: its bytes (text would be sent JSON-quoted as the file)."""
    if body is None:
        if required:
            raise _refuse("body", "this operation requires the file and got None",
                          "pass the file's bytes: body=path.read_bytes()")
        return None
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise _refuse("body", f"expected the file's bytes, got {type(body).__name__}",
                      "read the file in binary mode: body=path.read_bytes()")
    return bytes(body)


def check(value: object, node: Any, path: str) -> None:
    """Refuse ``value`` where it breaks the rule ``node`` (a table node or entry name)."""
    if isinstance(node, str):
        node = rules()[node]
    if value is None:
        if node.get("n"):
            return
        raise _refuse(path, "is None and the spec does not allow null here",
                      "give a value, or leave the field out")
    tag = node.get("d")
    if tag is not None and isinstance(value, Mapping) and value.get(tag[0]) in tag[1]:
        check(value, tag[1][value[tag[0]]], path)
        return
    if "o" in node:
        _one_of(value, node["o"], path)
    kind = node.get("t")
    if kind is None and "p" in node:
        kind = "object"
    if kind is not None and not _is(value, kind):
        raise _refuse(path, f"expected {_WHAT.get(kind, kind)}, got {_shown(value)}",
                      f"send {path} as {_WHAT.get(kind, kind)}")
    if "e" in node and value not in node["e"]:
        allowed = ", ".join(map(str, node["e"]))
        raise _refuse(path, f"{_shown(value)} is not one of {allowed}", f"use one of {allowed}")
    if kind in ("integer", "number"):
        _bounds(value, node, path, kind)  # type: ignore[arg-type]
    elif kind == "string":
        _text(value, node, path)
    elif kind == "array":
        _array(value, node, path)  # type: ignore[arg-type]
    elif kind == "object":
        _object(value, node, path)  # type: ignore[arg-type]


def _is(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)  # an id as a JSON number is refused by Allegro: "123"
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "array":
        return isinstance(value, (list, tuple))
    return True


def _one_of(value: object, alternatives: tuple[Any, ...], path: str) -> None:
    first: InvalidArgumentError | None = None
    for alternative in alternatives:
        try:
            check(value, alternative, path)
        except InvalidArgumentError as exc:
            first = first or exc
        else:
            return
    assert first is not None
    raise _refuse(path, f"fits none of the {len(alternatives)} shapes the spec allows (the "
                  f"first: {first.field}: {first.problem})", first.fix)


def _bounds(value: float, node: dict[str, Any], path: str, kind: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(path, f"{value!r} is not a finite number", "send a finite number")
    low, high = node.get("lo"), node.get("hi")
    if kind == "integer":
        low_f, high_f = _INT_RANGES.get(node.get("f", "int64"), _INT_RANGES["int64"])
        low = low_f if low is None else max(low, low_f)
        high = high_f if high is None else min(high, high_f)
    if (low is not None and value < low) or (high is not None and value > high):
        bound = f"{'' if low is None else low}..{'' if high is None else high}"
        raise _refuse(path, f"{value} is outside {bound}", f"send a value within {bound}")


def _text(value: object, node: dict[str, Any], path: str) -> None:
    assert isinstance(value, str)
    low, high = node.get("ll"), node.get("lh")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        bound = f"{low or 0}..{'' if high is None else high}"
        raise _refuse(path, f"has {len(value)} characters", f"send {bound} characters")
    pattern = node.get("pt")
    if pattern is not None and _pattern(pattern).search(value) is None:
        raise _refuse(path, f"{_shown(value)} does not match the pattern {pattern!r}",
                      f"send text matching {pattern!r}")
    fmt = node.get("f")
    if fmt == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            raise _refuse(path, f"{_shown(value)} is not a UUID",
                          "send the id as Allegro gave it, e.g. str(uuid.uuid4())") from None
    elif fmt == "date-time" and not _date_time(value):
        raise _refuse(path, f"{_shown(value)} is not a date-time with a time zone",
                      "send text such as '2030-01-01T10:00:00Z'")


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _date_time(text: str) -> bool:
    from allegro_async._spec_args import date_time_text

    try:
        date_time_text(text, "")
    except InvalidArgumentError:
        return False
    return True


def _array(value: list[Any], node: dict[str, Any], path: str) -> None:
    low, high = node.get("il"), node.get("ih")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        bound = f"{low or 0}..{'' if high is None else high}"
        raise _refuse(path, f"has {len(value)} items", f"send {bound} items")
    items = node.get("i")
    if items is not None:
        for i, item in enumerate(value):
            check(item, items, f"{path}[{i}]")


def _object(value: Mapping[Any, Any], node: dict[str, Any], path: str) -> None:
    props: dict[str, Any] = node.get("p") or {}
    required = node.get("r") or ()
    for name in required:
        if name not in value:
            raise _refuse(f"{path}.{name}", "is required and missing",
                          f"add {name} to {path} (the spec requires it)")
    extra = node.get("a")
    for key, item in value.items():
        if not isinstance(key, str):
            raise _refuse(path, f"key {_shown(key)} is not text", "use the API's field names")
        rule = props.get(key)
        if rule is None and extra is not None and key not in props:
            rule = extra
        if rule is None:
            continue  # a key the spec does not name: passed on (a field Allegro added)
        if item is None and key not in required:
            continue  # an optional field set to null: Allegro reads it as absent
        check(item, rule, f"{path}.{key}" if extra is None or key in props else f"{path}[{key!r}]")
