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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.flows import (
    AuthorizationCodeError,
    AuthorizationError,
    AuthorizationRequest,
)
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
    allowed_redirect_uris: Sequence[str] | None = None,
) -> APIRouter:
    """The two onboarding routes (include with ``app.include_router(onboarding_router())``).

    ``redirect_uri`` must equal the one registered for the app exactly (S4); default: the
    app's ``flows.redirect_uri`` (``ALLEGRO_REDIRECT_URI``). The request's ``Host`` header
    never picks it (anyone can send any ``Host``): without either, the app does not start
    (:class:`~allegro_async.errors.InvalidArgumentError` naming ``redirect_uri``), unless
    ``allowed_redirect_uris`` lists the callback URLs this router may serve (several hosts),
    and then a callback URL outside the list is refused. After a seller connects, their
    event consumer starts (when the lifespan runs consumers and ``start_consumer``) and
    ``await on_connected(seller_id)`` runs. The callback answers
    ``{"seller_id": ..., "connected": true}``, never a token.

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
    allowed = tuple(allowed_redirect_uris or ())
    if redirect_uri is not None and not redirect_uri.strip():
        raise InvalidArgumentError("redirect_uri", "is empty", _REDIRECT_FIX)

    @asynccontextmanager
    async def check_redirect(app: FastAPI) -> AsyncIterator[None]:
        # Runs inside allegro_lifespan (FastAPI nests an included router's lifespan): a
        # missing redirect URI stops the app at startup, not at a seller's first click.
        allegro = getattr(app.state, "allegro", None)
        if isinstance(allegro, AllegroApp):
            _configured_redirect(redirect_uri, allegro, allowed)
        yield

    router = APIRouter(prefix=prefix, lifespan=check_redirect)

    @router.get("/connect", name="allegro_connect")
    async def connect(request: Request, allegro: AllegroState) -> Response:
        """Send the seller to Allegro's authorize page, binding the flow to this browser."""
        redirect = _configured_redirect(redirect_uri, allegro, allowed)
        if redirect is None:  # only with an allow-list: the URL as seen, if listed
            seen = str(request.url_for("allegro_callback"))
            if seen not in allowed:
                raise InvalidArgumentError(
                    "Host", f"the callback URL {seen!r} is not in allowed_redirect_uris",
                    "open the connect route on one of the hosts listed in "
                    "allowed_redirect_uris, or add this URL there (and register it at Allegro)")
            redirect = seen
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
        try:
            token = await allegro.flows.finish_authorization(str(request.url), started)
        except AuthorizationCodeError as exc:
            if exc.reason != "expired_or_used":
                raise
            connect_url = request.url_for("allegro_connect").path
            raise AuthorizationCodeError.from_answer(exc, hint=(
                f"the authorization code expired or was used already (it lives about 10 "
                f"seconds and works once): start again at {connect_url}")) from None
        seller_id = await allegro.add_seller(token)
        consumers = getattr(request.app.state, "allegro_consumers", None)
        if consumers is not None and start_consumer:
            await consumers.start(seller_id)
        if on_connected is not None:
            await on_connected(seller_id)
        return {"seller_id": seller_id, "connected": True}

    return router


_REDIRECT_FIX = ("set ALLEGRO_REDIRECT_URI (or AllegroApp(redirect_uri=...), or "
                 "onboarding_router(redirect_uri=...)) to the redirect URI registered for the "
                 "app, exactly; or list the accepted callback URLs in "
                 "onboarding_router(allowed_redirect_uris=[...])")


def _configured_redirect(redirect_uri: str | None, allegro: AllegroApp,
                         allowed: tuple[str, ...]) -> str | None:
    """The redirect URI sent to Allegro: the router's, else the app's; ``None`` only when an
    allow-list lets the request's own callback URL be used. Never derived from ``Host``."""
    redirect = redirect_uri or allegro.flows.redirect_uri
    if redirect or allowed:
        return redirect or None
    raise InvalidArgumentError("redirect_uri", "is not configured for seller onboarding, and "
                               "the request's Host header must not choose it", _REDIRECT_FIX)
