"""``AllegroClient``: one ``httpx.AsyncClient`` with Allegro's URLs, headers and errors.

Here: building a client, its views (``with_options``: other credentials or defaults over the
same pool) and services, and closing it. The request path itself (``build_request``,
``send``, ``request``) is in :mod:`allegro_async._calls`, a base class of the client.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from functools import cached_property
from types import FunctionType
from typing import TYPE_CHECKING, Any

from allegro_async._calls import Calls
from allegro_async._deadline import check_call_options, check_timeout, deadline_seconds
from allegro_async._http import AsyncBaseTransport, AsyncClient, Auth, Timeout
from allegro_async._options import CallOptions
from allegro_async._request import (
    NOT_GIVEN,
    BearerToken,
    _check_language,
    _check_token,
    _merge_headers,
)
from allegro_async._response import DEFAULT_MAX_RESPONSE_BYTES
from allegro_async._stack import open_http
from allegro_async._version import __version__
from allegro_async.auth.jwt import decode_claims
from allegro_async.config import ACCEPT_LANGUAGES, PUBLIC_MEDIA_TYPE, Environment
from allegro_async.errors import InvalidArgumentError
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

#: Default timeouts: 10 s to connect, 30 s for everything else.
DEFAULT_TIMEOUT = Timeout(30.0, connect=10.0)
USER_AGENT = f"allegro-async/{__version__}"


class AllegroClient(Calls):
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
        self._auth = BearerToken(access_token) if access_token else auth
        check_timeout(timeout)
        self._timeout = timeout if isinstance(timeout, Timeout) else Timeout(timeout)
        self._deadline = deadline_seconds(timeout)
        self._call_defaults = {}
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
        self._marks_sent = False if isinstance(
            stack, (RetryTransport, ThrottledTransport)) else None
        #: Headers the owned httpx client adds to every request anyway (lower-case names):
        #: build_request leaves out ours that match, since httpx drops and re-adds each
        #: default a request repeats. A user's client keeps its defaults and gets every header.
        self._implied = {}
        if self._owns_http:
            self._http.headers = {"User-Agent": USER_AGENT, "Accept": PUBLIC_MEDIA_TYPE}
            self._implied = {k.lower(): v for k, v in self._http.headers.items()}
        self._parent: AllegroClient | None = None
        self._sent_cache = None

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


def _name_the_request_path() -> None:
    """The request path is written in :mod:`allegro_async._calls`, a base class: name its
    methods AllegroClient's, in this module, as before the split, for reprs ("coroutine
    'AllegroClient.request' was never awaited"), pickles, tracebacks and (Python 3.11+)
    ``typing.get_overloads``. The errors' classes do the same."""
    get_overloads = getattr(typing, "get_overloads", None)
    for name, method in vars(Calls).items():
        if not isinstance(method, FunctionType):
            continue
        variants = get_overloads(method) if get_overloads is not None else []
        for function in (method, *variants):
            function.__module__ = __name__
            function.__qualname__ = f"AllegroClient.{name}"
        for variant in variants:
            typing.overload(variant)  # registered again under its new name


_name_the_request_path()
