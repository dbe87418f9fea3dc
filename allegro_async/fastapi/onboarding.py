"""Seller onboarding: the authorization-code flow with PKCE S256 and ``state`` as two routes,
``GET {prefix}/connect`` (redirect to Allegro's authorize page) and ``GET {prefix}/callback``
(check the state and the browser, exchange the code at once, S4, and save the pair under its
``user_name``). The flows themselves are :class:`~allegro_async.auth.flows.OAuthFlows`; where
started flows wait is a :class:`~allegro_async.fastapi.pending.PendingStore`.

The flow is bound to the browser that started it: ``/connect`` sets an HttpOnly, SameSite=Lax
cookie holding a random value whose SHA-256 is stored with the flow, and ``/callback`` without
the matching cookie is refused (400). A callback URL sent to someone else's browser therefore
cannot connect the sender's Allegro account to the victim's session (login CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from allegro_async.auth.flows import AuthorizationError, AuthorizationRequest
from allegro_async.errors import InvalidArgumentError
from allegro_async.fastapi.lifespan import AllegroState
from allegro_async.fastapi.pending import (
    PendingAuthorizations,
    PendingFlow,
    PendingStore,
    TooManyPendingError,
)

#: The browser-binding cookie (HttpOnly, SameSite=Lax, Secure over https, path = the prefix).
BINDING_COOKIE = "allegro_onboarding"
_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")


def _digest(binding: str) -> str:
    return hashlib.sha256(binding.encode("ascii")).hexdigest()


def client_address(request: Request) -> str:
    """The default ``client_key``: the peer's IP (behind a proxy, run uvicorn with
    ``--proxy-headers`` and ``--forwarded-allow-ips`` so this is the browser's)."""
    return request.client.host if request.client else "unknown"


def onboarding_router(
    *,
    prefix: str = "/allegro",
    scopes: Sequence[str] | None = None,
    redirect_uri: str | None = None,
    pending: PendingStore | None = None,
    on_connected: Callable[[str], Awaitable[Any]] | None = None,
    start_consumer: bool = True,
    client_key: Callable[[Request], str] = client_address,
) -> APIRouter:
    """The two onboarding routes (include with ``app.include_router(onboarding_router())``).

    ``redirect_uri`` must equal the one registered for the app exactly (S4); default: the
    app's ``flows.redirect_uri`` (``ALLEGRO_REDIRECT_URI``), else this router's callback URL
    as the request sees it. After a seller connects, their event consumer starts (when the
    lifespan runs consumers and ``start_consumer``) and ``await on_connected(seller_id)``
    runs. The callback answers ``{"seller_id": ..., "connected": true}``, never a token.

    ``pending`` keeps started flows: :class:`PendingAuthorizations` (memory, the default) for
    one worker, :class:`~allegro_async.fastapi.pending.RedisPendingAuthorizations` (or
    ``SqlPendingAuthorizations`` from ``allegro_async.stores.sql_pending``) when callbacks may
    land on another worker or host. Past its caps ``/connect`` answers 429 (one
    ``client_key``, by default the client IP, started too many) or 503 (too many pending in
    all), with ``Retry-After``; no pending flow is ever pushed out.
    """
    waiting = pending if pending is not None else PendingAuthorizations()
    if not isinstance(waiting, PendingStore):
        raise InvalidArgumentError(
            "pending", f"{type(waiting).__name__} has no async put/take and ttl",
            "pass PendingAuthorizations(), RedisPendingAuthorizations(url) or "
            "SqlPendingAuthorizations(url)")
    router = APIRouter(prefix=prefix)

    @router.get("/connect", name="allegro_connect")
    async def connect(request: Request, allegro: AllegroState) -> Response:
        """Send the seller to Allegro's authorize page, binding the flow to this browser."""
        redirect = (redirect_uri or allegro.flows.redirect_uri
                    or str(request.url_for("allegro_callback")))
        binding = request.cookies.get(BINDING_COOKIE, "")
        if not _BINDING.fullmatch(binding):  # kept when valid: two tabs share one binding
            binding = secrets.token_urlsafe(32)
        started = allegro.flows.authorization_url(redirect_uri=redirect, scopes=scopes)
        try:
            await waiting.put(PendingFlow(started.state, started.code_verifier,
                                          started.redirect_uri, _digest(binding)),
                              client=client_key(request))
        except TooManyPendingError as exc:
            return JSONResponse(
                {"error": "too_many_pending_authorizations", "message": str(exc),
                 "hint": "finish or abandon the authorizations already started, then retry"},
                status_code=exc.status, headers={"Retry-After": str(exc.retry_after)})
        response = RedirectResponse(started.url, status_code=302)
        response.set_cookie(BINDING_COOKIE, binding, max_age=int(waiting.ttl), httponly=True,
                            samesite="lax", secure=request.url.scheme == "https",
                            path="/")
        return response

    @router.get("/callback", name="allegro_callback")
    async def callback(request: Request, allegro: AllegroState) -> dict[str, Any]:
        """Where Allegro sends the seller back: exchange the code and save the pair."""
        state = request.query_params.get("state")
        flow = await waiting.take(state) if state else None
        if flow is None:
            raise AuthorizationError(
                "the state of this callback is unknown or expired",
                hint="start again at the connect route; a redirect is good for one use, "
                     f"within {int(waiting.ttl)} seconds",
            )
        binding = request.cookies.get(BINDING_COOKIE, "")
        if not _BINDING.fullmatch(binding) or not hmac.compare_digest(_digest(binding),
                                                                      flow.binding):
            raise AuthorizationError(
                "this callback was not started in this browser (its onboarding cookie is "
                "missing or different), so it is refused",
                hint="open the connect link and finish on Allegro's page in the same browser, "
                     "with cookies allowed for this site; a callback link sent by someone "
                     "else never connects an account",
            )
        started = AuthorizationRequest(url="", state=flow.state, code_verifier=flow.code_verifier,
                                       redirect_uri=flow.redirect_uri)
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
