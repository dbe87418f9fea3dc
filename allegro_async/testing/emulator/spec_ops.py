"""Every spec operation gets a route: the stateful areas' own, or one driven by the spec.

:func:`mount` puts every route the spec describes behind the one validation path
(:mod:`.spec_validation`), and adds a route for each operation no area models. Those answer
a valid request with the operation's success status and a deterministic body
(:mod:`.spec_responses`); the CRUD-like areas (:mod:`.crud`) keep per-seller state instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.api._operation import Operation
from allegro_async.testing.emulator import crud, spec_index, spec_responses
from allegro_async.testing.emulator.http import emulator_of, json_response, media_type_of
from allegro_async.testing.emulator.spec_validation import Endpoint, validated


def _specificity(route: BaseRoute) -> tuple[int, ...]:
    # A literal segment must be tried before a parameter in the same place: Starlette takes
    # the first match, and /sale/offers/{offerId} would otherwise swallow
    # /sale/offers/promo-options-commands.
    path = route.path if isinstance(route, Route) else ""
    return tuple(1 if part.startswith("{") else 0 for part in path.strip("/").split("/"))


def mount(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """``routes`` with the spec's checks in front of those the spec describes, plus a
    spec-driven route for every other operation, literal paths before parameters."""
    out: list[BaseRoute] = []
    served: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods:
            methods = sorted(m for m in route.methods if m != "HEAD")
            for method in methods:
                served.add((method, route.path))
            operation = spec_index.operation_at(methods[0], route.path)
            if operation is not None and len(methods) == 1:
                route = Route(route.path, validated(route.endpoint, operation),
                              methods=methods, name=route.name)
        out.append(route)
    for operation in sorted(spec_index.operations().values(), key=lambda o: (o.path, o.method)):
        if (operation.method, operation.path) in served:
            continue
        endpoint = crud.endpoint_for(operation) or _answer(operation)
        out.append(Route(operation.path, validated(endpoint, operation),
                         methods=[operation.method], name=operation.operation_id))
    return sorted(out, key=_specificity)


def _answer(operation: Operation) -> Endpoint:
    async def answer(request: Request) -> Response:
        emulator = emulator_of(request)
        media = operation.response_media_type
        if media is not None and not spec_responses.is_json(media):
            media = _file_type(request, media.replace(" ", ""))
            return Response(spec_responses.binary_body(media), operation.success_status,
                            media_type=media)
        body = _body(operation, emulator.config.seed)
        if body is None:
            return Response(b"", operation.success_status, media_type=media_type_of(request))
        return json_response(request, body, operation.success_status)

    answer.__name__ = f"spec_{operation.operation_id}"
    answer.__doc__ = f"{operation.method} {operation.path}: {operation.summary}"
    return answer


def _file_type(request: Request, declared: str) -> str:
    """The file type to answer in: the one the front door chose from Accept, else the
    declared one; for ``*/*`` (any file) the first concrete type asked for, else a PDF."""
    chosen = str(request.scope.get("allegro.media_type", ""))
    if chosen and not chosen.endswith("+json") and chosen != "*/*":
        return chosen
    if declared != "*/*":
        return declared
    for part in request.headers.get("accept", "").split(","):
        kind = part.split(";", 1)[0].strip()
        if kind and "*" not in kind and not kind.endswith("+json"):
            return kind
    return "application/pdf"


_BODIES: dict[tuple[str, int], Any] = {}


def _body(operation: Operation, seed: int) -> Any | None:
    # Building a large model takes a tenth of a second: once per operation and seed.
    key = (operation.operation_id, seed)
    if key not in _BODIES:
        _BODIES[key] = spec_responses.success_body(operation, seed)
    return _BODIES[key]
