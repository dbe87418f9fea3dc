"""The Allegro emulator: a Starlette app that behaves like Allegro, limits and quirks included.

Use it in-process (``emulator.transport()`` is an httpx transport) or as a real server
(``allegro-async emulator``). Every area (OAuth, limits, faults, orders, offers) lives in its
own module and plugs in here.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allegro_async.config import Environment
from allegro_async.testing.emulator import (
    admin,
    catalogue,
    faults,
    limits,
    oauth,
    offers,
    orders,
)
from allegro_async.testing.emulator.clock import EmulatorClock
from allegro_async.testing.emulator.http import (
    VND_TYPES,
    ApiError,
    OAuthError,
    json_response,
    require_user,
)
from allegro_async.testing.emulator.stats import EmulatorStats
from allegro_async.testing.emulator.tokens import DEFAULT_SCOPES, TokenIssuer

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

#: The host name used for in-process calls; any name works with the ASGI transport.
IN_PROCESS_URL = "http://allegro.emulator"


@dataclass
class EmulatorConfig:
    """Everything about an emulator, deterministic from ``seed``.

    ``time_scale`` makes emulated time run faster than real time (60 = a minute per second),
    which scales every limit window and block. ``environment`` decides which tokens it accepts
    (S8).
    """

    seed: int = 1
    environment: Literal["production", "sandbox"] = "production"
    time_scale: float = 1.0
    sellers: int = 3
    client_id: str = "emulator-client-id"
    client_secret: str | None = None
    redirect_uris: tuple[str, ...] = ("http://127.0.0.1/callback",)
    oauth: oauth.OAuthConfig = field(default_factory=oauth.OAuthConfig)
    limits: limits.LimitsConfig = field(default_factory=limits.LimitsConfig)
    faults: faults.FaultsConfig = field(default_factory=faults.FaultsConfig)
    orders: orders.OrdersConfig = field(default_factory=orders.OrdersConfig)
    offers: offers.OffersConfig = field(default_factory=offers.OffersConfig)
    catalogue: catalogue.CatalogueConfig = field(default_factory=catalogue.CatalogueConfig)


@dataclass(frozen=True)
class Seller:
    """A seller account in the emulator."""

    id: str
    login: str
    email: str


class DropConnection(Exception):
    """Raised by the app to drop the connection without a response."""


class Emulator:
    """An in-memory Allegro. ``Emulator()`` gives production mode with three sellers and
    real-time limits; pass an :class:`EmulatorConfig` (or its fields as keywords) to change it::

        emulator = Emulator(time_scale=60, sellers=5)
        async with emulator.client(seller=emulator.sellers[0]) as client:
            me = await client.request("GET", "/me")
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = EmulatorConfig(**overrides)
        elif overrides:
            raise TypeError("give an EmulatorConfig or keyword settings, not both")
        self.config = config
        self.random = random.Random(config.seed)
        self.clock = EmulatorClock(config.time_scale)
        self.client_id = config.client_id
        self.client_secret = config.client_secret or hashlib.sha256(
            f"emulator-secret-{config.seed}".encode()
        ).hexdigest()[:32]
        self.sellers = [
            Seller(id=str(10_000_001 + i), login=f"seller-{i + 1}",
                   email=f"seller-{i + 1}@example.com")
            for i in range(config.sellers)
        ]
        self.stats = EmulatorStats()
        self.tokens = TokenIssuer(
            environment=config.environment, client_id=config.client_id, clock=self.clock
        )
        self.oauth = oauth.OAuthState(self)
        self.limits = limits.LimitsState(self)
        self.faults = faults.FaultsState(self)
        self.orders = orders.OrdersState(self)
        self.offers = offers.OffersState(self)
        self.catalogue = catalogue.CatalogueState(self)
        self._routes: list[BaseRoute] = [
            Route("/me", _me, methods=["GET"]),
            *admin.routes(),
            *oauth.routes(),
            *orders.routes(),
            *offers.routes(),
            *catalogue.routes(),
        ]
        inner = Starlette(
            routes=self._routes,
            exception_handlers={
                ApiError: _api_error,
                OAuthError: _oauth_error,
                HTTPException: _http_error,
            },
        )
        inner.state.emulator = self
        self.starlette = inner
        self.app: ASGIApp = _FrontMiddleware(
            limits.LimitsMiddleware(faults.FaultsMiddleware(inner, self), self), self
        )

    # -- for users --------------------------------------------------------------------------
    def seller(self, ref: int | str | Seller = 0) -> Seller:
        """A seller by index, id or login."""
        if isinstance(ref, Seller):
            return ref
        if isinstance(ref, int):
            return self.sellers[ref]
        for seller in self.sellers:
            if ref in (seller.id, seller.login):
                return seller
        raise KeyError(f"no seller {ref!r} in this emulator")

    def mint_token(
        self,
        seller: int | str | Seller | None = 0,
        *,
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        ttl: float | None = None,
    ) -> str:
        """A ready access token for a seller (index, id or login), or an app token for
        ``seller=None``. ``ttl`` in emulated seconds (12 h by default)."""
        user = None if seller is None else self.seller(seller).id
        return self.tokens.mint(user, scopes=scopes, ttl=ttl)

    def environment(self, base_url: str = IN_PROCESS_URL) -> Environment:
        """The :class:`Environment` pointing at this emulator (API and OAuth on one host)."""
        return Environment.custom(api_url=base_url, auth_url=base_url)

    def transport(self) -> EmulatorTransport:
        """An httpx transport that calls this emulator in-process."""
        return EmulatorTransport(self)

    def client(
        self, seller: int | str | Seller | None = 0, **kwargs: Any
    ) -> AllegroClient:
        """An :class:`~allegro_async.AllegroClient` wired to this emulator in-process, with a
        token for ``seller`` (``None`` for an app token) unless ``access_token``/``auth`` is
        given."""
        from allegro_async.client import AllegroClient

        if "access_token" not in kwargs and "auth" not in kwargs:
            kwargs["access_token"] = self.mint_token(seller)
        kwargs.setdefault("environment", self.environment())
        kwargs.setdefault("transport", self.transport())
        return AllegroClient(**kwargs)

    def route_templates(self) -> list[str]:
        """Every route this emulator serves, as ``"METHOD /path/{param}"``."""
        out = []
        for route in self._routes:
            if isinstance(route, Route):
                out += [f"{m} {route.path}" for m in sorted(route.methods or ()) if m != "HEAD"]
        return out

    def match_route(self, scope: Scope) -> str | None:
        """The route template a request scope goes to, or ``None``."""
        for route in self._routes:
            found, _ = route.matches(scope)
            if found is Match.FULL and isinstance(route, Route):
                return route.path
        return None


async def _me(request: Request) -> Response:
    who = require_user(request)
    seller = emulator_seller(request, who.user_id)
    first, _, last = seller.login.partition("-")
    return json_response(
        request,
        {
            "id": seller.id,
            "login": seller.login,
            "firstName": first.capitalize(),
            "lastName": last,
            "email": seller.email,
            "baseMarketplace": {"id": "allegro-pl"},
        },
    )


def emulator_seller(request: Request, user_id: str | None) -> Seller:
    """The seller behind a user id (404 if unknown)."""
    emulator: Emulator = request.app.state.emulator
    try:
        return emulator.seller(str(user_id))
    except KeyError:
        raise ApiError(404, "NotFoundException", f"User {user_id} not found") from None


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_response(request, exc.body, exc.status, exc.headers)


async def _oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    body = json.dumps(exc.body).encode()
    return Response(body, status_code=exc.status, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = ApiError(404, "NotFoundException", f"Resource {request.url.path} not found")
    elif exc.status_code == 405:
        error = ApiError(405, "MethodNotAllowedException",
                         f"Method {request.method} is not supported on {request.url.path}")
    else:
        error = ApiError(exc.status_code, "HttpException", str(exc.detail))
    return json_response(request, error.body, error.status)


def _is_api_path(path: str) -> bool:
    return not path.startswith(("/auth/", "/_emulator/"))


class _FrontMiddleware:
    """Trace ids, request counting per route, and the A11 Accept check (406)."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = self.emulator.stats
        stats.requests += 1
        template = self.emulator.match_route(scope)
        scope["allegro.route"] = template
        stats.by_route[f"{scope['method']} {template or '?'}"] += 1
        trace_id = uuid.uuid4().hex
        path: str = scope["path"]

        async def send_with_trace(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"trace-id", trace_id.encode()))
                message = {**message, "headers": headers}
                stats.by_status[message["status"]] += 1
            await send(message)

        if _is_api_path(path) and not _acceptable(scope):
            error = ApiError(
                406, "NotAcceptableException",
                "Not acceptable representation requested. Please check 'Accept' request header",
            )
            body = json.dumps(error.body).encode()
            await send_with_trace({
                "type": "http.response.start", "status": 406,
                "headers": [(b"content-type", VND_TYPES[0].encode()),
                            (b"content-length", str(len(body)).encode())],
            })
            await send_with_trace({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_trace)


def _acceptable(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept":
            text = value.decode("latin-1")
            return any(v in text for v in VND_TYPES) or text.strip() in ("*/*", "")
    return True  # no Accept header at all: served as v1, like curl without -H


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Calls the emulator in-process. A dropped connection surfaces as
    ``httpx.RemoteProtocolError``, and the request's read timeout is enforced (the plain
    ``ASGITransport`` ignores timeouts)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._asgi = httpx.ASGITransport(app=emulator.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            with anyio.fail_after(timeout if timeout is not None else float("inf")):
                return await self._asgi.handle_async_request(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("emulator response timed out", request=request) from exc
        except DropConnection as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc
