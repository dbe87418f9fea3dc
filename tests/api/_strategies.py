"""Hypothesis strategies for JSON documents that a schema of the spec allows."""

from __future__ import annotations

import datetime as _dt
import string
from typing import Any

from hypothesis import strategies as st

_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_", max_size=12)
_MOMENTS = st.datetimes(
    min_value=_dt.datetime(2000, 1, 1), max_value=_dt.datetime(2040, 1, 1),
    timezones=st.just(_dt.timezone.utc),
)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _merged(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(spec, schema)
    if "allOf" not in schema:
        return schema
    parts = [_merged(spec, part) for part in schema["allOf"]]
    for part in parts:  # allOf of a non-object (a list, a string) and a description
        if part.get("type") not in (None, "object") or {"enum", "oneOf", "anyOf"} & set(part):
            return {**part, "nullable": schema.get("nullable", part.get("nullable", False))}
    props: dict[str, Any] = {}
    required: list[str] = []
    for part in parts:
        props.update(part.get("properties") or {})
        required += part.get("required") or []
    props.update(schema.get("properties") or {})
    return {"type": "object", "properties": props, "nullable": schema.get("nullable", False),
            "required": required + (schema.get("required") or [])}


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    fmt = schema.get("format")
    if fmt == "date-time":
        return _MOMENTS.map(lambda d: d.isoformat().replace("+00:00", "Z"))
    if fmt == "date":
        return st.dates(min_value=_dt.date(2000, 1, 1)).map(lambda d: d.isoformat())
    if fmt == "uuid":
        return st.uuids().map(str)
    if schema.get("pattern"):
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: len(s) < 40)
    low, high = schema.get("minLength", 0), schema.get("maxLength", 12)
    return st.text(alphabet=string.ascii_letters + string.digits, min_size=low,
                   max_size=max(low, min(high, 12)))


def from_schema(spec: dict[str, Any], schema: dict[str, Any],
                depth: int = 0) -> st.SearchStrategy[Any]:
    """Documents ``schema`` accepts; optional properties thin out with depth."""
    schema = _merged(spec, schema)
    inner: st.SearchStrategy[Any]
    if "enum" in schema:
        inner = st.sampled_from(schema["enum"])
    elif "discriminator" in schema and schema["discriminator"].get("mapping"):
        tag = schema["discriminator"]["propertyName"]
        variants = []
        for value, ref in sorted(schema["discriminator"]["mapping"].items()):
            variant = dict(_merged(spec, {"$ref": ref}))
            variant["properties"] = {**(variant.get("properties") or {}), tag: {"enum": [value]}}
            variant["required"] = [*(variant.get("required") or []), tag]
            variant["type"] = "object"
            variants.append(from_schema(spec, variant, depth + 1))
        inner = st.one_of(variants)
    elif "oneOf" in schema or "anyOf" in schema:
        inner = st.one_of([from_schema(spec, s, depth + 1)
                           for s in schema.get("oneOf") or schema["anyOf"]])
    else:
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if kind == "object":
            props = schema.get("properties") or {}
            required = [k for k in props if k in (schema.get("required") or [])]
            optional = [] if depth > 3 else [k for k in props if k not in required]
            inner = st.fixed_dictionaries(
                {k: from_schema(spec, props[k], depth + 1) for k in required},
                optional={k: from_schema(spec, props[k], depth + 1) for k in optional},
            )
        elif kind == "array":
            inner = st.lists(from_schema(spec, schema.get("items") or {}, depth + 1),
                             min_size=schema.get("minItems", 0),
                             max_size=max(schema.get("minItems", 0), 0 if depth > 3 else 2))
        elif kind == "integer":
            inner = st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31))
        elif kind == "number":
            inner = st.floats(schema.get("minimum", -1e9), schema.get("maximum", 1e9),
                              allow_nan=False, allow_infinity=False)
        elif kind == "boolean":
            inner = st.booleans()
        else:
            inner = _string(schema)
    if schema.get("nullable"):
        return st.none() | inner
    return inner
