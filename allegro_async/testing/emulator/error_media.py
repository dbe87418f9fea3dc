"""Operations whose spec declares their errors as plain ``application/json`` (A7, A11).

Allegro answers most errors in the vnd media type the client accepted; the fulfillment,
responsible-person and compatibility areas answer them as ``application/json``, and the emulator
does the same. The spec is not shipped, so the table is derived once and committed;
``tests/emulator/test_spec_error_media.py`` checks it against the spec when it is present.
"""

from __future__ import annotations

from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")

#: "METHOD /template" of every operation whose 4xx answers (401 aside: the OAuth shape) are
#: declared only as application/json.
PLAIN_JSON_ERRORS: frozenset[str] = frozenset({
    # -- derived: allegro_async.testing.emulator.error_media.derive(spec) --
    "GET /fulfillment/advance-ship-notices",
    "GET /fulfillment/available-products",
    "GET /fulfillment/stock",
    "GET /fulfillment/submit-commands/{commandId}",
    "GET /sale/category-events",
    "GET /sale/category-parameters-scheduled-changes",
    "GET /sale/compatibility-list-suggestions",
    "GET /sale/compatible-products",
    "GET /sale/compatible-products/groups",
    "GET /sale/offer-events",
    "GET /sale/responsible-persons",
    "GET /sale/responsible-producers",
    "GET /sale/responsible-producers/{id}",
    "POST /fulfillment/advance-ship-notices",
    "POST /fulfillment/tax-id",
    "POST /sale/responsible-persons",
    "POST /sale/responsible-producers",
    "PUT /fulfillment/advance-ship-notices/{id}",
    "PUT /fulfillment/advance-ship-notices/{id}/submitted",
    "PUT /fulfillment/removal/preferences",
    "PUT /fulfillment/submit-commands/{commandId}",
    "PUT /fulfillment/tax-id",
    "PUT /sale/responsible-persons/{id}",
    "PUT /sale/responsible-producers/{id}",
})


def error_media_type(method: str, template: str | None) -> str | None:
    """``application/json`` where the operation's errors use it, else ``None`` (the vnd type
    chosen by the front door)."""
    if template is not None and f"{method} {template}" in PLAIN_JSON_ERRORS:
        return "application/json"
    return None


def derive(spec: dict[str, Any]) -> frozenset[str]:
    """The :data:`PLAIN_JSON_ERRORS` of one parsed spec."""
    found = set()
    for path, operations in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            types: set[str] = set()
            for status, response in operation.get("responses", {}).items():
                if status.startswith("4") and status != "401":
                    types.update((_resolve(spec, response).get("content") or {}).keys())
            if "application/json" in types and not any("vnd.allegro" in t for t in types):
                found.add(f"{method.upper()} {path}")
    return frozenset(found)


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node
