"""Emulator: authorize, token (every grant), device endpoint (A3-A6, S4-S8).

Everything is kept in memory and timed with the emulator's clock, so a test can step over the
10-second code lifetime (S4) or the 60-second refresh grace (A5) with ``clock.advance()``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator import verification
from allegro_async.testing.emulator.http import OAuthError, emulator_of
from allegro_async.testing.emulator.limits import RATE_LIMIT_BODY, _Bucket
from allegro_async.testing.emulator.tokens import DEFAULT_SCOPES
from allegro_async.testing.emulator.verification import VERIFICATION_PATH

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator, Seller

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
S5_MESSAGE = "An authorization code must be supplied."
S6_MESSAGE = "Full authentication is required to access this resource"
INVALID_DEVICE_CODE = "Invalid device code"
#: The error number Allegro's page shows for a redirect_uri that is not registered (S4).
S4_ERROR_NUMBER = "9b5c7e1a"


@dataclass
class OAuthConfig:
    """Settings of the emulator's oauth area; times are emulated seconds.

    ``device_auto_approve_after``: approve a pending device code for ``approve_as`` after that
    many polls (``None``: only :meth:`OAuthState.approve_device` approves).
    """

    code_ttl: float = 10.0  # S4
    refresh_grace: float = 60.0  # A5: the old refresh token works about a minute more
    refresh_ttl: float = 90 * 24 * 3600.0  # A5: three months
    device_expires_in: int = 3600  # A4
    device_interval: int = 5  # A4
    device_auto_approve_after: int | None = None
    approve_as: int | str = 0
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    #: A2 (#5117): token generation is limited per user. Refresh and code grants for one
    #: seller beyond this rate (per minute, with ``token_user_burst`` at once) answer 429 in
    #: the A1 shape. ``None``: no limit (the default, so tests need not mind it).
    token_user_per_minute: float | None = None
    token_user_burst: float = 10.0


@dataclass
class _Code:
    user_id: str
    redirect_uri: str
    challenge: str | None
    expires_at: float


@dataclass
class _Refresh:
    user_id: str
    scopes: tuple[str, ...]
    expires_at: float
    rotated_at: float | None = None


@dataclass
class _Device:
    device_code: str
    user_code: str
    expires_at: float
    status: Literal["pending", "approved", "denied", "used"] = "pending"
    user_id: str | None = None
    polls: int = 0
    last_poll: float | None = None


@dataclass
class OAuthCounters:
    """What the token endpoint saw: requests per grant type, and each outcome (a per-user
    429 counts as ``"<grant>:rate_limited"`` in ``token_errors``)."""

    token_requests: Counter[str] = field(default_factory=Counter)
    token_errors: Counter[str] = field(default_factory=Counter)


class OAuthState:
    """The emulator's oauth data and behaviour.

    ``emulator.oauth.approve_as(seller)`` picks who the authorize page logs in as;
    ``approve_device(user_code, seller)`` / ``deny_device(user_code)`` answer a device code;
    ``counters.token_requests["refresh_token"]`` counts refresh requests.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.config: OAuthConfig = emulator.config.oauth
        self.counters = OAuthCounters()
        self._approver: int | str = self.config.approve_as
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._devices: dict[str, _Device] = {}
        self._user_codes: dict[str, str] = {}
        self._token_buckets: dict[str, _Bucket] = {}

    def _now(self) -> float:
        return self.emulator.clock.monotonic()

    # -- for tests and the demo -------------------------------------------------------------
    def approve_as(self, seller: int | str | Seller) -> None:
        """The seller the authorize page (and auto-approved device codes) log in as: an
        index, id or login, or any new numeric id (that seller is created)."""
        self._approver = self.emulator.seller_or_new(seller).id

    def redirect_allowed(self, redirect_uri: str) -> bool:
        """Whether the authorize page accepts ``redirect_uri`` (S4): one of the configured
        ``redirect_uris`` exactly, or, with ``loopback_redirects`` on, any ``http(s)`` URL
        on a loopback host (127.0.0.0/8, ``localhost``, ``[::1]``; any port and path)."""
        config = self.emulator.config
        if redirect_uri in config.redirect_uris:
            return True
        return config.loopback_redirects and is_loopback_url(redirect_uri)

    def approve_device(self, user_code: str, seller: int | str | Seller | None = None) -> None:
        """Approve a pending device code, as the seller would on the verification page."""
        device = self._device_by_user_code(user_code)
        device.status = "approved"
        device.user_id = self.emulator.seller(
            self._approver if seller is None else seller
        ).id

    def deny_device(self, user_code: str) -> None:
        """Deny a pending device code (A4 ``access_denied``)."""
        self._device_by_user_code(user_code).status = "denied"

    def issue_pair(self, user_id: str, scopes: tuple[str, ...] | None = None) -> dict[str, Any]:
        """A fresh access + refresh token pair for a seller, as the token endpoint answers."""
        return self._pair(user_id, scopes or self.config.scopes)

    def _device_by_user_code(self, user_code: str) -> _Device:
        device_code = self._user_codes.get(user_code)
        if device_code is None:
            raise KeyError(f"no device code with user_code {user_code!r}")
        return self._devices[device_code]

    def _pair(self, user_id: str | None, scopes: tuple[str, ...]) -> dict[str, Any]:
        issuer = self.emulator.tokens
        access = issuer.mint(user_id, scopes=scopes)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(issuer.access_ttl) - 1,
            "scope": " ".join(scopes),
            "allegro_api": True,
        }
        if user_id is not None:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = _Refresh(
                user_id, scopes, self._now() + self.config.refresh_ttl
            )
            body["refresh_token"] = refresh
        return body


def is_loopback_url(url: str) -> bool:
    """An absolute ``http``/``https`` URL, without user info or fragment, on a loopback
    host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.fragment or "@" in parts.netloc:
        return False
    host = (parts.hostname or "").rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def _error_page(number: str, text: str) -> Response:
    html = (
        "<!doctype html><title>Allegro - error</title><h1>Something went wrong</h1>"
        f"<p>{text}</p><p>Error number: {number}</p>"
    )
    return HTMLResponse(html, status_code=400)


async def _authorize(request: Request) -> Response:
    emulator = emulator_of(request)
    state = emulator.oauth
    q = request.query_params
    redirect_uri = q.get("redirect_uri", "")
    if q.get("client_id") != emulator.client_id:
        return _error_page("4f1d2a07", "Unknown client_id.")
    if not state.redirect_allowed(redirect_uri):  # S4: a registered one only
        return _error_page(S4_ERROR_NUMBER, "The redirect_uri does not match the registered one.")
    try:  # who logs in: ?seller= (index, id or login; a new numeric id creates the seller)
        user_id = emulator.seller_or_new(q.get("seller") or state._approver).id
    except KeyError:
        return _error_page("7c3e9d12", "Unknown seller: give an index, id or login.")
    params: dict[str, str] = {}
    if q.get("state") is not None:
        params["state"] = q["state"]
    if q.get("response_type") != "code":
        params["error"] = "unsupported_response_type"
    elif q.get("code_challenge") and q.get("code_challenge_method", "plain") != "S256":
        params.update(error="invalid_request", error_description="PKCE: only S256 is supported")
    else:
        code = secrets.token_urlsafe(24)
        state._codes[code] = _Code(
            user_id, redirect_uri, q.get("code_challenge"), state._now() + state.config.code_ttl
        )
        params["code"] = code
    return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)


async def _device(request: Request) -> Response:
    emulator = emulator_of(request)
    state = emulator.oauth
    _check_basic(request, emulator)
    form = await _form(request)
    if form.get("client_id") not in (None, emulator.client_id):
        raise OAuthError(400, "invalid_client", "Unknown client_id")
    device_code = secrets.token_urlsafe(24)
    user_code = secrets.token_hex(4).upper()
    state._devices[device_code] = _Device(
        device_code, user_code, state._now() + state.config.device_expires_in
    )
    state._user_codes[user_code] = device_code
    base = str(request.base_url).rstrip("/")
    return JSONResponse({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": f"{base}{VERIFICATION_PATH}",
        "verification_uri_complete": f"{base}{VERIFICATION_PATH}?code={user_code}",
        "expires_in": state.config.device_expires_in,
        "interval": state.config.device_interval,
    })


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


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return [
        Route("/auth/oauth/authorize", _authorize, methods=["GET"]),
        Route("/auth/oauth/token", _token, methods=["POST"]),
        Route("/auth/oauth/device", _device, methods=["POST"]),
        *verification.routes(),  # where verification_uri leads: approve or deny a code (A4)
    ]
