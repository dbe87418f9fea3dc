"""``AllegroClient``: one ``httpx.AsyncClient`` with Allegro's URLs, headers and errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import anyio
from typing_extensions import Unpack

from allegro_async import _redact
from allegro_async._deadline import (
    DEADLINE,
    MAX_RETRIES,
    bounded_send,
    check_call_options,
    check_timeout,
    deadline_seconds,
    mark,
    merged_query,
    with_defaults,
)
from allegro_async._http import (
    AsyncBaseTransport,
    AsyncClient,
    Auth,
    Request,
    Response,
    Timeout,
    httpx,
)
from allegro_async._options import CallOptions
from allegro_async._request import (
    NOT_GIVEN,
    BearerToken,
    MediaType,
    RequestOptions,
    _allegro_url,
    _check_language,
    _check_token,
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
from allegro_async._response import (
    DEFAULT_MAX_RESPONSE_BYTES,
    APIResponse,
    _decode_json,
    parse_body,
)
from allegro_async._stack import open_http
from allegro_async._version import __version__
from allegro_async.auth.jwt import decode_claims
from allegro_async.config import (
    ACCEPT_LANGUAGES,
    PUBLIC_MEDIA_TYPE,
    Environment,
    Origin,
)
from allegro_async.errors import (
    ClientClosedError,
    InvalidArgumentError,
    error_for_response,
)
from allegro_async.retry import RetryTransport
from allegro_async.throttle import duplicates
from allegro_async.throttle.limiter import Throttle
from allegro_async.throttle.transport import ThrottledTransport

if TYPE_CHECKING:
    from allegro_async.api._root import Api
    from allegro_async.services.offer_variants import OfferVariantsService
    from allegro_async.services.offers import OffersService
    from allegro_async.services.orders import OrdersService
    from allegro_async.services.products import ProductsService
    from allegro_async.services.shipping_rates import ShippingRatesService
    from allegro_async.services.user import UserService

T = TypeVar("T")
#: Request extension: the URL build_request checked, with the hosts it was checked against.
_ORIGIN_CHECKED = "allegro_origin_checked"
logger = logging.getLogger("allegro_async")

#: Default timeouts: 10 s to connect, 30 s for everything else.
DEFAULT_TIMEOUT = Timeout(30.0, connect=10.0)
USER_AGENT = f"allegro-async/{__version__}"


@lru_cache(maxsize=64)
def _origins(environment: Environment) -> frozenset[Origin]:
    # Environment.origins parses both base URLs; the hot path asks twice per request.
    return environment.origins


class AllegroClient:
    """An async client for the Allegro REST API.

    Use it as an async context manager; it owns one ``httpx.AsyncClient`` (and so one connection
    pool) unless you pass your own ``http_client``::

        async with AllegroClient(access_token=token) as client:
            me = await client.request("GET", "/me")
            async for form in client.orders.list(status="READY_FOR_PROCESSING"):
                ...

    Args:
        access_token: a seller's (or the app's) access token. Or give ``auth``.
        auth: any ``httpx.Auth``, e.g. a refreshing auth from :mod:`allegro_async.auth`.
        environment: ``"production"``, ``"sandbox"`` or an :class:`Environment`.
        transport: the innermost transport (network by default; the emulator's, a respx mock).
        http_client: an ``httpx.AsyncClient`` of yours (proxies, TLS, limits, event hooks) to
            send through; it is never closed here. Throttling and retries are still added
            above it unless you pass both ``throttle=False`` and ``retry=False``, which uses it
            as is (see docs/client.md).
        timeout: seconds, or an ``httpx.Timeout``; a per-call ``timeout=`` overrides it.
            Seconds are a deadline for the whole of every call (the token refresh, the app
            gate, the throttle's queue, each attempt with its body however slowly it comes,
            and the retries): past it, :class:`~allegro_async.errors.DeadlineExceededError`;
            a block known to outlast it fails the call at once with ``RateLimitedError``
            (``blocked_for`` says how long). An ``httpx.Timeout`` (the default: 10 s to
            connect, 30 s per read) bounds each HTTP phase only. See docs/client.md.
        accept_language: one of en-US, pl-PL, uk-UA, sk-SK, cs-CZ, hu-HU (A11).
        headers: extra default headers.
        throttle: a :class:`~allegro_async.throttle.Throttle` (share one across all clients of
            an app: S1 is per Client ID); ``None`` for a new one with the defaults; ``False``
            turns throttling off. See docs/throttling.md.
        retry: a :class:`~allegro_async.retry.RetryPolicy` or an ``int`` (max retries);
            ``None`` for the default policy; ``False`` or ``0`` turns retries off.
        max_response_bytes: the largest success body read (64 MiB by default); a larger one
            raises :class:`~allegro_async.errors.ResponseTooLargeError`. Error bodies are
            read up to 64 KiB. Not applied to an ``http_client`` of your own.
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        auth: Auth | None = None,
        environment: Environment | str = "production",
        transport: AsyncBaseTransport | None = None,
        http_client: AsyncClient | None = None,
        timeout: float | Timeout | None = DEFAULT_TIMEOUT,
        accept_language: str | None = None,
        headers: Mapping[str, str] | None = None,
        throttle: Any = None,
        retry: Any = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if access_token is not None and auth is not None:
            raise InvalidArgumentError(
                "access_token", "both access_token and auth were given", "give only one of them"
            )
        _check_token(access_token)
        if accept_language is not None and accept_language not in ACCEPT_LANGUAGES:
            raise InvalidArgumentError(
                "accept_language",
                f"{accept_language!r} is not a language Allegro serves",
                f"use one of {', '.join(ACCEPT_LANGUAGES)}",
            )
        if http_client is not None and transport is not None:
            raise InvalidArgumentError(
                "transport", "both transport and http_client were given",
                "set the transport on your http_client, or pass only transport",
            )
        self.environment = Environment.coerce(environment)
        self._auth: Auth | None = BearerToken(access_token) if access_token else auth
        check_timeout(timeout)
        self._timeout = timeout if isinstance(timeout, Timeout) else Timeout(timeout)
        self._deadline = deadline_seconds(timeout)
        #: Per-call options a service's view applies to every request it makes.
        self._call_defaults: CallOptions = {}
        _check_language(headers)
        self._headers = {"User-Agent": USER_AGENT, "Accept": PUBLIC_MEDIA_TYPE}
        if accept_language:
            self._headers["Accept-Language"] = accept_language
        self._headers = _merge_headers(self._headers, headers)
        self._own_throttle: Throttle | None = None
        if throttle is None and transport is None and http_client is None:
            # A throttle of its own on the network, named by the token's Client ID (A6), so
            # a second live one in this process (a client built per request) warns (S1).
            claims = decode_claims(access_token) if access_token else None
            throttle = self._own_throttle = Throttle(
                client_id=claims.client_id if claims is not None else None)
        self._http, self._owns_http, stack = open_http(
            http_client, transport, throttle=throttle, retry=retry, timeout=self._timeout,
            max_response_bytes=max_response_bytes)
        if stack is not None:
            self.transport: AsyncBaseTransport = stack
        # Whether the layers below report when a request goes out (for the deadline error).
        self._marks_sent: bool | None = False if isinstance(
            stack, (RetryTransport, ThrottledTransport)) else None
        #: Headers the owned httpx client adds to every request anyway (lower-case names):
        #: build_request leaves out ours that match, since httpx drops and re-adds each
        #: default a request repeats. A user's client keeps its defaults and gets every header.
        self._implied: dict[str, str] = {}
        if self._owns_http:
            self._http.headers = {"User-Agent": USER_AGENT, "Accept": PUBLIC_MEDIA_TYPE}
            self._implied = {k.lower(): v for k, v in self._http.headers.items()}
        self._parent: AllegroClient | None = None
        #: The default headers as build_request hands them to httpx, and what they came from.
        self._sent_cache: tuple[dict[str, str], dict[str, str]] | None = None

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

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> AllegroClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http and self._parent is None:
            await self._http.aclose()
            if self._own_throttle is not None:
                duplicates.release(self._own_throttle)

    @property
    def http_client(self) -> AsyncClient:
        """The ``httpx.AsyncClient`` requests go through: yours when given with
        ``throttle=False, retry=False``, else the one over the throttling and retry layers."""
        return self._http

    def with_options(
        self,
        *,
        access_token: str | None = None,
        auth: Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeout | None = NOT_GIVEN,
        accept_language: str | None = None,
    ) -> AllegroClient:
        """A view of this client with other credentials or defaults.

        The view shares the connection pool, the throttle and the retry layer, so one app can
        serve many sellers from one client: ``client.with_options(access_token=seller_token)``.
        ``timeout=`` in seconds is then every call's deadline by default (see the class docs);
        an ``httpx.Timeout`` bounds the HTTP phases only. Closing the view does nothing; close
        the original.
        """
        view = object.__new__(AllegroClient)
        view.__dict__.update(
            {k: v for k, v in self.__dict__.items() if not isinstance(getattr(
                type(self), k, None), cached_property)}
        )
        view._parent = self
        view._headers = dict(self._headers)
        if access_token is not None and auth is not None:
            raise InvalidArgumentError(
                "access_token", "both access_token and auth were given", "give only one of them"
            )
        _check_token(access_token)
        if access_token is not None:
            view._auth = BearerToken(access_token)
        elif auth is not None:
            view._auth = auth
        _check_language(headers)
        view._headers = _merge_headers(view._headers, headers)
        if accept_language is not None:
            if accept_language not in ACCEPT_LANGUAGES:
                raise InvalidArgumentError(
                    "accept_language", f"{accept_language!r} is not a language Allegro serves",
                    f"use one of {', '.join(ACCEPT_LANGUAGES)}",
                )
            view._headers = _merge_headers(view._headers, {"Accept-Language": accept_language})
        if timeout is not NOT_GIVEN:
            check_timeout(timeout)
            view._timeout = timeout if isinstance(timeout, Timeout) else Timeout(timeout)
            view._deadline = deadline_seconds(timeout)
        return view

    def _with_call_options(self, options: CallOptions) -> AllegroClient:
        """A view whose every request takes ``options`` (a service call's ``**options``):
        each request of a walk, a command or a bulk update gets them. Checked here, so a bad
        option fails before anything is sent."""
        if not options:
            return self
        check_call_options(options)
        view = self.with_options()
        view._call_defaults = {**self._call_defaults, **options}
        return view

    def __repr__(self) -> str:
        return f"<AllegroClient {self.environment.name} {self.environment.api_url}>"

    # -- services --------------------------------------------------------------------------
    @cached_property
    def api(self) -> Api:
        """Every operation of Allegro's REST API, typed: ``client.api.<area>.<method>(...)``
        (generated from the spec; see docs/api.md)."""
        from allegro_async.api._root import Api

        return Api(self)

    @cached_property
    def orders(self) -> OrdersService:
        """Checkout forms, fulfillment, shipments and the order event journal."""
        from allegro_async.services.orders import OrdersService

        return OrdersService(self)

    @cached_property
    def offers(self) -> OffersService:
        """Product offers, offer listing, commands and bulk updates."""
        from allegro_async.services.offers import OffersService

        return OffersService(self)

    @cached_property
    def products(self) -> ProductsService:
        """The product catalogue: search by phrase or GTIN/EAN (S21)."""
        from allegro_async.services.products import ProductsService

        return ProductsService(self)

    @cached_property
    def offer_variants(self) -> OfferVariantsService:
        """Legacy multi-variant offer sets (S22; retired by Allegro on 2026-04-14)."""
        from allegro_async.services.offer_variants import OfferVariantsService

        return OfferVariantsService(self)

    @cached_property
    def shipping_rates(self) -> ShippingRatesService:
        """Shipping price lists (S3)."""
        from allegro_async.services.shipping_rates import ShippingRatesService

        return ShippingRatesService(self)

    @cached_property
    def user(self) -> UserService:
        """The authenticated user (``/me``)."""
        from allegro_async.services.user import UserService

        return UserService(self)

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
