"""Every operation of Allegro's spec, typed: the layer generated from the official OpenAPI spec
by ``tools/apigen`` (the modules here other than this one, ``_operation``, ``_base``,
``_runtime``, ``_paging`` and ``_index``, the loader of the generated ``_index.json``, are
generated; do not edit them).

``client.api.<area>.<method>(...)`` calls one operation; :data:`OPERATIONS` describes every
operation by ``operationId``; :func:`resolve_model` imports a model by its dotted name. Nothing
here is imported until used, so ``import allegro_async`` does not pay for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from allegro_async.api._operation import Operation, Param
    from allegro_async.api._paging import OffsetWindowExceeded, Paginator
    from allegro_async.api._root import Api
    from allegro_async.api._runtime import TypedAPIResponse

    OPERATIONS: Mapping[str, Operation]

__all__ = [
    "OPERATIONS",
    "Api",
    "OffsetWindowExceeded",
    "Operation",
    "Paginator",
    "Param",
    "TypedAPIResponse",
    "resolve_model",
]

_LAZY = {
    "OPERATIONS": "allegro_async.api._index",
    # dataclasses cost milliseconds to create, and a call never needs them
    "Operation": "allegro_async.api._operation",
    "Param": "allegro_async.api._operation",
    "Api": "allegro_async.api._root",
    "Paginator": "allegro_async.api._paging",
    "OffsetWindowExceeded": "allegro_async.api._paging",
    "TypedAPIResponse": "allegro_async.api._runtime",
}


def resolve_model(dotted: str) -> type[BaseModel]:
    """The model named ``"<module>.<Class>"`` (as :class:`Operation` spells its
    ``request_model``/``response_model``), imported from its area module on first use."""
    from pydantic import BaseModel

    module, _, name = dotted.rpartition(".")
    if not module or not name:
        raise ValueError(
            f"{dotted!r} is not '<module>.<Class>', e.g. 'order_management.CheckoutForm'"
        )
    model = getattr(importlib.import_module(f"allegro_async.api.models.{module}"), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{dotted} is not a model")
    return model


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'allegro_async.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name == "OPERATIONS":
        from types import MappingProxyType

        value = MappingProxyType(value)
    globals()[name] = value
    return value
