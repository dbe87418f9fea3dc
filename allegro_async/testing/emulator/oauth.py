"""Emulator: authorize, token (every grant), device endpoint (A3-A6, S4-S8).

Everything is kept in memory and timed with the emulator's clock, so a test can step over the
10-second code lifetime (S4) or the 60-second refresh grace (A5) with ``clock.advance()``.
The token endpoint's grants are written in :mod:`~allegro_async.testing.emulator.oauth_token`.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator import verification
from allegro_async.testing.emulator.http import OAuthError, emulator_of
from allegro_async.testing.emulator.limits import _Bucket
from allegro_async.testing.emulator.oauth_token import DEVICE_GRANT as DEVICE_GRANT
from allegro_async.testing.emulator.oauth_token import INVALID_DEVICE_CODE as INVALID_DEVICE_CODE
from allegro_async.testing.emulator.oauth_token import S5_MESSAGE as S5_MESSAGE
from allegro_async.testing.emulator.oauth_token import S6_MESSAGE as S6_MESSAGE
from allegro_async.testing.emulator.oauth_token import _check_basic, _form, _token
from allegro_async.testing.emulator.oauth_token import grant_of as grant_of
from allegro_async.testing.emulator.tokens import DEFAULT_SCOPES
from allegro_async.testing.emulator.verification import VERIFICATION_PATH

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator, Seller

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




def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return [
        Route("/auth/oauth/authorize", _authorize, methods=["GET"]),
        Route("/auth/oauth/token", _token, methods=["POST"]),
        Route("/auth/oauth/device", _device, methods=["POST"]),
        *verification.routes(),  # where verification_uri leads: approve or deny a code (A4)
    ]
