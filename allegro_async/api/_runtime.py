"""What every generated operation shares (hand-written): sending through the client, parsing
the result, and raw access (``with_raw_response``).

Generated methods only check and place their arguments; the request goes through
:meth:`AllegroClient.request_raw`, so throttling, retries, auth, the scope checks and the
error mapping apply to every operation exactly as to hand-written calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from typing_extensions import ParamSpec

from allegro_async._http import Response
from allegro_async._response import APIResponse, _decode_json, parse_as
from allegro_async.errors import InvalidArgumentError, ResponseValidationError

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

T = TypeVar("T")
U = TypeVar("U")
P = ParamSpec("P")

#: How a result is made from the response: a model class, ``bytes`` for a binary body,
#: ``None`` where the spec declares no body, or a mapping from media type to model class
#: where the spec gives each media type its own schema (a beta version beside the public).
ResultType = Any


def parse_result(response: Response, cast_to: ResultType, *, optional: bool = False) -> Any:
    """The typed result of a response: ``bytes``, ``None`` or the validated model (the one
    of the response's Content-Type where ``cast_to`` maps media types to models)."""
    if isinstance(cast_to, Mapping):
        media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        by_type = {str(k).lower(): v for k, v in cast_to.items()}
        cast_to = by_type.get(media, next(iter(cast_to.values())))
    if cast_to is bytes:
        return response.content
    if cast_to is None:
        return None
    if optional and not response.content:
        return None  # the spec declares an empty 2xx beside the one with a body
    data = _decode_json(response)
    if data is None and not optional:
        raise ResponseValidationError(
            f"{response.request.method} {response.request.url.path}: expected a body, got none",
            trace_id=response.headers.get("trace-id"),
        )
    return parse_as(data, cast_to, trace_id=response.headers.get("trace-id"))


class TypedAPIResponse(APIResponse, Generic[T]):
    """The raw response of a generated operation: status, headers, ``trace_id``, and
    :meth:`parse` giving the operation's typed result."""

    __slots__ = ("_cast_to", "_optional")

    def __init__(self, http_response: Response, cast_to: ResultType, optional: bool) -> None:
        super().__init__(http_response)
        self._cast_to = cast_to
        self._optional = optional

    @overload
    def parse(self) -> T: ...
    @overload
    def parse(self, cast_to: type[U]) -> U: ...
    def parse(self, cast_to: Any = None) -> Any:
        """The operation's typed result (or the body validated as ``cast_to``)."""
        if cast_to is not None:
            return super().parse(cast_to)
        return parse_result(self.http_response, self._cast_to, optional=self._optional)


def to_raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[TypedAPIResponse[T]]]:
    """Type a raw-mode bound method: same parameters, the raw response as result."""
    return cast("Callable[P, Awaitable[TypedAPIResponse[T]]]", method)


class Area:
    """Base of each generated area (``client.api.order_management``, ...)."""

    __slots__ = ("_client", "_raw")

    def __init__(self, client: AllegroClient, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{' (raw)' if self._raw else ''}>"

    async def _send(
        self,
        method: str,
        path: str,
        cast_to: ResultType,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        json: Any = None,
        content: bytes | None = None,
        media_type: str,
        content_type: str | None = None,
        upload: bool = False,
        optional: bool = False,
    ) -> Any:
        if content is not None and not isinstance(content, (bytes, bytearray, memoryview)):
            raise InvalidArgumentError(
                "body", f"expected the file's bytes, got {type(content).__name__}",
                "read the file in binary mode: body=path.read_bytes()",
            )
        sent: dict[str, str] = {k: v for k, v in (headers or {}).items() if v is not None}
        if content_type is not None:
            sent["Content-Type"] = content_type
        target = self._client.environment.upload_url + path if upload else path
        raw = await self._client.request_raw(
            method,
            target,
            params={k: v for k, v in (params or {}).items() if v is not None} or None,
            headers=sent or None,
            json=json,
            content=bytes(content) if content is not None else None,
            media_type=media_type,
        )
        if self._raw:
            return TypedAPIResponse(raw.http_response, cast_to, optional)
        return parse_result(raw.http_response, cast_to, optional=optional)


def header_value(value: object, field: str) -> str | None:
    """A header parameter as text (``None`` leaves it out)."""
    from allegro_async._args import query_value

    out = query_value(value, field)
    return None if out is None else str(out)
