"""Deterministic, schema-valid success bodies for operations the emulator does not model.

The spec's own example where it has one (and it fits the response model), else a minimal
instance of the generated response model (its required fields), seeded from a stable hash of
the emulator's seed, the method and the path template: the same answer in every run and
process (``hash()`` is salted per process, so it is not used). Binary media types get small
valid files.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from typing import Any

from pydantic import BaseModel, ValidationError

from allegro_async.api._operation import Operation
from allegro_async.testing.emulator import spec_index

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
    """The spec's success example, when it fits the response model; else ``None``."""
    if operation.example is None:
        return None
    try:
        data = json.loads(operation.example)
    except ValueError:
        return None
    if isinstance(data, str):
        return None  # the example of a text/csv variant, not of the JSON answer
    if operation.response_model is not None:
        try:
            # strict: examples that spell the spec's strings as numbers must not be served
            spec_index.model(operation.response_model).model_validate_json(
                operation.example, strict=True)
        except ValidationError:
            return None  # examples drift from their schemas; a built body is safer
    return data


def built(model: type[BaseModel], seed: int) -> Any:
    """A valid instance of ``model`` as JSON data by alias: its required fields only, with
    values that meet their constraints (enum, length, range, format, pattern) and vary with
    ``seed``. Validated against ``model`` in :func:`success_body`'s callers' tests."""
    schema = _schema(model)
    return _Builder(schema.get("$defs", {}), seed).value(schema, 0)


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


class _Builder:
    """A minimal instance of a JSON schema (pydantic's): required properties, the first of
    each choice, the least items a list may have. Deterministic for one seed; no randomness,
    so it is fast and never loops."""

    def __init__(self, defs: dict[str, Any], seed: int) -> None:
        self.defs = defs
        self.seed = seed

    def value(self, schema: dict[str, Any], depth: int) -> Any:
        if "$ref" in schema:
            return self.value(self.defs[schema["$ref"].rsplit("/", 1)[-1]], depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        mapping = (schema.get("discriminator") or {}).get("mapping")
        if mapping:  # a tagged union: the first tag, and the variant it names
            tag, ref = next(iter(mapping.items()))
            found = self.value({"$ref": ref}, depth + 1)
            if isinstance(found, dict):
                found[schema["discriminator"]["propertyName"]] = tag
            return found
        for key in ("anyOf", "oneOf"):
            if key in schema:
                choices = [c for c in schema[key] if c.get("type") != "null"] or schema[key]
                return self.value(choices[0], depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                found = self.value(part, depth + 1)
                if isinstance(found, dict):
                    merged.update(found)
            return merged
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {name: self.value(props[name], depth + 1)
                    for name in schema.get("required", ()) if name in props}
        if kind == "array":
            count = int(schema.get("minItems", 0))
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

    @staticmethod
    def _number(schema: dict[str, Any], default: float) -> float:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        value = default if low is None else low + (1 if "exclusiveMinimum" in schema else 0)
        return value if high is None else min(value, high)

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.UUID(int=self.seed % (1 << 128), version=4))
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        low, high = int(schema.get("minLength", 1)), schema.get("maxLength")
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
    if operation.response_model is None:
        # a JSON answer the generated layer has no model for: an empty object
        return {} if operation.response_media_type is not None else None
    model = spec_index.model(operation.response_model)
    return built(model, stable_seed(seed, operation.method, operation.path))
