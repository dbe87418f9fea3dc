"""Deterministic, schema-valid success bodies for operations the emulator does not model.

Built from the spec's own response schemas (:mod:`.spec_schemas`), never from the generated
models, so a model that refuses what Allegro may send shows up in the suite. The spec's example
where it has one (and it meets the schema), else a minimal instance of the schema (required
properties; a discriminated union's first mapped subtype, carrying its tag), seeded from a
stable hash of the emulator's seed, the method and the path template: the same answer in every
run and process (``hash()`` is salted per process, so it is not used). Binary media types get
small valid files.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from allegro_async.api._operation import Operation
from allegro_async.testing.emulator import spec_schemas

if TYPE_CHECKING:
    from pydantic import BaseModel

#: A one-page PDF, the smallest that common readers open.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
#: A ZPL label with one text field.
MINIMAL_ZPL = b"^XA^FO50,50^A0N,30,30^FDallegro-emulator^FS^XZ\n"
#: A 1x1 PNG.
MINIMAL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

_BINARY: dict[str, bytes] = {
    "application/pdf": MINIMAL_PDF,
    "x-application/zpl": MINIMAL_ZPL,
    "image/png": MINIMAL_PNG,
    "text/csv": b"id,name\n1,emulator\n",
    "application/octet-stream": MINIMAL_PDF,
}


def is_json(media_type: str | None) -> bool:
    """Whether answers in ``media_type`` are JSON (vnd types and absent ones; ``*/*`` is any
    file)."""
    if media_type is None:
        return True
    base = media_type.replace(" ", "").lower()
    return base.endswith("+json") or base == "application/json"


def binary_body(media_type: str) -> bytes:
    """Small valid bytes of ``media_type`` (a minimal PDF for unknown binary types)."""
    return _BINARY.get(media_type.replace(" ", "").lower(), MINIMAL_PDF)


def stable_seed(*parts: object) -> int:
    """A seed from ``parts`` that is the same in every process (unlike ``hash()``)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def example(operation: Operation) -> Any | None:
    """The spec's success example, when it meets the response schema; else ``None``."""
    if operation.example is None:
        return None
    try:
        data = json.loads(operation.example)
    except ValueError:
        return None
    if isinstance(data, str):
        return None  # the example of a text/csv variant, not of the JSON answer
    _, schema = spec_schemas.response_schema(operation)
    # strict: examples that spell the spec's strings as numbers must not be served
    if schema is not None and spec_schemas.problem(data, schema) is not None:
        return None  # examples drift from their schemas; a built body is safer
    return data


def instance(schema: Any, seed: int, defs: Mapping[str, Any] | None = None, *,
             complete: bool = False, variant: int = 0, nulls: bool = False) -> Any:
    """A minimal instance of ``schema`` as JSON data: its required properties only, with
    values that meet their constraints (enum, length, range, format, pattern) and vary with
    ``seed``. ``$ref``\\ s name entries of ``defs`` (by default the spec's response schemas).
    The options make the fuller answers a client must also read (see :class:`SchemaInstances`).

    >>> instance({"$ref": "CheckoutForm"}, seed=1, complete=True, variant=2)  # doctest: +SKIP
    """
    found = SchemaInstances(spec_schemas.definitions() if defs is None else defs, seed,
                            complete=complete, variant=variant, nulls=nulls)
    return found.value(schema, 0)


def built(model: type[BaseModel], seed: int) -> Any:
    """A minimal valid instance of a generated ``model``'s JSON schema, as data by alias (for
    request bodies, which follow the client's models; answers follow the spec instead)."""
    schema = _schema(model)
    return instance(schema, seed, schema.get("$defs", {}))


@functools.lru_cache(maxsize=512)
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    found: dict[str, Any] = model.model_json_schema(by_alias=True)
    return found


#: Strings tried, in order, for a pattern the builder cannot read.
_PATTERN_CANDIDATES = ("PL", "1", "A", "a", "abc", "ABC", "A1", "12345", "PLN", "pl-PL",
                       "00-001", "2026-01-01", "P30D", "PT24H", "emulator", "x@example.com")
_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "uuid": "",
    "email": "seller@example.com", "uri": "https://allegro.pl/", "duration": "P30D",
    "time": "12:00:00", "ipv4": "127.0.0.1",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
#: Deeper than any answer of the spec: a schema that requires itself ends here.
_MAX_DEPTH = 64
#: How deep ``complete`` instances add optional properties (recursive schemas end there).
_COMPLETE_DEPTH = 16


class SchemaInstances:
    """Instances of OpenAPI 3.0 schemas (the table's) and of JSON schemas (pydantic's).

    By default minimal: required properties, the first of each choice, the least items a list
    may have. ``complete`` adds every optional property (down to a bounded depth) and one item
    to each list; ``variant`` takes the n-th of each choice (enum value, mapped subtype,
    ``oneOf`` branch) instead of the first; ``nulls`` answers ``null`` for each optional
    property whose schema admits it. Deterministic for one seed and options; no randomness,
    so it is fast and every walk ends."""

    def __init__(self, defs: Mapping[str, Any], seed: int, *, complete: bool = False,
                 variant: int = 0, nulls: bool = False) -> None:
        self.defs = defs
        self.seed = seed
        self.complete = complete
        self.variant = variant
        self.nulls = nulls
        self._dispatching: set[str] = set()

    def value(self, schema: Any, depth: int, name: str | None = None) -> Any:
        """An instance of ``schema`` (the schema ``defs[name]`` when ``name`` is given)."""
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[-1]
            return self._named(ref, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][self.variant % len(schema["enum"])]
        union = schema.get("oneOf") or schema.get("anyOf")
        if union and (schema.get("discriminator") or {}).get("mapping"):
            return self._mapped(schema["discriminator"], depth)
        if union:
            return self._choice(union, depth, exactly_one="oneOf" in schema)
        if "allOf" in schema:
            tags: dict[str, str] = {}
            merged: dict[str, Any] = {}
            self._fold(schema, name, merged, tags, depth)
            found = self.value(merged, depth + 1)
            return {**found, **tags} if isinstance(found, dict) else found
        kind = schema.get("type") or ("array" if "items" in schema else None)
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        if kind == "array":
            count = int(schema.get("minItems", 0))
            if self.complete and depth <= _COMPLETE_DEPTH:
                count = max(count, min(1, int(schema.get("maxItems", 1))))
            return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "integer":
            return int(self._number(schema, 1))
        if kind == "number":
            return self._number(schema, 1.0)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema)

    def _named(self, name: str, depth: int) -> Any:
        schema = self.defs[name]
        found = schema.get("discriminator") or {}
        if found.get("mapping") and not (schema.get("oneOf") or schema.get("anyOf")) \
                and name not in self._dispatching:
            # a base naming its subtypes (each an allOf of the base): build the first one
            self._dispatching.add(name)
            try:
                return self._mapped(found, depth)
            finally:
                self._dispatching.discard(name)
        return self.value(schema, depth, name)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = [key for key in schema.get("required", ()) if key in props]
        if not self.complete or depth > _COMPLETE_DEPTH:
            return {key: self.value(props[key], depth + 1) for key in required}
        out: dict[str, Any] = {}
        for key, prop in props.items():
            nullable = self.nulls and key not in required and (
                spec_schemas.problem(None, prop, self.defs) is None)
            out[key] = None if nullable else self.value(prop, depth + 1)
        return out

    def _mapped(self, discriminator: dict[str, Any], depth: int) -> Any:
        entries = list(discriminator["mapping"].items())
        tag, ref = entries[self.variant % len(entries)]
        found = self.value({"$ref": ref}, depth + 1)
        if isinstance(found, dict):
            found[discriminator["propertyName"]] = tag
        return found

    def _choice(self, choices: list[Any], depth: int, exactly_one: bool) -> Any:
        choices = [c for c in choices if c.get("type") != "null"] or choices
        start = self.variant % len(choices)
        choices = choices[start:] + choices[:start]
        if not exactly_one:
            return self.value(choices[0], depth + 1)
        # oneOf: a branch whose instance matches no other branch; optional properties can make
        # branches alike, so without them if need be
        for complete in dict.fromkeys((self.complete, False)):
            saved, self.complete = self.complete, complete
            try:
                for choice in choices:
                    found = self.value(choice, depth + 1)
                    if sum(spec_schemas.problem(found, c, self.defs) is None
                           for c in choices) == 1:
                        return found
            finally:
                self.complete = saved
        return self.value(choices[0], depth + 1)

    def _fold(self, schema: dict[str, Any], name: str | None, merged: dict[str, Any],
              tags: dict[str, str], depth: int) -> None:
        """``schema`` with its ``allOf`` parts folded into ``merged`` (properties merged,
        required names joined, a part's other keywords kept where none came first); a part's
        discriminator gives ``tags`` the tag it maps to ``name`` (the subtype being built)."""
        if depth > _MAX_DEPTH:
            return
        for part in schema.get("allOf", ()):
            part_name = None
            if "$ref" in part:
                part_name = part["$ref"].rsplit("/", 1)[-1]
                part = self.defs[part_name]
            found = part.get("discriminator") or {}
            for tag, ref in (found.get("mapping") or {}).items():
                if name is not None and ref.rsplit("/", 1)[-1] == name:
                    tags.setdefault(found["propertyName"], tag)
            self._fold(part, part_name, merged, tags, depth + 1)
        props: dict[str, Any] = merged.setdefault("properties", {})
        for key, value in (schema.get("properties") or {}).items():
            props[key] = {"allOf": [props[key], value]} if key in props else value
        required: list[str] = merged.setdefault("required", [])
        required.extend(k for k in schema.get("required", ()) if k not in required)
        for key, value in schema.items():
            if key not in ("allOf", "properties", "required", "discriminator"):
                merged.setdefault(key, value)
        if not props and not required:  # a scalar (an allOf of string schemas), not an object
            del merged["properties"], merged["required"]

    @staticmethod
    def _number(schema: dict[str, Any], default: float) -> float:
        low, high = schema.get("minimum"), schema.get("maximum")
        low_open, high_open = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low_open, (int, float)) and not isinstance(low_open, bool):
            low, low_open = low_open, True  # JSON Schema's numeric form
        if isinstance(high_open, (int, float)) and not isinstance(high_open, bool):
            high = high_open
        value = default if low is None else low + (1 if low_open else 0)
        return value if high is None else min(value, high)

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        sample = schema.get("example")
        seeded = str(uuid.UUID(int=self.seed % (1 << 128), version=4))
        if fmt == "uuid" or (isinstance(sample, str) and _UUID.match(sample)):
            return seeded  # ids vary with the seed, even where the spec types them as text
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        low, high = int(schema.get("minLength", 1)), schema.get("maxLength")
        if isinstance(sample, str) and sample and not spec_schemas.problem(
                sample, schema, self.defs):
            return sample  # the spec's own value: a currency, an amount, a language
        pattern = schema.get("pattern")
        if pattern is not None:
            for candidate in _PATTERN_CANDIDATES:
                if re.search(pattern, candidate) and low <= len(candidate) <= (high or 10**6):
                    return candidate
        text = f"emulator-{self.seed % 10**6:06d}"
        text = (text * (low // len(text) + 1))[:max(low, len(text))]
        return text if high is None else text[:int(high)]


def success_body(operation: Operation, seed: int) -> Any | None:
    """JSON data for a success answer to ``operation`` (``None``: no body)."""
    found = example(operation)
    if found is not None:
        return found
    declared, schema = spec_schemas.response_schema(operation)
    if schema is None:
        # a JSON answer the spec gives no schema for: an empty object
        return {} if declared or operation.response_media_type is not None else None
    return instance(schema, stable_seed(seed, operation.method, operation.path))
