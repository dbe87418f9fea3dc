"""The raw side of a call: status, headers, trace id, and the body parsed on demand."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any, TypeVar, overload

import pydantic

from allegro_async._error_body import MAX_ERROR_BODY_BYTES
from allegro_async._http import (
    AsyncBaseTransport,
    AsyncByteStream,
    Headers,
    Request,
    Response,
    httpx,
)
from allegro_async._redact import scrub
from allegro_async.errors import (
    InvalidArgumentError,
    ResponseTooLargeError,
    ResponseValidationError,
)

T = TypeVar("T")


def _decode_json(response: Response) -> Any:
    content = response.content
    if not content or content.isspace():  # (no stripped copy of a large body)
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        where = f" ({exc.msg} at line {exc.lineno} column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
    # Raised outside the handler and without the decode error as its cause: that error holds
    # the whole body (``.doc``), secrets and megabytes included, for as long as it lives.
    # Scrubbed before the cut: a secret straddling the cut would no longer be recognised.
    excerpt = " ".join(scrub(content[:4096].decode("utf-8", "replace")).split())[:120]
    raise ResponseValidationError(
        f"{response.request.method} {response.request.url.path}: expected JSON{where}, got "
        f"{response.headers.get('content-type', 'no content type')}: {excerpt!r}",
        trace_id=response.headers.get("trace-id"),
    )


_adapters: dict[Any, pydantic.TypeAdapter[Any]] = {}


def adapter_for(cast_to: Any) -> pydantic.TypeAdapter[Any]:
    """The (cached) :class:`pydantic.TypeAdapter` of a type that is not a model."""
    adapter = _adapters.get(cast_to)
    if adapter is None:
        adapter = _adapters[cast_to] = pydantic.TypeAdapter(cast_to)
    return adapter


def validate_bytes(content: bytes, cast_to: Any) -> Any:
    """``content`` (JSON) validated as ``cast_to`` by pydantic-core's own JSON parser, with no
    Python objects built in between. Raises what pydantic raises; callers fall back to
    :func:`parse_as` on ``json.loads`` for the error (or the lenient build)."""
    if isinstance(cast_to, type) and issubclass(cast_to, pydantic.BaseModel):
        return cast_to.model_validate_json(content)
    return adapter_for(cast_to).validate_json(content)


#: What validating straight from bytes may raise before the slower path says what is wrong.
VALIDATION_FAILURES = (pydantic.ValidationError, TypeError, ValueError, AttributeError,
                       KeyError, RecursionError)


def json_invalid(exc: pydantic.ValidationError) -> bool:
    """True when pydantic's JSON parser refused the text itself (not its shape): the body
    is then decoded by ``json.loads``, which words the error (or accepts ``NaN``)."""
    return any(e["type"] == "json_invalid" for e in exc.errors(include_url=False,
                                                              include_input=False))


def parse_body(response: Response, cast_to: Any) -> Any:
    """The body of ``response`` validated as ``cast_to``: from the bytes when it matches
    (the common case, one pass), else decoded and checked by :func:`parse_as`, whose
    :class:`~allegro_async.errors.ResponseValidationError` names the problem."""
    content = response.content
    if content and not content.isspace():
        try:
            return validate_bytes(content, cast_to)
        except VALIDATION_FAILURES:
            pass  # parse_as, on the decoded body, says what is wrong
    return parse_as(_decode_json(response), cast_to,
                    trace_id=response.headers.get("trace-id"))


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
        return adapter_for(cast_to).validate_python(data)  # type: ignore[no-any-return]
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
        if cast_to is None:
            return self.json()
        return parse_body(self.http_response, cast_to)

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<APIResponse {request.method} {request.url.path} {self.status_code}>"


#: Response extension: ``True`` once :class:`BoundedBodyTransport` has checked (and undone)
#: the body's content codings, so that nothing above checks them a second time.
CODINGS_CHECKED = "allegro_codings_checked"

#: The default ``max_response_bytes``: far above any page Allegro sends (1000 offers or events).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class _BoundedStream(AsyncByteStream):
    """A response body read up to ``limit`` bytes: an error body is cut there (the rest is
    never read), a success body past it raises :class:`ResponseTooLargeError`."""

    def __init__(self, inner: Any, limit: int, *, cut: bool, request: Request,
                 headers: Headers) -> None:
        self._inner = inner
        self._limit = limit
        self._cut = cut
        self._request = request
        self._headers = headers  # the trace id is looked up only for an error
        self.bytes_read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            room = self._limit - self.bytes_read
            if len(chunk) > room:
                if not self._cut:
                    raise _too_large(self._request, self._limit, self._headers)
                self.bytes_read += room
                if room:
                    yield chunk[:room]
                return  # httpx closes the stream after the last chunk: the rest stays unread
            self.bytes_read += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        if hasattr(self._inner, "aclose"):
            await self._inner.aclose()


#: Encodings inflated here, so the bound is on the decoded bytes. No other coding is accepted:
#: httpx would decode it whole, unbounded (``br``, ``zstd`` when their packages are present).
_INFLATED = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
             "deflate": zlib.MAX_WBITS}
#: Codings that mean "not encoded".
_IDENTITY = {"", "identity"}
#: The most layers of encoding a body may carry (``gzip, gzip``): each layer's output counts
#: against the body limit, and past two there is no honest reason for a server to stack them.
MAX_ENCODING_LAYERS = 2
#: The most bytes one decompress step may produce: a small gzip chunk can inflate to
#: gigabytes, and the bound is checked between steps.
_INFLATE_STEP = 256 * 1024


class _InflatingStream(AsyncByteStream):
    """One gzip or deflate layer decoded in steps of at most :data:`_INFLATE_STEP` bytes, its
    output counted against ``limit``: a compression bomb stops at the limit instead of filling
    memory, whichever layer of a stacked encoding it hides in.

    Past the limit a success body raises :class:`ResponseTooLargeError`; an error body
    (``cut``) stops there, and the layer below then takes its input as cut, not as corrupt.
    """

    def __init__(self, inner: Any, encoding: str, *, limit: int, cut: bool,
                 request: Request, headers: Headers) -> None:
        self._inner = inner
        self._wbits = _INFLATED[encoding]
        self._deflate = encoding == "deflate"
        self._limit = limit
        self._cut = cut
        self._request = request
        self._headers = headers
        #: Whether this layer stopped at the limit (an error body, cut on purpose).
        self.truncated = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        inflater = zlib.decompressobj(self._wbits)
        first = True
        produced = 0
        try:
            async for chunk in self._inner:
                data = chunk
                while data:
                    try:
                        out = inflater.decompress(data, _INFLATE_STEP)
                    except zlib.error:
                        if not (first and self._deflate):
                            raise
                        # "deflate" sent raw, without the zlib header (as httpx allows)
                        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                        out = inflater.decompress(data, _INFLATE_STEP)
                    first = False
                    if out:
                        produced += len(out)
                        if produced > self._limit:
                            if not self._cut:
                                raise _too_large(self._request, self._limit, self._headers)
                            self.truncated = True
                            yield out[:len(out) - (produced - self._limit)]
                            return  # the rest stays unread; httpx closes the stream
                        yield out
                    if inflater.eof and inflater.unused_data:
                        data = inflater.unused_data  # a second gzip member
                        inflater = zlib.decompressobj(self._wbits)
                    else:
                        data = inflater.unconsumed_tail
            tail = inflater.flush()
            if tail:
                if produced + len(tail) > self._limit and not self._cut:
                    raise _too_large(self._request, self._limit, self._headers)
                yield tail[:max(0, self._limit - produced)]
            if not inflater.eof and not getattr(self._inner, "truncated", False):
                raise zlib.error("the compressed body ended before its end marker (cut short)")
        except zlib.error as exc:
            raise httpx.DecodingError(f"the response body is not valid {self._name}: {exc}") \
                from exc

    @property
    def _name(self) -> str:
        return "deflate" if self._deflate else "gzip"

    async def aclose(self) -> None:
        if hasattr(self._inner, "aclose"):
            await self._inner.aclose()


def _codings(headers: Any) -> list[str]:
    """The body's content codings, in the order they were applied: every ``Content-Encoding``
    header, each split at commas, ``identity`` left out."""
    found = [c.strip().lower() for c in headers.get_list("content-encoding", split_commas=True)]
    return [c for c in found if c not in _IDENTITY]


@lru_cache(maxsize=32)
def _accepted(value: str) -> str:
    """An ``Accept-Encoding`` value cut down to the codings inflated here (bounded)."""
    kept = [part.strip() for part in value.split(",")
            if part.split(";")[0].strip().lower() in {*_INFLATED, "identity"}]
    return ", ".join(kept) or "identity"


def _too_large(request: Request, limit: int, headers: Headers) -> ResponseTooLargeError:
    trace_id: str | None = headers.get("trace-id")
    return ResponseTooLargeError(
        f"{request.method} {request.url.path}: the response body is larger than "
        f"max_response_bytes={limit}; reading stopped there. Ask for smaller pages, or give "
        "AllegroClient(max_response_bytes=...) a larger limit if such bodies are expected",
        limit=limit, trace_id=trace_id)


class BoundedBodyTransport(AsyncBaseTransport):
    """Keeps what a response body can cost in memory bounded, around ``inner``.

    A 2xx (or 3xx) body larger than ``max_response_bytes`` raises
    :class:`~allegro_async.errors.ResponseTooLargeError` as soon as the limit is passed (at
    once when ``Content-Length`` says so); an error body (4xx/5xx) is cut at
    ``max_error_bytes``, which is all :func:`~allegro_async.errors.error_for_response` reads.
    A gzip or deflate body is inflated here, step by step, and its decoded bytes are what
    is counted: a small compressed body that would inflate to gigabytes stops at the limit.
    Up to :data:`MAX_ENCODING_LAYERS` stacked layers (``gzip, gzip``, or two
    ``Content-Encoding`` headers) are undone one by one, each layer's output counted; more
    layers, or a coding other than gzip and deflate, are a
    :class:`~allegro_async.errors.TransportError` before the body is read. ``Accept-Encoding``
    is cut down to those two, so a server is never asked for what would be refused.
    """

    def __init__(self, inner: AsyncBaseTransport, *,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 max_error_bytes: int = MAX_ERROR_BODY_BYTES) -> None:
        for name, value in (("max_response_bytes", max_response_bytes),
                            ("max_error_bytes", max_error_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgumentError(name, f"{value!r} is not a positive number of bytes",
                                           "give e.g. 64 * 1024 * 1024")
        self.inner = inner
        self.max_response_bytes = max_response_bytes
        self.max_error_bytes = max_error_bytes

    @property
    def metrics(self) -> Any:
        """The wrapped stack's metrics (see :func:`~allegro_async.throttle.metrics_of`)."""
        return getattr(self.inner, "metrics", None)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` and hand back its response with the body bounded."""
        wanted = request.headers.get("accept-encoding")
        if wanted is not None:
            # only ask for what is decoded here, within the limit
            accepted = _accepted(wanted)
            if accepted != wanted:
                request.headers["Accept-Encoding"] = accepted
        response = await self.inner.handle_async_request(request)
        headers, stream, status = response.headers, response.stream, response.status_code
        is_error = status >= 400
        limit = self.max_error_bytes if is_error else self.max_response_bytes
        # a HEAD (or 204/304) answer declares the length of a body it does not carry
        has_body = request.method != "HEAD" and status != 204 and status != 304
        if has_body and not is_error:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                await response.aclose()  # not a byte of it is read
                raise _too_large(request, limit, headers)
        # "in" before the split: most answers carry no encoding
        codings = _codings(headers) if has_body and "content-encoding" in headers else []
        if codings:
            problem = _refused(codings)
            if problem:
                await response.aclose()
                raise httpx.DecodingError(
                    f"{request.method} {request.url.path}: the response body is encoded as "
                    f"{', '.join(codings)!r}; {problem}", request=request)
            # decoded here, layer by layer, so httpx must not decode again; the length was
            # the encoded one
            headers = headers.copy()
            del headers["content-encoding"]
            headers.pop("content-length", None)
            for coding in reversed(codings):  # the last applied is the first to undo
                stream = _InflatingStream(stream, coding, limit=limit, cut=is_error,
                                          request=request, headers=headers)
        bounded = _BoundedStream(stream, limit, cut=is_error, request=request, headers=headers)
        if response.is_closed:
            # Built with its body in memory (a mock): a new response, so that reading goes
            # through the bound instead of handing back the body already read.
            return Response(status, headers=headers, stream=bounded,
                            extensions={**response.extensions, CODINGS_CHECKED: True},
                            request=request)
        response.extensions[CODINGS_CHECKED] = True
        # in place, as httpx wraps its own streams: a second Response would copy the headers
        response.headers = headers
        response.stream = bounded
        response.request = request
        return response


def _refused(codings: list[str]) -> str | None:
    """Why a body under ``codings`` is not decoded, or ``None`` when it can be (bounded)."""
    unknown = sorted({c for c in codings if c not in _INFLATED})
    if unknown:
        return (f"{', '.join(unknown)} cannot be decoded within max_response_bytes (only gzip "
                "and deflate are accepted, and only those are asked for)")
    if len(codings) > MAX_ENCODING_LAYERS:
        return (f"{len(codings)} layers of encoding; at most {MAX_ENCODING_LAYERS} are "
                "decoded, each counted against the body limit")
    return None
