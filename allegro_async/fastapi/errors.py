"""Error handlers: the library's exceptions as HTTP answers a backend can give its own
clients. Installed with one call, :func:`install_error_handlers`.

======================================  ======  =====================================
raised                                  status  why
======================================  ======  =====================================
``InvalidArgumentError``                500     the backend's own bug: bad input reached
                                                the library (nothing was sent)
``SellerNotConnectedError``             404     no tokens for that seller: connect first
``ReauthorizationRequiredError``,       409     the seller must log in again (A5, S7)
other ``AuthorizationRequiredError``,
``AuthenticationError`` (401)
``AuthorizationError`` (code flow)      400     a stale or forged redirect, or refused
``RateLimitedError`` (Allegro's 429,   503     with ``Retry-After``: the expected wait
or ``ThrottleGiveUpError``: the client          (S1, S2, A1)
gave up at its closed gate), and a
``DeadlineExceededError`` in the
client's own throttle queue
``ClientClosedError``                   503     the app is shutting down (nothing sent)
``OperationNotFollowedError``           502     Allegro accepted a change (202) whose
                                                operation cannot be followed
``ServerError`` (5xx)                   502     Allegro failed
``TransportError``                      502     no answer (504 on a timeout)
``NotFoundError`` / 409 / 422           same    the resource's own answer (S12, S13, A9)
``PermissionDeniedError`` (403)         403     a scope missing or another seller's (S7)
other ``APIError``, response models     502     Allegro answered what we cannot serve
======================================  ======  =====================================

Every body is ``{"error", "message", "hint", "trace_id", "allegro_status"}`` (plus
``seller_id`` and ``connect_url`` when a seller must connect). ``allegro_status`` is the
status Allegro answered with, ``null`` when Allegro answered nothing (the client gave up
before sending, or no request was made). Messages come from the
exceptions' ``str()``, which is scrubbed of every token, code and secret the library knows.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from allegro_async._redact import scrub
from allegro_async.auth.flows import AuthorizationError
from allegro_async.errors import (
    AllegroError,
    APIError,
    AuthenticationError,
    AuthorizationRequiredError,
    ClientClosedError,
    ConflictError,
    DeadlineExceededError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    SellerNotConnectedError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)
from allegro_async.services.product_offers import OperationNotFollowedError

logger = logging.getLogger("allegro_async.fastapi")

#: Seconds in ``Retry-After`` for an Allegro 429 when the throttle cannot say more: a per-user
#: limit eases in about a second (S2); an app-wide block lasts a minute (S1).
USER_RETRY_AFTER = 1
APP_RETRY_AFTER = 60


def install_error_handlers(app: FastAPI, *, connect_url: str | None = "/allegro/connect") -> None:
    """Answer every :class:`~allegro_async.errors.AllegroError` raised in a route (or a
    dependency) per the table above. ``connect_url`` is where a seller starts onboarding; it
    goes into the body of the answers that ask a seller to connect."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AllegroError)
        status, body, headers = error_body(exc, connect_url=connect_url,
                                           retry_after=_retry_after(request, exc))
        if status >= 500 and not isinstance(exc, (RateLimitedError, ServerError,
                                                  TransportError)):
            logger.error("%s %s failed: %s", request.method, request.url.path,
                         body["message"], exc_info=exc)
        return JSONResponse(body, status_code=status, headers=headers)

    app.add_exception_handler(AllegroError, handle)


def error_body(
    exc: AllegroError, *, connect_url: str | None = None, retry_after: int | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, body, headers)`` for ``exc`` (what the handlers send)."""
    status, code = _status_and_code(exc)
    body: dict[str, Any] = {
        "error": code,
        "message": scrub(str(exc)).split("\nHint: ")[0],
        "hint": scrub(getattr(exc, "hint", None) or "") or None,
        "trace_id": getattr(exc, "trace_id", None),
        "allegro_status": exc.allegro_status if isinstance(exc, APIError) else None,
    }
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidArgumentError):
        body["hint"] = scrub(exc.fix)
    if status in (404, 409) and isinstance(exc, (AuthorizationRequiredError,
                                                 AuthenticationError)):
        seller_id = getattr(exc, "seller_id", None)
        body["seller_id"] = seller_id
        if connect_url is not None:
            body["connect_url"] = connect_url
            body["hint"] = (f"the seller must connect the app again: send them to "
                            f"{body['connect_url']}. " + (body["hint"] or "")).strip()
    if code == "rate_limited":
        if retry_after is None:
            retry_after = _expected_wait(exc)
        if retry_after is None:  # an Allegro 429 the throttle knew nothing more about
            retry_after = (USER_RETRY_AFTER if getattr(exc, "reason", None) == "user_limit"
                           else APP_RETRY_AFTER)
        headers["Retry-After"] = str(retry_after)
        if not body["hint"]:  # a deadline in the client's own queue: say what it means
            body["hint"] = (f"the client's own throttle held the request and nothing more was "
                            f"sent; retry in about {retry_after} s, or give the call a longer "
                            "timeout")
    return status, body, headers


def _status_and_code(exc: AllegroError) -> tuple[int, str]:
    if isinstance(exc, InvalidArgumentError):
        return 500, "invalid_argument"
    if isinstance(exc, SellerNotConnectedError):
        return 404, "seller_not_connected"
    if isinstance(exc, AuthorizationRequiredError):
        return 409, "reauthorization_required"
    if isinstance(exc, AuthorizationError):
        return 400, "authorization_failed"
    if isinstance(exc, RateLimitedError) or _local_wait(exc):
        return 503, "rate_limited"
    if isinstance(exc, ClientClosedError):
        return 503, "client_closed"
    if isinstance(exc, OperationNotFollowedError):
        return 502, "operation_not_followed"
    if isinstance(exc, AuthenticationError):
        return 409, "reauthorization_required"
    if isinstance(exc, ServerError):
        return 502, "allegro_unavailable"
    if isinstance(exc, RequestTimeoutError):
        return 504, "allegro_timeout"
    if isinstance(exc, TransportError):
        return 502, "allegro_unreachable"
    for cls, status, code in ((NotFoundError, 404, "not_found"), (ConflictError, 409, "conflict"),
                              (UnprocessableEntityError, 422, "unprocessable"),
                              (PermissionDeniedError, 403, "permission_denied")):
        if isinstance(exc, cls):
            return status, code
    return 502, "allegro_error"


def _local_wait(exc: AllegroError) -> bool:
    """A call's deadline that passed in the client's own throttle (its gate or queues), where
    the throttle knows the expected wait: the client is busy, Allegro did not time out."""
    return isinstance(exc, DeadlineExceededError) and exc.retry_after is not None


def _expected_wait(exc: AllegroError) -> int | None:
    """Whole seconds (at least 1) the throttle expects a retry to wait, when it said."""
    expected = getattr(exc, "retry_after", None)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return max(1, math.ceil(expected))
    return None


def _retry_after(request: Request, exc: AllegroError) -> int | None:
    """Seconds a retry can expect to wait: what the throttle said when it gave up, else for
    an Allegro 429 the time left on the block the throttle gave up on, else the gate's."""
    expected = _expected_wait(exc)
    if expected is not None:
        return expected
    if not isinstance(exc, RateLimitedError):
        return None
    blocked_for = getattr(exc, "blocked_for", None)
    if isinstance(blocked_for, (int, float)) and blocked_for > 0:
        return max(1, math.ceil(blocked_for))
    allegro = getattr(request.app.state, "allegro", None)
    throttle = getattr(allegro, "throttle", None)
    if throttle is None:
        return None
    left = throttle.gate.closed_until - throttle.clock()
    return max(1, math.ceil(left)) if left > 0 else None
