"""The spec's own response schemas, as the emulator reads them: the generated table
``allegro_async/api/_response_schemas.json`` (the spec itself is not shipped), loaded on first
use, and a checker for the keywords it keeps.

The table is independent of the generated models on purpose: an answer built from it is what
Allegro may send, so a model that refuses it is a model bug the suite can see.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from allegro_async.api._operation import Operation

_TABLE = "_response_schemas.json"
_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.I)
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_FORMATS = {"date-time": _DATE_TIME, "date": _DATE, "uuid": _UUID}
_INT_BOUNDS = {"int32": 2**31, "int64": 2**63}
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}


@functools.lru_cache(maxsize=1)
def table() -> Mapping[str, Any]:
    """The whole table: ``spec`` (version, sha256), ``operations`` and ``schemas``."""
    text = resources.files("allegro_async.api").joinpath(_TABLE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def definitions() -> Mapping[str, Any]:
    """The named schemas the operations' answers use, by the spec's name."""
    found: Mapping[str, Any] = table()["schemas"]
    return found


def response_schema(operation: Operation) -> tuple[bool, Any]:
    """``(declared, schema)`` of ``operation``'s JSON success answer: the schema for its
    success status and media type (``None`` where the spec gives JSON without a schema);
    ``declared`` is false when the spec gives no JSON answer at all."""
    statuses: Mapping[str, Mapping[str, Any]] = table()["operations"].get(
        operation.operation_id, {})
    content = statuses.get(str(operation.success_status)) or next(iter(statuses.values()), {})
    if not content:
        return False, None
    media = (operation.response_media_type or "").replace(" ", "")
    for kind, schema in content.items():
        if kind.replace(" ", "") == media:
            return True, schema
    return True, next(iter(content.values()))


def problem(instance: Any, schema: Any, defs: Mapping[str, Any] | None = None, *,
            tagged: bool = False) -> str | None:
    r"""Why ``instance`` does not meet ``schema`` (a table schema, or a JSON schema whose
    ``$ref``\ s end in names of ``defs``), or ``None`` when it does. Strict: ``"1"`` is not a
    number, ``1`` is not a string.

    ``tagged``: an object whose tag a schema's ``discriminator.mapping`` names (a schema
    without ``oneOf``/``anyOf``, whose variants extend it) must also meet that variant, as
    Allegro reads a request body; the variants must be in ``defs``."""
    checker = _Checker(definitions() if defs is None else defs, tagged=tagged)
    return checker.problem(instance, schema, "$")


class _Checker:
    """The keywords the table keeps, as OpenAPI 3.0 reads them (``nullable``; boolean
    ``exclusiveMinimum``) and as JSON Schema does (``type: null``; numeric bounds). Strict
    about null, as OpenAPI 3.0.3 is: ``nullable`` admits it at its own level only, so an
    ``allOf`` part, a ``oneOf`` branch or an ``enum`` must admit it too."""

    def __init__(self, defs: Mapping[str, Any], *, tagged: bool = False) -> None:
        self.defs = defs
        self.tagged = tagged

    def problem(self, value: Any, schema: Any, where: str,
                variants: frozenset[str] = frozenset()) -> str | None:
        # ``variants``: those already checked at this place (a variant's allOf holds the
        # tagged schema it extends, whose mapping then names it again)
        if not isinstance(schema, dict):
            return None
        if "$ref" in schema:
            return self.problem(value, self.defs[schema["$ref"].rsplit("/", 1)[-1]], where,
                                variants)
        variant = self._variant(value, schema) if self.tagged else None
        if variant is not None and variant not in variants and (
                found := self.problem(value, self.defs[variant], where, variants | {variant})):
            return found
        for part in schema.get("allOf", ()):
            if found := self.problem(value, part, where, variants):
                return found
        if "anyOf" in schema and all(self.problem(value, p, where, variants)
                                     for p in schema["anyOf"]):
            return f"{where}: matches none of anyOf"
        if "oneOf" in schema:
            count = sum(self.problem(value, p, where, variants) is None
                        for p in schema["oneOf"])
            if count != 1:
                return f"{where}: matches {count} of oneOf"
        if "enum" in schema and value not in schema["enum"]:
            return f"{where}: {value!r} is not one of {schema['enum']}"
        kind = schema.get("type")
        if value is None and schema.get("nullable"):
            pass  # OpenAPI 3.0: null is one more type here (an enum must still list it)
        elif kind in _TYPES and (not isinstance(value, _TYPES[kind])
                                 or (isinstance(value, bool) and kind != "boolean")):
            return f"{where}: {value!r} is not of type {kind}"
        if isinstance(value, dict):
            return self._object(value, schema, where)
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0) or len(value) > schema.get(
                    "maxItems", len(value)):
                return f"{where}: {len(value)} items is out of bounds"
            for i, item in enumerate(value):
                if found := self.problem(item, schema.get("items"), f"{where}[{i}]"):
                    return found
            return None
        if isinstance(value, str):
            return self._string(value, schema, where)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._number(value, schema, where)
        return None

    @staticmethod
    def _variant(value: Any, schema: dict[str, Any]) -> str | None:
        """The name of the variant ``value``'s tag picks, where ``schema`` maps tags to
        variants that extend it (not where ``oneOf``/``anyOf`` lists the branches)."""
        tagged = schema.get("discriminator")
        if (not isinstance(value, dict) or not isinstance(tagged, dict)
                or "anyOf" in schema or "oneOf" in schema):
            return None
        mapping = tagged.get("mapping")
        tag = value.get(tagged.get("propertyName", ""))
        if not isinstance(mapping, dict) or not isinstance(tag, str) or tag not in mapping:
            return None
        return str(mapping[tag]).rsplit("/", 1)[-1]

    def _object(self, value: dict[str, Any], schema: dict[str, Any], where: str) -> str | None:
        props = schema.get("properties") or {}
        for name in schema.get("required", ()):
            if name not in value:
                return f"{where}: {name!r} is required"
        for name, item in value.items():
            if name in props:
                if found := self.problem(item, props[name], f"{where}.{name}"):
                    return found
            elif schema.get("additionalProperties") is False:
                return f"{where}: {name!r} is not allowed"
            elif isinstance(schema.get("additionalProperties"), dict) and (
                    found := self.problem(item, schema["additionalProperties"], f"{where}.{name}")):
                return found
        return None

    @staticmethod
    def _string(value: str, schema: dict[str, Any], where: str) -> str | None:
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return f"{where}: length {len(value)} is out of bounds"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{where}: {value!r} does not match {schema['pattern']!r}"
        form = _FORMATS.get(schema.get("format", ""))
        if form is not None and not form.match(value):
            return f"{where}: {value!r} is not a {schema['format']}"
        return None

    @staticmethod
    def _number(value: float, schema: dict[str, Any], where: str) -> str | None:
        low, high = schema.get("minimum"), schema.get("maximum")
        low_open, high_open = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low_open, (int, float)) and not isinstance(low_open, bool):
            low, low_open = low_open, True  # JSON Schema's numeric form
        if isinstance(high_open, (int, float)) and not isinstance(high_open, bool):
            high, high_open = high_open, True
        if (low is not None and (value < low or (low_open and value == low))) or (
                high is not None and (value > high or (high_open and value == high))):
            return f"{where}: {value} is out of bounds"
        bound = _INT_BOUNDS.get(schema.get("format", ""))
        if bound is not None and not -bound <= value < bound:
            return f"{where}: {value} does not fit {schema['format']}"
        return None
