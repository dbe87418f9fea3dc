"""What every generated operation shares (hand-written): sending through the client, parsing
the result, and raw access (``with_raw_response``).

Generated methods only check and place their arguments; the request goes through
:meth:`AllegroClient.request_raw`, so throttling, retries, auth, the scope checks and the
error mapping apply to every operation exactly as to hand-written calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeGuard, TypeVar, cast, overload

import pydantic
from typing_extensions import ParamSpec, Required, TypedDict, Unpack

from allegro_async._http import Response
from allegro_async._options import CallOptions
from allegro_async._response import (
    VALIDATION_FAILURES,
    APIResponse,
    _decode_json,
    json_invalid,
    parse_as,
    validate_bytes,
)
from allegro_async.api import _files, _lenient
from allegro_async.errors import InvalidArgumentError, ResponseValidationError

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

T = TypeVar("T")
U = TypeVar("U")
P = ParamSpec("P")

#: How a result is made from the response: a model class, ``bytes`` for a binary body,
#: ``None`` where the spec declares no body, or ``{media type: one of these}`` where the
#: answer's type decides (file operations, and operations answering JSON or a file).
ResultType = Any

#: ``True``: a JSON body that does not match its model raises
#: :class:`~allegro_async.errors.ResponseValidationError` instead of being kept unvalidated.
#: For tests (the project's own suite sets it); see :func:`strict_parsing`.
STRICT_PARSING = False


@contextmanager
def strict_parsing(enabled: bool = True) -> Iterator[None]:
    """Within the block, parse answers strictly (``enabled=True``) or leniently; restores
    the previous setting after. Meant for tests: ``with strict_parsing(): ...``."""
    global STRICT_PARSING
    before, STRICT_PARSING = STRICT_PARSING, enabled
    try:
        yield
    finally:
        STRICT_PARSING = before


def parse_result(response: Response, cast_to: ResultType, *, optional: bool = False) -> Any:
    """The typed result of a response: ``bytes``, ``None`` or the model.

    A file answer is checked against the declared media types (``cast_to`` as a mapping);
    a web page, an error body, an undeclared type or a body still encoded with a coding the
    client cannot decode raises :class:`~allegro_async.errors.UnexpectedContentError`. A JSON
    body that is not JSON, or whose top level has the wrong type, raises
    :class:`~allegro_async.errors.ResponseValidationError`; one that fails its model deeper
    down is kept (see :mod:`allegro_async.api._lenient`) unless :data:`STRICT_PARSING`.
    """
    if cast_to is None:
        return None
    if optional and not response.content:
        return None  # the spec declares an empty 2xx beside the one with a body
    _files.check_encoding(response)
    if isinstance(cast_to, Mapping):
        cast_to = _files.pick(response, cast_to)
    if cast_to is bytes:
        return response.content
    content = response.content
    if content and not content.isspace():
        try:  # the happy path: one pass of pydantic-core's JSON parser over the bytes
            return validate_bytes(content, cast_to)
        except pydantic.ValidationError as exc:
            if not STRICT_PARSING and _is_model(cast_to) and not json_invalid(exc):
                errors = exc.errors(include_url=False, include_input=False)
                if not _lenient.top_level_mismatch(errors):
                    _lenient.warn_once(cast_to, errors)
                    return _lenient.build(cast_to, _decode_json(response), validated=False)
        except VALIDATION_FAILURES:
            pass  # parse_as, on the decoded body, says what is wrong
    data = _decode_json(response)
    trace_id = response.headers.get("trace-id")
    if data is None and not optional:
        raise ResponseValidationError(
            f"{response.request.method} {response.request.url.path}: expected a body, got none",
            trace_id=trace_id,
        )
    if not STRICT_PARSING and _is_model(cast_to):
        # text pydantic's parser refused but json.loads reads (NaN): the same policy
        try:
            return cast_to.model_validate(data)
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if not _lenient.top_level_mismatch(errors):
                _lenient.warn_once(cast_to, errors)
                return _lenient.build(cast_to, data, validated=False)
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError):
            pass  # parse_as says what is wrong
    return parse_as(data, cast_to, trace_id=trace_id)


def _is_model(cast_to: Any) -> TypeGuard[type[pydantic.BaseModel]]:
    return isinstance(cast_to, type) and issubclass(cast_to, pydantic.BaseModel)


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


class _Request(TypedDict, total=False):
    """What a generated method hands :meth:`Area._send` besides the result type."""

    params: Mapping[str, Any]
    headers: Mapping[str, str | None]
    json: Any
    content: bytes | None
    media_type: Required[str]
    content_type: str | None
    upload: bool
    options: CallOptions


class Area:
    """Base of each generated area (``client.api.order_management``, ...)."""

    __slots__ = ("_client", "_raw")

    def __init__(self, client: AllegroClient, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{' (raw)' if self._raw else ''}>"

    @overload
    async def _send(self, method: str, path: str, cast_to: None,
                    **request: Unpack[_Request]) -> None: ...
    @overload
    async def _send(self, method: str, path: str, cast_to: type[T] | Mapping[str, type[T]], *,
                    optional: Literal[True], **request: Unpack[_Request]) -> T | None: ...
    @overload
    async def _send(self, method: str, path: str, cast_to: type[T] | Mapping[str, type[T]], *,
                    optional: Literal[False] = False, **request: Unpack[_Request]) -> T: ...
    async def _send(
        self,
        method: str,
        path: str,
        cast_to: ResultType,
        *,
        optional: bool = False,
        **request: Unpack[_Request],
    ) -> Any:
        """Send one operation's request through the client and make its result (in raw
        mode, its :class:`TypedAPIResponse`, which the raw twin's type says)."""
        content = request.get("content")
        if content is not None and not isinstance(content, (bytes, bytearray, memoryview)):
            raise InvalidArgumentError(
                "body", f"expected the file's bytes, got {type(content).__name__}",
                "read the file in binary mode: body=path.read_bytes()",
            )
        options: CallOptions = request.get("options") or {}
        _check_options(options)
        sent = _merge(request.get("headers"), options.get("extra_headers"), fold_case=True)
        content_type = request.get("content_type")
        if content_type is not None:
            sent["Content-Type"] = content_type
        params = _merge(request.get("params"), _extra_query(options.get("extra_query")))
        upload = request.get("upload", False)
        target = self._client.environment.upload_url + path if upload else path
        passed: dict[str, Any] = {}
        if "timeout" in options:
            passed["timeout"] = options["timeout"]
        if "max_retries" in options:  # only when given: the client takes it from then on
            passed["max_retries"] = options["max_retries"]
        raw = await self._client.request_raw(
            method,
            target,
            params=params or None,
            headers=sent or None,
            json=request.get("json"),
            content=bytes(content) if content is not None else None,
            media_type=request["media_type"],
            **passed,
        )
        if self._raw:
            return TypedAPIResponse(raw.http_response, cast_to, optional)
        return parse_result(raw.http_response, cast_to, optional=optional)


#: The per-call options (:class:`CallOptions`); any other keyword is a mistake.
_OPTIONS = CallOptions.__optional_keys__ | CallOptions.__required_keys__


def _check_options(options: Mapping[str, Any]) -> None:
    """Refuse, before anything is sent, a keyword that is neither a parameter of the method
    nor a per-call option (a typo would otherwise be dropped silently), and option values
    of the wrong kind."""
    for name in options:
        if name not in _OPTIONS:
            raise InvalidArgumentError(
                name, "is neither a parameter of this method nor a per-call option",
                "check the spelling against the method's signature; the per-call options are "
                + ", ".join(sorted(_OPTIONS)))
    headers = options.get("extra_headers") or {}
    for name, value in headers.items():
        if not isinstance(name, str) or not (value is None or isinstance(value, str)):
            raise InvalidArgumentError(
                "extra_headers", f"{name!r} has a {type(value).__name__} value",
                "give each header as text, or None to leave it out")
    retries = options.get("max_retries")
    if "max_retries" in options and (
            isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
        raise InvalidArgumentError("max_retries", f"{retries!r} is not a number of retries",
                                   "pass an int >= 0 (0: never retry)")


def _merge(own: Mapping[str, Any] | None, extra: Mapping[str, Any] | None, *,
           fold_case: bool = False) -> dict[str, Any]:
    """``own`` with ``extra`` laid over it (header names compared without case, query names
    as they are); ``None`` values leave a name out."""
    out: dict[str, Any] = {k: v for k, v in (own or {}).items()}
    for name, value in (extra or {}).items():
        for key in [k for k in out if (k.lower() == name.lower() if fold_case else k == name)]:
            del out[key]
        out[name] = value
    return {k: v for k, v in out.items() if v is not None}


def _extra_query(extra: Mapping[str, object] | None) -> dict[str, Any] | None:
    """``extra_query`` values as the argument layer writes every query value."""
    if not extra:
        return None
    from allegro_async._args import query_value

    return {k: query_value(v, f"extra_query[{k!r}]", number=True) for k, v in extra.items()}


def header_value(value: object, field: str) -> str | None:
    """A header parameter as text (``None`` leaves it out)."""
    from allegro_async._args import query_value

    out = query_value(value, field)
    return None if out is None else str(out)


class _LazyModule:
    """A module imported when one of its names is first read (module names it, repr shows)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """The module ``name``, imported on first attribute access: what the generated areas
    name only in annotations (``typing.get_type_hints`` still resolves them)."""
    return _LazyModule(name)
