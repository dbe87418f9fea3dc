"""Deterministic, schema-valid success bodies for operations the emulator does not model.

The spec's own example where it has one (and it fits the response model), else an instance of
the generated response model built by polyfactory, seeded from a stable hash of the emulator's
seed, the method and the request path: the same request gets the same answer in every run and
process (``hash()`` is salted per process, so it is not used). Binary media types get small
valid files.
"""

from __future__ import annotations

import hashlib
import json
import random
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
    """Whether answers in ``media_type`` are JSON (vnd types, ``*/*`` and absent ones)."""
    if media_type is None or media_type == "*/*":
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
    if operation.response_model is not None:
        try:
            # strict: examples that spell the spec's strings as numbers must not be served
            spec_index.model(operation.response_model).model_validate_json(
                operation.example, strict=True)
        except ValidationError:
            return None  # examples drift from their schemas; a built body is safer
    return data


def built(model: type[BaseModel], seed: int) -> Any:
    """An instance of ``model`` built from ``seed``, as JSON data by alias."""
    from faker import Faker
    from polyfactory.factories.pydantic_factory import ModelFactory

    # Defaults for optional fields and one item per list: required fields are enough for a
    # valid body, and building every optional field of a large model takes seconds.
    factory = ModelFactory.create_factory(
        model, __use_defaults__=True, __randomize_collection_length__=False,
        __min_collection_length__=1, __max_collection_length__=1,
    )
    factory.__random__ = random.Random(seed)
    faker = Faker()
    faker.seed_instance(seed)
    factory.__faker__ = faker
    instance = factory.build()
    # Optional fields left out rather than sent as null: most of the spec's are not nullable.
    return instance.model_dump(mode="json", by_alias=True, exclude_none=True)


def success_body(operation: Operation, seed: int) -> Any | None:
    """JSON data for a success answer to ``operation`` (``None``: no body)."""
    found = example(operation)
    if found is not None:
        return found
    if operation.response_model is None:
        return None
    model = spec_index.model(operation.response_model)
    return built(model, stable_seed(seed, operation.method, operation.path))
