"""The status, media type and body of an emulator refusal, as the operation's spec declares them.

A check (:mod:`.spec_validation`) knows what is wrong: a malformed parameter, one out of range,
a body breaking its schema, a media type not accepted. Allegro answers each with a status its
spec documents for the operation, so the refusal takes the first of its preferred statuses the
operation documents (a malformed path id is the resource's 404 where there is one), else the
check's own (400, 422, 415 in Allegro's ``errors[]`` shape, A7).

Every ``errors[]`` answer, a route's too, then takes the operation's declared shape for that
status (:mod:`.spec_rules`): its media type, no body where the spec declares an answer without
one, and strings where the declared error schema does not admit ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from allegro_async.testing.emulator import error_media, spec_index, spec_rules, spec_schemas
from allegro_async.testing.emulator.http import VND_TYPES, ApiError, media_type_of

#: What was refused -> the statuses that may carry it, best first.
PREFERRED: dict[str, tuple[int, ...]] = {
    "path": (404, 400, 422),  # a malformed id names no resource
    "param": (400, 422),
    "range": (422, 400),
    "media": (415, 400, 422),
    "json": (400, 422),
    "body": (422, 400),
}


def operation_id(request: Request) -> str | None:
    """The spec operation a request goes to, or ``None``."""
    template = request.scope.get("allegro.route")
    if not isinstance(template, str):
        return None
    operation = spec_index.operation_at(request.method, template)
    return None if operation is None else operation.operation_id


def status_for(operation_id: str | None, refusal: str | None, status: int) -> int:
    """The status a refusal of kind ``refusal`` answers on ``operation_id``."""
    if operation_id is None or refusal is None:
        return status
    documented = spec_rules.statuses(operation_id)
    for candidate in PREFERRED.get(refusal, ()):
        if candidate in documented:
            return candidate
    return status


def answer(request: Request, error: ApiError) -> Response:
    """The response for ``error`` on this request's operation."""
    op_id = operation_id(request)
    status = status_for(op_id, error.refusal, error.status)
    content = None if op_id is None else spec_rules.error_content(op_id, status)
    if content is not None and not content:
        return Response(b"", status, error.headers)  # declared without a body
    media = _media_type(request, content)
    body = error.body
    if content:
        body = _fitted(body, _schema_for(content, media))
    data = json.dumps(body, separators=(",", ":")).encode()
    return Response(data, status, error.headers, media_type=media)


def _media_type(request: Request, content: Mapping[str, Any] | None) -> str:
    chosen = media_type_of(request)
    if not content:
        plain = error_media.error_media_type(request.method, request.scope.get("allegro.route"))
        if plain is not None:
            return plain
        return chosen if chosen.endswith("+json") else VND_TYPES[0]  # a file was asked for
    declared = [kind.replace(" ", "") for kind in content]
    if chosen in declared:
        return chosen
    for kind in declared:
        if kind in VND_TYPES:
            return kind
    if "application/json" in declared:
        return "application/json"
    return chosen if chosen.endswith("+json") else VND_TYPES[0]  # */*: any JSON will do


def _schema_for(content: Mapping[str, Any], media: str) -> Any:
    for kind, schema in content.items():
        if kind.replace(" ", "") == media:
            return schema
    return next(iter(content.values()), None)


def _fitted(body: dict[str, Any], schema: Any) -> dict[str, Any]:
    """``body``, with ``null`` fields of its errors made strings where the declared schema
    needs strings (some areas declare ``details`` and ``path`` as non-nullable)."""
    defs = spec_rules.definitions()
    if not schema or spec_schemas.problem(body, schema, defs) is None:
        return body
    errors = [{k: ("" if v is None else v) for k, v in item.items()}
              for item in body.get("errors", ())]
    return {**body, "errors": errors}
