"""The request path of :class:`~allegro_async.client.AllegroClient`: a call built into an
``httpx.Request`` (URL held to the environment's hosts, headers, body, deadline), sent through
auth, retries and throttling, read whole, and parsed or raised as a typed error.

A base class of ``AllegroClient`` (public through :mod:`allegro_async.client`), so a call
costs no more than a method of the client itself: no wrapper or delegation on the way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any, TypeVar, cast, overload

import anyio
from typing_extensions import Unpack

from allegro_async import _redact
from allegro_async._deadline import (
    DEADLINE,
    MAX_RETRIES,
    bounded_send,
    deadline_seconds,
    mark,
    merged_query,
    with_defaults,
)
from allegro_async._http import AsyncClient, Auth, Request, Response, Timeout, httpx
from allegro_async._options import CallOptions
from allegro_async._request import (
    NOT_GIVEN,
    MediaType,
    RequestOptions,
    _allegro_url,
    _check_language,
    _clean_params,
    _dump_body,
    _httpx_origin,
    _is_absolute,
    _media,
    _merge_extra_headers,
    _merge_headers,
    _raise_transport_error,
    _register_secrets,
    parse_url,
)
from allegro_async._response import APIResponse, _decode_json, parse_body
from allegro_async.config import Environment, Origin
from allegro_async.errors import ClientClosedError, InvalidArgumentError, error_for_response

T = TypeVar("T")
#: Request extension: the URL build_request checked, with the hosts it was checked against.
_ORIGIN_CHECKED = "allegro_origin_checked"
logger = logging.getLogger("allegro_async")


@lru_cache(maxsize=64)
def _origins(environment: Environment) -> frozenset[Origin]:
    # Environment.origins parses both base URLs; the hot path asks twice per request.
    return environment.origins


class Calls:
    """``build_request``, ``send``, ``request_raw`` and ``request`` of
    :class:`~allegro_async.client.AllegroClient`, over the state its constructor sets."""

    environment: Environment
    _http: AsyncClient
    _auth: Auth | None
    _timeout: Timeout
    #: The deadline in seconds every call gets by default, if any.
    _deadline: float | None
    #: Per-call options a service's view applies to every request it makes.
    _call_defaults: CallOptions
    _headers: dict[str, str]
    #: Headers the owned httpx client adds to every request anyway (lower-case names).
    _implied: dict[str, str]
    #: The default headers as build_request hands them to httpx, and what they came from.
    _sent_cache: tuple[dict[str, str], dict[str, str]] | None
    #: Whether the layers below report when a request goes out (for the deadline error).
    _marks_sent: bool | None

    def _without_implied(self, merged: dict[str, str]) -> dict[str, str]:
        implied = self._implied
        if not implied:
            return merged
        return {k: v for k, v in merged.items() if implied.get(k.lower()) != v}

    def _default_headers(self) -> dict[str, str]:
        """:meth:`_without_implied` of the default headers, made again when they change."""
        cached = self._sent_cache
        if cached is None or cached[0] is not self._headers:
            cached = self._sent_cache = (self._headers, self._without_implied(self._headers))
        return cached[1]

    # -- the low-level call ----------------------------------------------------------------
    def build_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeout | None = NOT_GIVEN,
        media_type: MediaType | str | None = None,
        extensions: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> Request:
        """Build (but do not send) the ``httpx.Request`` for a call.

        ``timeout``, ``extra_headers``, ``extra_query`` and ``max_retries`` are the per-call
        options (:class:`~allegro_async.CallOptions`, see docs/client.md); seconds of
        ``timeout`` become the call's deadline (the ``allegro_deadline`` extension).
        """
        if (self._call_defaults or timeout is not NOT_GIVEN or extra_headers is not None
                or extra_query is not None or max_retries is not None):
            timeout, extra_headers, extra_query, max_retries = with_defaults(
                self._call_defaults, timeout, extra_headers, extra_query, max_retries)
        params = merged_query(params, extra_query)
        if _is_absolute(path):
            # Absolute URLs (an operation Location, A10) must stay on Allegro's hosts: the
            # bearer token goes wherever the request goes.
            url = _allegro_url(path, self.environment)
        else:
            url = f"{self.environment.api_url}/{path.lstrip('/')}"
        _check_language(headers)
        if params or data or json is not None:
            _register_secrets(params, data, json if isinstance(json, Mapping) else None)
        media = _media(media_type)
        has_body = json is not None or content is not None
        dropped: Collection[str] = ()
        if (headers is None and extra_headers is None and not has_body
                and self._headers.get("Accept") == media):
            merged, sent = self._headers, self._default_headers()  # most calls: nothing to merge
        else:
            merged = _merge_headers(self._headers, {"Accept": media})
            if has_body:
                merged["Content-Type"] = media
            merged, dropped = _merge_extra_headers(_merge_headers(merged, headers),
                                                   extra_headers)
            sent = self._without_implied(merged)
        chosen = self._timeout if timeout is NOT_GIVEN else (
            timeout if isinstance(timeout, Timeout) else Timeout(timeout)
        )
        seconds = self._deadline if timeout is NOT_GIVEN else deadline_seconds(timeout)
        if seconds is not None and DEADLINE not in (extensions or {}):
            # seconds bound the whole call (token, gate, queues, attempts, bodies, retries),
            # not only each HTTP phase
            extensions = {**(extensions or {}), DEADLINE: seconds}
        if max_retries is not None:
            extensions = {**(extensions or {}), MAX_RETRIES: max_retries}
        try:
            request = self._http.build_request(
                method.upper(),
                parse_url(url),
                params=_clean_params(params),
                json=_dump_body(json),
                content=content,
                data=data,
                headers=sent,
                timeout=chosen,
                extensions=dict(extensions) if extensions else None,
            )
        except httpx.InvalidURL as exc:
            raise InvalidArgumentError(
                "path", f"not a valid URL ({exc})", "give a path like '/sale/offers' or an "
                "absolute http(s) URL",
            ) from exc
        except (TypeError, ValueError) as exc:  # json.dumps of an unserialisable body
            if isinstance(exc, InvalidArgumentError):
                raise
            raise InvalidArgumentError(
                "json", f"the body cannot be sent as JSON ({exc})",
                "pass dicts, lists, str, numbers, bools, None or a pydantic model",
            ) from exc
        allowed = _origins(self.environment)
        if _httpx_origin(request.url) not in allowed:
            # a last look at what will really be sent, whatever the path was made of
            raise InvalidArgumentError(
                "path", f"the request would go to {_httpx_origin(request.url)}, not to "
                "this environment's hosts", "pass a path relative to the API")
        # send() need not look again while the URL is this one (and the hosts these)
        request.extensions[_ORIGIN_CHECKED] = (request.url, allowed)
        # secrets inline in an absolute URL (``?code=...``) are registered like params= ones
        if request.url.query:
            _register_secrets(dict(request.url.params.multi_items()))
        if json is not None:
            content_type = next((v for k, v in merged.items() if k.lower() == "content-type"),
                                None)
            if content_type is not None:
                # httpx sets application/json for json=; Allegro wants its media type (A11)
                request.headers["Content-Type"] = content_type
        for name in dropped:  # httpx re-adds its client's defaults: a None leaves them out
            if name in request.headers:
                del request.headers[name]
        return request

    async def send(self, request: Request, *, auth: Auth | None = NOT_GIVEN) -> Response:
        """Send a built request through auth, retries and throttling; raise on error status.

        Returns the ``httpx.Response`` with its body read. A request built with a deadline
        (``timeout=`` seconds) is bounded by it as a whole, its body included; past it,
        :class:`~allegro_async.errors.DeadlineExceededError`.
        """
        allowed = _origins(self.environment)
        checked = request.extensions.get(_ORIGIN_CHECKED)
        if (not isinstance(checked, tuple) or checked[0] is not request.url
                or checked[1] is not allowed) and _httpx_origin(request.url) not in allowed:
            # the one place the token is attached: a request built elsewhere is held to it too
            raise InvalidArgumentError(
                "request", f"it goes to {_httpx_origin(request.url)}, not to this "
                "environment's hosts", "build it with client.build_request(...)")
        if self._http.is_closed:  # httpx would raise a bare RuntimeError
            raise ClientClosedError(method=request.method, path=request.url.path)
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0
        chosen = self._auth if auth is NOT_GIVEN else auth
        try:
            if DEADLINE in request.extensions:
                response = await bounded_send(
                    request, lambda: self._send_and_read(request, chosen), self._marks_sent)
            else:
                response = await self._send_and_read(request, chosen)
        except httpx.HTTPError as exc:
            # the cause stays attached for debugging; its text must not carry a secret either
            exc.args = tuple(_redact.scrub(a) if isinstance(a, str) else a for a in exc.args)
            _raise_transport_error(exc, request.method, request.url.path)
        if debug:
            logger.debug(
                "%s %s -> %s in %.1f ms trace-id=%s", request.method, request.url.path,
                response.status_code, (time.perf_counter() - started) * 1000,
                response.headers.get("trace-id", "-"),
            )
        if response.status_code >= 400:
            raise error_for_response(response, method=request.method, path=request.url.path)
        return response

    async def _send_and_read(self, request: Request, auth: Auth | None) -> Response:
        response = await self._http.send(request, auth=auth, stream=True)
        try:
            mark(request, "the rest of the response body", sent=True)
            await response.aread()
            # httpx's stream wrapper and the response refer to each other: a body read
            # whole (megabytes for a page of events) would wait for the cycle collector
            response.stream = httpx.ByteStream(b"")
        except BaseException:
            with anyio.CancelScope(shield=True):  # gives the throttle's slots back
                await response.aclose()
            raise
        return response

    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeout | None = NOT_GIVEN,
        media_type: MediaType | str | None = None,
        auth: Auth | None = NOT_GIVEN,
        extensions: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> APIResponse:
        """Call any operation and get the raw response: status, headers, trace id.

        Raises an :class:`~allegro_async.errors.APIError` subclass on 4xx/5xx. The per-call
        options are those of :meth:`build_request`.
        """
        request = self.build_request(
            method, path, params=params, json=json, content=content, data=data,
            headers=headers, timeout=timeout, media_type=media_type, extensions=extensions,
            extra_headers=extra_headers, extra_query=extra_query, max_retries=max_retries,
        )
        return APIResponse(await self.send(request, auth=auth))

    @overload
    async def request(
        self, method: str, path: str, *, cast_to: None = None, **options: Unpack[RequestOptions]
    ) -> Any: ...
    @overload
    async def request(
        self, method: str, path: str, *, cast_to: type[T], **options: Unpack[RequestOptions]
    ) -> T: ...
    async def request(
        self, method: str, path: str, *, cast_to: Any = None, **options: Unpack[RequestOptions]
    ) -> Any:
        """Call any of the API's operations and get the parsed JSON body.

        ``path`` is relative to the API base (``"/sale/offers"``) or an absolute URL (an
        operation ``Location``). ``params`` values may be lists (repeated), booleans, enums and
        aware datetimes. ``json`` may be a pydantic model. ``cast_to`` validates the body as a
        pydantic model (or any type pydantic accepts). ``media_type="beta"`` calls beta
        endpoints (A11). Returns ``None`` for an empty body. Other options: ``content``,
        ``data``, ``headers``, ``auth``, ``extensions``, and the per-call options
        ``timeout`` (seconds: a deadline for the whole call), ``extra_headers``,
        ``extra_query`` and ``max_retries`` (see docs/client.md).
        """
        # request_raw's work, one coroutine fewer for every resumption of the call
        auth = options.pop("auth", NOT_GIVEN)
        response = await self.send(self.build_request(method, path, **cast(Any, options)),
                                   auth=auth)
        if cast_to is None:
            return _decode_json(response)
        return parse_body(response, cast_to)
