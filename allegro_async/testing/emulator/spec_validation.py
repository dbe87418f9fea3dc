"""One validation path for every emulator route the spec describes, stateful or not.

Before a route runs, :func:`validated` checks the request as Allegro does, in Allegro's order:
the token (401, A6/S8), the seller and scope (403, S7), the path, query and header parameters
(400 when malformed: a wrong type or format, a value outside the enum, a missing required one;
422 when a number is out of range), the Content-Type (415, A11) and the body against the
spec's own schema (:mod:`.spec_rules`: limits, patterns, formats, nulls) and the generated
request model (422). Each refusal then answers with a status the operation documents for it
(:mod:`.refusals`), in the A7 ``errors[]`` shape the operation declares.

The route then reads a body holding only the fields the model knows: Allegro ignores unknown
fields, so they must never be stored and come back in a later GET.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from allegro_async.api._operation import Operation, Param
from allegro_async.testing.emulator import spec_index, spec_rules, spec_schemas
from allegro_async.testing.emulator.http import ApiError, OAuthError, principal, require_user

Endpoint = Callable[[Request], Awaitable[Response]]

#: Headers the front door and the Content-Type check handle (A11), not the parameter check.
_NEGOTIATED = frozenset({"accept", "content-type", "authorization"})
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_INT_BOUNDS = {"int32": 2**31, "int64": 2**63}
_JSON_TYPE = re.compile(r"application/(.+\+)?json")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?",
                        re.IGNORECASE)


# Every field of these errors is a string: some areas' specs (shipment management) declare
# ``details`` and ``path`` as non-nullable strings.
def param_error(name: str, message: str, refusal: str = "param") -> ApiError:
    """The 400 Allegro answers to a malformed parameter (``refusal="path"`` for a path
    parameter: the resource's 404 where the operation documents one)."""
    return ApiError(400, "VALIDATION_ERROR", f"{name}: {message}", path=name,
                    details="Invalid request parameter", refusal=refusal)


def range_error(name: str, message: str) -> ApiError:
    """The 422 Allegro answers to a well-formed parameter outside its allowed range."""
    return ApiError(422, "VALIDATION_ERROR", f"{name}: {message}", path=name,
                    details="Request parameter out of range", refusal="range")


def body_error(message: str, path: str | None = None) -> ApiError:
    """The 422 Allegro answers to a body breaking its schema."""
    return ApiError(422, "VALIDATION_ERROR", message, path=path or "",
                    details="Invalid request body", refusal="body")


def check_value(param: Param, raw: str) -> None:
    """One wire value of ``param`` (an array's item for arrays); raises the 400/422."""
    try:
        _check_value(param, raw)
    except ApiError as exc:
        if param.location == "path" and exc.refusal == "param":
            exc.refusal = "path"
        raise


def _check_value(param: Param, raw: str) -> None:
    kind = param.items_type if param.type == "array" else param.type
    name = param.name
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):
            raise param_error(name, f"{raw!r} is not an integer")
        number: float = int(raw)
    elif kind == "number":
        if not _NUMBER.fullmatch(raw):
            raise param_error(name, f"{raw!r} is not a number")
        number = float(raw)
    elif kind == "boolean":
        if raw not in ("true", "false"):
            raise param_error(name, f"{raw!r} is not true or false")
        return
    else:
        if param.enum is not None and raw not in param.enum:
            raise param_error(name, f"{raw!r} is not one of {', '.join(param.enum)}")
        _check_format(param, raw)
        return
    if param.enum is not None and raw not in param.enum:
        raise param_error(name, f"{raw!r} is not one of {', '.join(param.enum)}")
    bound = _INT_BOUNDS.get(param.format or "")
    if kind == "integer" and bound is not None and not -bound <= number < bound:
        raise range_error(name, f"does not fit {param.format}")
    if param.minimum is not None and number < param.minimum:
        raise range_error(name, f"must be greater than or equal to {param.minimum:g}")
    if param.maximum is not None and number > param.maximum:
        raise range_error(name, f"must be less than or equal to {param.maximum:g}")


def _check_format(param: Param, raw: str) -> None:
    # A malformed uuid in a path is the resource's 404 where the operation documents one
    # (check_value marks path refusals so).
    form = (param.format or "").lower()
    if form == "date-time":
        try:
            _dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise param_error(param.name, f"{raw!r} is not an ISO 8601 date-time") from None
        if not _DATE_TIME.fullmatch(raw):
            raise param_error(param.name, f"{raw!r} is not an ISO 8601 date-time")
    elif form == "uuid" and not _UUID.fullmatch(raw):
        raise param_error(param.name, f"{raw!r} is not a UUID")


def check_params(operation: Operation, request: Request) -> None:
    """The path, query and header parameters of ``request`` against ``operation``."""
    query = request.query_params
    for param in operation.params:
        if param.location == "path":
            values = [str(request.path_params.get(param.name, ""))]
        elif param.location == "query":
            values = query.getlist(param.name)
        else:
            if param.name.lower() in _NEGOTIATED:
                continue
            found = request.headers.get(param.name)
            values = [] if found is None else [found]
        if param.type == "array" and param.location == "query":
            values = [v for value in values for v in value.split(",")]
        if not values:
            if param.required:
                raise param_error(param.name, "is required")
            continue
        if param.type not in ("array", "object") and len(values) > 1:
            raise param_error(param.name, "may be given only once")
        if param.type == "object":
            continue  # deep-object filters: left to the route
        extra = spec_rules.param_schema(operation.operation_id, param.location, param.name)
        if values == [""] and param.type in ("string", "array") and _may_be_empty(param, extra):
            continue  # an empty string is a string where nothing asks for more
        for value in values:
            check_value(param, value)
        if extra is not None:
            _check_extra(param, extra, values)


def _may_be_empty(param: Param, extra: Mapping[str, Any] | None) -> bool:
    if param.enum is not None and "" not in param.enum:
        return False
    if param.format in ("uuid", "date-time") or param.type == "array":
        return param.type == "array" and param.enum is None and param.items_type == "string"
    return extra is None or not extra.get("minLength")


def _check_extra(param: Param, schema: Mapping[str, Any], values: list[str]) -> None:
    """What the index does not keep: lengths, patterns, a date format, an array's size."""
    refusal = "path" if param.location == "path" else "param"
    if param.type == "array":
        if len(values) > schema.get("maxItems", len(values)) or len(values) < schema.get(
                "minItems", 0):
            raise range_error(param.name, f"{len(values)} values are out of bounds")
        item = schema.get("items") or {}
        found = next((p for v in values if (p := spec_schemas.problem(
            v, {k: w for k, w in item.items() if k != "type"}, spec_rules.definitions()))),
            None)
    elif param.type == "string":
        found = spec_schemas.problem(values[0], schema, spec_rules.definitions())
    else:
        return
    if found is not None:
        raise param_error(param.name, found.removeprefix("$: "), refusal)


def _base_type(header: str) -> str:
    return header.split(";", 1)[0].replace(" ", "").strip().lower()


def check_content_type(operation: Operation, request: Request, body: bytes) -> None:
    """A11: a body in a media type the operation does not accept is a 415."""
    if not operation.request_media_types or not body:
        return
    sent = _base_type(request.headers.get("content-type", ""))
    accepted = {_base_type(t) for t in operation.request_media_types}
    if sent not in accepted and not ("*/*" in accepted and sent):
        raise ApiError(
            415, "UnsupportedMediaTypeException",
            f"Content type '{sent or 'none'}' not supported; use {', '.join(sorted(accepted))}",
            path="", details="Unsupported Content-Type", refusal="media",
        )


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_body(operation: Operation, body: bytes, media_type: str = "") -> bytes:
    """The body validated against the spec's schema for ``media_type`` (the Content-Type
    sent) and the request model, as bytes holding only known fields."""
    if operation.request_model is None:
        if operation.body_required and not body:
            raise body_error("The request body is required")
        return body
    json_types = [t for t in operation.request_media_types if _JSON_TYPE.fullmatch(_base_type(t))]
    if operation.request_media_types and not json_types:
        if not body:  # a binary upload without the file
            raise body_error("The request body is required")
        return body  # a binary upload: nothing to validate as JSON
    if not body.strip():
        if not operation.body_required:
            return b""  # the spec makes this body optional (e.g. POST /payments/refunds)
        raise body_error("The request body is required")
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(400, "JsonParseException", "Invalid JSON in request body", path="",
                       details="Malformed JSON", refusal="json") from None
    sent = _base_type(media_type)
    _check_body_schema(operation, sent if sent in map(_base_type, json_types) else
                       _base_type(json_types[0]) if json_types else "", data)
    model = spec_index.model(operation.request_model)
    try:
        value = model.model_validate_json(body, strict=_strict(model))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _location(first["loc"])
        raise body_error(f"{where or 'body'}: {first['msg']}", where) from None
    unknown = unknown_enum(value)
    if unknown is not None:
        where, text = unknown
        raise body_error(f"{where or 'body'}: {text!r} is not an allowed value", where)
    return json.dumps(known_only(data, value), separators=(",", ":")).encode()


def _check_body_schema(operation: Operation, media_type: str, data: Any) -> None:
    """The body against the spec's own request schema, a tagged object against the variant
    its tag names: what the generated model does not hold (the request-side limits, patterns,
    formats, nulls where the spec admits none)."""
    schema = spec_rules.body_schema(operation.operation_id, media_type)
    if schema is None:
        return
    found = spec_schemas.problem(data, schema, spec_rules.definitions(), tagged=True)
    if found is not None:
        where = found.split(":", 1)[0].removeprefix("$").lstrip(".")
        raise body_error(f"{where or 'body'}: {found.split(': ', 1)[-1]}", where)


def unknown_enum(value: Any, where: str = "") -> tuple[str, str] | None:
    """The first enum value Allegro would not accept, as (path, value).

    The generated enums accept values they do not know so that answers with new values still
    parse; a request is held to the spec's list, as Allegro holds it.
    """
    if isinstance(value, Enum):
        if value.value not in type(value)._value2member_map_:
            return where, str(value.value)
        return None
    if isinstance(value, RootModel):
        return unknown_enum(value.root, where)
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            found = unknown_enum(getattr(value, name), _join(where, info.alias or name))
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = unknown_enum(item, f"{where}[{i}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = unknown_enum(item, _join(where, str(key)))
            if found is not None:
                return found
    return None


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _strict(model: type[BaseModel]) -> bool:
    # JSON has no "1" for 1: strict validation matches the spec's types without coercion;
    # a model that needs lax mode says so in its config.
    return model.model_config.get("strict") is not False


def known_only(raw: Any, value: Any) -> Any:
    """``raw`` (parsed JSON) without the keys its validated form ``value`` does not know.

    Values are kept as they were sent (no re-serialisation), so amounts and dates keep their
    spelling; only unknown keys (a model's ``extra``) are dropped, at every depth.
    """
    if isinstance(value, RootModel):
        return known_only(raw, value.root)
    if isinstance(value, BaseModel) and isinstance(raw, dict):
        fields = type(value).model_fields
        names: dict[str, str] = {}
        for name, info in fields.items():
            names[name] = name
            if info.alias:
                names[info.alias] = name
        return {key: known_only(item, getattr(value, names[key]))
                for key, item in raw.items() if key in names}
    if isinstance(value, (list, tuple)) and isinstance(raw, list) and len(raw) == len(value):
        return [known_only(r, v) for r, v in zip(raw, value, strict=True)]
    if isinstance(value, dict) and isinstance(raw, dict):
        return {key: known_only(item, value.get(key)) for key, item in raw.items()}
    return raw


def check_caller(operation: Operation, request: Request) -> None:
    """401 without a valid token; 403 for an app token where a seller's is needed (A6) or a
    token without the operation's scope (S7)."""
    who = principal(request)
    if not operation.app_token_allowed:
        who = require_user(request)
    if (who.user_id is not None and operation.scopes
            and not set(operation.scopes) & set(who.scopes)):
        raise OAuthError(403, "insufficient_scope",
                         f"Insufficient scope for this resource: needs {operation.scopes[0]}")


async def checked(operation: Operation, request: Request) -> Request:
    """Run every check; a request whose body the route may read (known fields only)."""
    check_caller(operation, request)
    check_params(operation, request)
    body = await request.body()
    check_content_type(operation, request, body)
    clean = check_body(operation, body, request.headers.get("content-type", ""))
    return _with_body(request, clean)


def _with_body(request: Request, body: bytes) -> Request:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return Request(request.scope, receive)


def validated(endpoint: Endpoint, operation: Operation) -> Endpoint:
    """``endpoint`` behind the checks of ``operation``."""

    async def run(request: Request) -> Response:
        return await endpoint(await checked(operation, request))

    run.__name__ = getattr(endpoint, "__name__", "endpoint")
    run.__doc__ = endpoint.__doc__
    return run
