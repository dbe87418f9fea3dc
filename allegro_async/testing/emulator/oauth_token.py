"""Emulator: the token endpoint (POST /auth/oauth/token) and what it shares with the device
endpoint: HTTP Basic client authentication (S6), the form body (A3), each grant (the code with
PKCE, S4/S5; the refresh with A5's rotation grace; client credentials; the device code, A4),
and the per-user token rate (A2).

Served by :mod:`allegro_async.testing.emulator.oauth`, which holds the state it reads and
re-exports the messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from allegro_async.testing.emulator.http import OAuthError, emulator_of
from allegro_async.testing.emulator.limits import RATE_LIMIT_BODY, _Bucket

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator
    from allegro_async.testing.emulator.oauth import OAuthState

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
S5_MESSAGE = "An authorization code must be supplied."
S6_MESSAGE = "Full authentication is required to access this resource"
INVALID_DEVICE_CODE = "Invalid device code"


def _check_basic(request: Request, emulator: Emulator) -> None:
    """HTTP Basic ``client_id:client_secret`` or the S6 answer."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(401, "unauthorized", S6_MESSAGE)
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "unauthorized", S6_MESSAGE) from None
    ok = hmac.compare_digest(client_id, emulator.client_id) and hmac.compare_digest(
        secret, emulator.client_secret
    )
    if not ok:
        raise OAuthError(401, "unauthorized", S6_MESSAGE)


async def _form(request: Request) -> dict[str, str]:
    """The form body; parameters in the query string are refused (A3, since September 2025)."""
    if request.query_params:
        raise OAuthError(401, "unauthorized", S6_MESSAGE)
    # Parsed by hand: starlette's form parser needs python-multipart, which is not a dependency.
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise OAuthError(401, "unauthorized", S6_MESSAGE)
    raw = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _token(request: Request) -> Response:
    emulator = emulator_of(request)
    state = emulator.oauth
    try:
        return await _token_grant(request, emulator)
    except _TokenRateLimited:
        state.counters.token_errors[f"{grant_of(request, state)}:rate_limited"] += 1
        emulator.stats.rate_limited["token_user"] += 1
        return Response(RATE_LIMIT_BODY, status_code=429, media_type="application/json")


class _TokenRateLimited(Exception):
    """A seller asked for tokens faster than ``token_user_per_minute`` (A2, #5117)."""


def grant_of(request: Request, state: OAuthState) -> str:
    """The grant type of the token request being answered (kept by :func:`_token_grant`)."""
    return str(request.scope.get("allegro.grant", "?"))


def _check_token_rate(state: OAuthState, user_id: str) -> None:
    rate = state.config.token_user_per_minute
    if rate is None:
        return
    bucket = state._token_buckets.get(user_id)
    if bucket is None:
        bucket = state._token_buckets[user_id] = _Bucket(rate / 60.0, state.config.token_user_burst)
    now = state._now()
    if bucket.delay(now, 1.0) > 0:
        raise _TokenRateLimited
    bucket.take(now, 1.0)


async def _token_grant(request: Request, emulator: Emulator) -> Response:
    state = emulator.oauth
    grant = (request.query_params.get("grant_type") or "?") if request.query_params else "?"
    try:
        _check_basic(request, emulator)
        form = await _form(request)
        grant = form.get("grant_type", "?")
        request.scope["allegro.grant"] = grant
        state.counters.token_requests[grant] += 1
        if grant == "authorization_code":
            body = _grant_code(state, form)
        elif grant == "refresh_token":
            body = _grant_refresh(state, form)
        elif grant == "client_credentials":
            body = state._pair(None, state.config.scopes)
        elif grant == DEVICE_GRANT:
            body = _grant_device(state, form)
        else:
            raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    except OAuthError as exc:
        state.counters.token_errors[f"{grant}:{exc.body['error']}"] += 1
        raise
    return JSONResponse(body)


def _grant_code(state: OAuthState, form: dict[str, str]) -> dict[str, Any]:
    code = form.get("code")
    if not code:
        raise OAuthError(400, "invalid_request", S5_MESSAGE)
    record = state._codes.get(code)
    if record is not None:
        _check_token_rate(state, record.user_id)  # before the code is used up (A2)
    record = state._codes.pop(code, None)  # one use only
    if record is None or record.expires_at <= state._now():
        raise OAuthError(400, "invalid_grant", "Invalid authorization code")
    if form.get("redirect_uri") != record.redirect_uri:
        raise OAuthError(400, "invalid_grant", "Redirect URI mismatch.")
    if record.challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier or not hmac.compare_digest(_s256(verifier), record.challenge):
            raise OAuthError(400, "invalid_grant", "Invalid code verifier")
    return state._pair(record.user_id, state.config.scopes)


def _grant_refresh(state: OAuthState, form: dict[str, str]) -> dict[str, Any]:
    token = form.get("refresh_token", "")
    record = state._refresh.get(token)
    now = state._now()
    if record is None or record.expires_at <= now:
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")
    if record.rotated_at is not None and now - record.rotated_at > state.config.refresh_grace:
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")  # A5
    _check_token_rate(state, record.user_id)  # a 429 leaves the refresh token unused (A2)
    if record.rotated_at is None:
        record.rotated_at = now
    return state._pair(record.user_id, record.scopes)


def _grant_device(state: OAuthState, form: dict[str, str]) -> dict[str, Any]:
    device = state._devices.get(form.get("device_code", ""))
    now = state._now()
    if device is None or device.status == "used" or device.expires_at <= now:
        raise OAuthError(400, "invalid_request", INVALID_DEVICE_CODE)
    device.polls += 1
    interval = state.config.device_interval
    too_fast = device.last_poll is not None and now - device.last_poll < interval
    device.last_poll = now
    auto = state.config.device_auto_approve_after
    if device.status == "pending" and auto is not None and device.polls > auto:
        device.status = "approved"
        device.user_id = state.emulator.seller(state._approver).id
    if device.status == "denied":
        raise OAuthError(400, "access_denied", "The user denied the request")
    if device.status == "pending":
        if too_fast:
            raise OAuthError(400, "slow_down", "Polling too fast")
        raise OAuthError(400, "authorization_pending", "Authorization pending")
    device.status = "used"
    assert device.user_id is not None
    return state._pair(device.user_id, state.config.scopes)
