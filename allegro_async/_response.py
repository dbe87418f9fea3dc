"""The raw side of a call: status, headers, trace id, and the body parsed on demand."""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload

import pydantic

from allegro_async._http import Response
from allegro_async._redact import scrub
from allegro_async.errors import ResponseValidationError

T = TypeVar("T")


def _decode_json(response: Response) -> Any:
    content = response.content
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # scrubbed before the cut: a secret straddling the cut would no longer be recognised
        excerpt = " ".join(scrub(content[:4096].decode("utf-8", "replace")).split())[:120]
        raise ResponseValidationError(
            f"{response.request.method} {response.request.url.path}: expected JSON, got "
            f"{response.headers.get('content-type', 'no content type')}: {excerpt!r}",
            trace_id=response.headers.get("trace-id"),
        ) from exc


_adapters: dict[Any, pydantic.TypeAdapter[Any]] = {}


def parse_as(data: Any, cast_to: type[T] | Any, *, trace_id: str | None = None) -> T:
    """Validate decoded JSON as ``cast_to`` (a pydantic model or any type pydantic accepts).

    Every 2xx body a service reads goes through here, so whatever its shape (``null``, a
    list, a string, a mistyped or missing field) the only error is
    :class:`~allegro_async.errors.ResponseValidationError`, its ``body`` scrubbed of secrets.
    """
    name = getattr(cast_to, "__name__", str(cast_to))
    try:
        if isinstance(cast_to, type) and issubclass(cast_to, pydantic.BaseModel):
            return cast_to.model_validate(data)  # type: ignore[return-value]
        adapter = _adapters.get(cast_to)
        if adapter is None:
            adapter = _adapters[cast_to] = pydantic.TypeAdapter(cast_to)
        return adapter.validate_python(data)  # type: ignore[no-any-return]
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        location = ".".join(str(part) for part in first["loc"]) or "the body"
        message = (f"response does not match {name}: {exc.error_count()} problem(s), first: "
                   f"{location}: {first['msg']}")
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        # a validator that met a shape it did not expect; not a pydantic error, still the body
        message = f"response does not match {name}: {type(exc).__name__}"
    raise ResponseValidationError(message, body=data, trace_id=trace_id) from None


class APIResponse:
    """A successful response, for when headers matter (``Location``, ``Retry-After``,
    ``trace-id``) or the body is parsed later."""

    __slots__ = ("http_response",)

    def __init__(self, http_response: Response) -> None:
        self.http_response = http_response

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self.http_response.status_code

    @property
    def headers(self) -> Any:
        """The response headers (case-insensitive)."""
        return self.http_response.headers

    @property
    def trace_id(self) -> str | None:
        """Allegro's ``trace-id`` header (A7), the number support asks for."""
        trace: str | None = self.http_response.headers.get("trace-id")
        return trace

    def json(self) -> Any:
        """The body as JSON (``None`` when empty)."""
        return _decode_json(self.http_response)

    @overload
    def parse(self) -> Any: ...
    @overload
    def parse(self, cast_to: type[T]) -> T: ...
    def parse(self, cast_to: Any = None) -> Any:
        """The body as JSON, or validated as ``cast_to``."""
        data = self.json()
        if cast_to is None:
            return data
        return parse_as(data, cast_to, trace_id=self.trace_id)

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<APIResponse {request.method} {request.url.path} {self.status_code}>"
