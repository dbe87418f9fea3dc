"""The emulator's view of the generated spec index (:data:`allegro_async.api.OPERATIONS`).

The spec file is not shipped, so the emulator learns every operation (parameters, media
types, scopes, models, examples) from the typed layer generated from it. Lookups by
``(method, template)`` and model resolution are cached: they run on every request.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from pydantic import BaseModel

from allegro_async.api._operation import Operation


def operations() -> Mapping[str, Operation]:
    """Every operation of the spec, keyed by ``operationId``."""
    return _operations()


@functools.lru_cache(maxsize=1)
def _operations() -> Mapping[str, Operation]:
    # The generated index is imported lazily: it is large, and most emulators never need it
    # before their first request.
    from allegro_async.api import OPERATIONS

    return OPERATIONS


@functools.lru_cache(maxsize=1)
def _by_route() -> dict[tuple[str, str], Operation]:
    return {(op.method, op.path): op for op in operations().values()}


def operation_at(method: str, template: str) -> Operation | None:
    """The operation served at ``METHOD template`` (the spec's path template), or ``None``."""
    return _by_route().get((method.upper(), template))


@functools.lru_cache(maxsize=1024)
def binary_media_types(method: str, template: str) -> tuple[str, ...]:
    """The non-JSON media types an operation answers in (a PDF label, a CSV report), which
    the front door accepts besides its vnd types (A11); ``*/*`` for any file."""
    operation = operation_at(method, template)
    if operation is None:
        return ()
    found = [operation.response_media_type or ""]
    found += [v for p in operation.params
              if p.location == "header" and p.name.lower() == "accept" for v in p.enum or ()]
    return tuple(dict.fromkeys(t.replace(" ", "") for t in found
                               if t and not t.replace(" ", "").endswith("+json")))


@functools.cache
def model(dotted: str) -> type[BaseModel]:
    """The generated model named ``dotted`` (as in :attr:`Operation.request_model`)."""
    from allegro_async.api import resolve_model

    return resolve_model(dotted)
