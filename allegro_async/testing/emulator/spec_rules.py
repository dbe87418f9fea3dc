"""What the spec says about requests and refusals, beyond the generated index.

The index (:data:`allegro_async.api.OPERATIONS`) names each parameter with its type, enum,
bounds and format, but not a string's length or pattern, not the request body's JSON schema,
and not which error statuses an operation documents or in which shape. The emulator needs all
three to refuse what Allegro refuses with the status and body the spec declares, so they are
derived from the spec and committed as ``_spec_rules.json`` (the spec is not shipped), by
``python -m tools.apigen`` with the rest of the generated layer (``tools/apigen/spec_rules.py``
says what it holds); this module only reads it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

_TABLE = "_spec_rules.json"


@functools.lru_cache(maxsize=1)
def table() -> Mapping[str, Any]:
    """The whole table: ``spec`` (version, sha256), ``operations`` and ``schemas``."""
    text = resources.files(__package__).joinpath(_TABLE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def definitions() -> Mapping[str, Any]:
    """The named schemas the table's schemas refer to, by the spec's name."""
    found: Mapping[str, Any] = table()["schemas"]
    return found


def _operation(operation_id: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = table()["operations"].get(operation_id, {})
    return found


def statuses(operation_id: str) -> frozenset[int]:
    """Every status the operation documents."""
    return frozenset(int(s) for s in _operation(operation_id).get("statuses", ()))


def error_content(operation_id: str, status: int) -> Mapping[str, Any] | None:
    """The declared content of an error status, media type to schema (``{}`` where the spec
    declares an answer without a body); ``None`` where it declares no content at all (the
    shape is then Allegro's usual ``errors[]``, A7)."""
    errors: Mapping[str, Any] = _operation(operation_id).get("errors", {})
    found: Mapping[str, Any] | None = errors.get(str(status))
    return found


def param_schema(operation_id: str, location: str, name: str) -> Mapping[str, Any] | None:
    """The schema of one parameter where it holds more than the index (a length, a pattern,
    an item format), else ``None``."""
    found: Mapping[str, Any] | None = _operation(operation_id).get("params", {}).get(
        f"{location}:{name.lower() if location == 'header' else name}")
    return found


def body_schema(operation_id: str, media_type: str) -> Mapping[str, Any] | None:
    """The JSON schema of the request body in ``media_type`` (``None``: none declared)."""
    bodies: Mapping[str, Any] = _operation(operation_id).get("body", {})
    wanted = media_type.replace(" ", "").lower()
    for kind, schema in bodies.items():
        if kind.replace(" ", "").lower() == wanted:
            found: Mapping[str, Any] = schema
            return found
    return None
