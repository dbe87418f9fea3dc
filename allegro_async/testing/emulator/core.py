"""The Allegro emulator: a Starlette app that behaves like Allegro, limits and quirks included.

Use it in-process (``emulator.transport()`` is an httpx transport) or as a real server
(``allegro-async emulator``). Every area (OAuth, limits, faults, orders, offers) lives in its
own module and plugs in here.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Scope

from allegro_async.config import Environment
from allegro_async.testing.emulator import (
    admin,
    catalogue,
    crud,
    faults,
    limits,
    oauth,
    offers,
    orders,
    public,
    refusals,
    spec_ops,
)
from allegro_async.testing.emulator.clock import EmulatorClock
from allegro_async.testing.emulator.front import Exchange as Exchange
from allegro_async.testing.emulator.front import Recorder as Recorder
from allegro_async.testing.emulator.front import _FrontMiddleware
from allegro_async.testing.emulator.http import (
    ApiError,
    OAuthError,
    json_response,
    media_type_of,
    require_user,
)
from allegro_async.testing.emulator.http import DropConnection as DropConnection
from allegro_async.testing.emulator.stats import EmulatorStats
from allegro_async.testing.emulator.tokens import DEFAULT_SCOPES, TokenIssuer
from allegro_async.testing.emulator.transport import EmulatorTransport as EmulatorTransport

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
    #: Redirect URIs the authorize page accepts exactly (S4); the first is the one the demo
    #: and the pytest fixtures use.
    redirect_uris: tuple[str, ...] = ("http://127.0.0.1/callback",)
    #: Also accept any loopback redirect URI (127.0.0.0/8, ``localhost``, ``[::1]``; any port
    #: and path), as a developer registers for a local backend. ``False``: the list only.
    loopback_redirects: bool = True
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
        #: Set to a :class:`Recorder` to capture exchanges (conformance checks in tests).
        self.recorder: Recorder | None = None
        self._route_cache: dict[tuple[str, str], str | None] = {}
        self.tokens = TokenIssuer(
            environment=config.environment, client_id=config.client_id, clock=self.clock
        )
        self.oauth = oauth.OAuthState(self)
        self.limits = limits.LimitsState(self)
        self.faults = faults.FaultsState(self)
        self.orders = orders.OrdersState(self)
        self.offers = offers.OffersState(self)
        self.catalogue = catalogue.CatalogueState(self)
        self.crud = crud.CrudState()
        # Every route the spec describes runs behind its checks; the operations no area
        # models get spec-driven answers (spec_ops).
        self._routes: list[BaseRoute] = spec_ops.mount([
            Route("/me", _me, methods=["GET"]),
            *admin.routes(),
            *oauth.routes(),
            *orders.routes(),
            *offers.routes(),
            *catalogue.routes(),
            *public.routes(),
        ])
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

    def seller_or_new(self, ref: int | str | Seller) -> Seller:
        """A seller by index, id or login, or a new seller for an unknown numeric id (any id
        a user's backend knows; its login is ``seller-<id>``). A numeric string below the
        number of sellers is an index."""
        if isinstance(ref, str) and ref.isdigit():
            try:
                return self.seller(ref)
            except KeyError:
                if int(ref) < len(self.sellers):
                    return self.sellers[int(ref)]
                return self.add_seller(ref)
        try:
            return self.seller(ref)
        except IndexError:
            raise KeyError(f"no seller {ref!r} in this emulator") from None

    def add_seller(self, seller_id: str, login: str | None = None) -> Seller:
        """Create a seller (its offers and orders are generated on first use, like every
        seller's); an id already known gives that seller."""
        if not seller_id.isdigit():
            raise ValueError(f"a seller id is a number, not {seller_id!r}")
        for known in self.sellers:
            if known.id == seller_id:
                return known
        login = login or f"seller-{seller_id}"
        seller = Seller(id=seller_id, login=login, email=f"{login}@example.com")
        self.sellers.append(seller)
        return seller

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

    def transport(self, *, raise_app_exceptions: bool = False) -> EmulatorTransport:
        """An httpx transport that calls this emulator in-process. A route's bug answers 500
        with an ``errors[]`` body unless ``raise_app_exceptions`` (for debugging the
        emulator)."""
        return EmulatorTransport(self, raise_app_exceptions=raise_app_exceptions)

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
        key = (scope["method"], scope["path"])
        cache = self._route_cache
        if key in cache:
            return cache[key]
        template = None
        for route in self._routes:
            found, _ = route.matches(scope)
            if found is Match.FULL and isinstance(route, Route):
                template = route.path
                break
        # Matching every route with regexes per request dominated the in-process cost; the
        # answer depends on method and path only, so remember it (bounded: ids vary).
        if len(cache) >= 8192:
            cache.clear()
        cache[key] = template
        return template


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
    return refusals.answer(request, exc)


async def _oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    body = json.dumps(exc.body).encode()
    # On API paths Allegro sends the OAuth-shaped AuthError with its vnd media type (spec);
    # the /auth endpoints answer plain JSON.
    api = not request.url.path.startswith(("/auth/", "/_emulator/"))
    media = media_type_of(request) if api else "application/json"
    return Response(body, status_code=exc.status, media_type=media)


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
