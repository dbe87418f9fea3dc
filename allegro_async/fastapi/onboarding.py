"""Seller onboarding: the authorization-code flow with PKCE S256 and ``state`` as two routes,
``GET {prefix}/connect`` (redirect to Allegro's authorize page) and ``GET {prefix}/callback``
(check the state, exchange the code at once, S4, and save the pair under its ``user_name``).
The flows themselves are :class:`~allegro_async.auth.flows.OAuthFlows`."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from allegro_async.auth.flows import AuthorizationError, AuthorizationRequest
from allegro_async.errors import InvalidArgumentError
from allegro_async.fastapi.lifespan import AllegroState


class PendingAuthorizations:
    """Authorizations started and not yet finished, by ``state``: in memory, at most
    ``max_pending``, each for ``ttl`` seconds. The PKCE verifier never leaves the server.

    One process only: behind several workers, route the callback to the worker that sent the
    seller out (or give each worker its own redirect URI), or subclass with shared storage.
    """

    def __init__(self, *, ttl: float = 600.0, max_pending: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl <= 0 or max_pending < 1:
            raise InvalidArgumentError("ttl", "need ttl > 0 and max_pending >= 1",
                                       "e.g. PendingAuthorizations(ttl=600, max_pending=10000)")
        self._ttl, self._max, self._clock = ttl, max_pending, clock
        self._items: OrderedDict[str, tuple[float, AuthorizationRequest]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:  # states are one-time secrets: not shown
        return f"<PendingAuthorizations {len(self._items)} pending>"

    def add(self, request: AuthorizationRequest) -> None:
        """Remember ``request`` until its callback (the oldest go first past ``max_pending``)."""
        self._expire()
        self._items[request.state] = (self._clock() + self._ttl, request)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def pop(self, state: str) -> AuthorizationRequest | None:
        """The request started with ``state``, once (``None`` if unknown or expired)."""
        self._expire()
        found = self._items.pop(state, None)
        return None if found is None else found[1]

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            state, (deadline, _) = next(iter(self._items.items()))
            if deadline > now:
                break
            del self._items[state]


def onboarding_router(
    *,
    prefix: str = "/allegro",
    scopes: Sequence[str] | None = None,
    redirect_uri: str | None = None,
    pending: PendingAuthorizations | None = None,
    on_connected: Callable[[str], Awaitable[Any]] | None = None,
    start_consumer: bool = True,
) -> APIRouter:
    """The two onboarding routes (include with ``app.include_router(onboarding_router())``).

    ``redirect_uri`` must equal the one registered for the app exactly (S4); default: the
    app's ``flows.redirect_uri`` (``ALLEGRO_REDIRECT_URI``), else this router's callback URL
    as the request sees it. After a seller connects, their event consumer starts (when the
    lifespan runs consumers and ``start_consumer``) and ``await on_connected(seller_id)``
    runs. The callback answers ``{"seller_id": ..., "connected": true}``, never a token.
    """
    waiting = pending if pending is not None else PendingAuthorizations()
    router = APIRouter(prefix=prefix)

    @router.get("/connect", name="allegro_connect")
    async def connect(request: Request, allegro: AllegroState) -> RedirectResponse:
        """Send the seller to Allegro's authorize page."""
        redirect = (redirect_uri or allegro.flows.redirect_uri
                    or str(request.url_for("allegro_callback")))
        started = allegro.flows.authorization_url(redirect_uri=redirect, scopes=scopes)
        waiting.add(started)
        return RedirectResponse(started.url, status_code=302)

    @router.get("/callback", name="allegro_callback")
    async def callback(request: Request, allegro: AllegroState) -> dict[str, Any]:
        """Where Allegro sends the seller back: exchange the code and save the pair."""
        state = request.query_params.get("state")
        started = waiting.pop(state) if state else None
        if started is None:
            raise AuthorizationError(
                "the state of this callback is unknown or expired",
                hint="start again at the connect route; a redirect is good for one use, "
                     "within 10 minutes, and only in the process that sent the seller out",
            )
        # At once, before anything else: the code lives about 10 seconds (S4).
        token = await allegro.flows.finish_authorization(str(request.url), started)
        seller_id = await allegro.add_seller(token)
        consumers = getattr(request.app.state, "allegro_consumers", None)
        if consumers is not None and start_consumer:
            await consumers.start(seller_id)
        if on_connected is not None:
            await on_connected(seller_id)
        return {"seller_id": seller_id, "connected": True}

    return router
