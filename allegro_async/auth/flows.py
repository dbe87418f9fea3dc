"""The OAuth2 flows Allegro offers (A3, A4), built on authlib's primitives over httpx.

authlib makes the PKCE pair, the state and the HTTP Basic client authentication; the requests go
out through an ``httpx.AsyncClient`` on the transport you give (the network, the emulator, the
client's throttled stack), always as a form-encoded POST body with Basic auth, as Allegro
requires (A3, S6). Every code, token and secret is registered with the redactor at once, and
held in a :class:`~allegro_async._redact.Secret` inside the library: a frame's locals, printed
by an error reporter, show ``Secret('***')``. A secret is unwrapped only in the expression that
sends it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from allegro_async import _redact
from allegro_async._http import AsyncBaseTransport, AsyncClient, Response, httpx
from allegro_async._redact import Secret

# The ways a flow ends without a token are written in a module of their own; public here.
from allegro_async.auth._flow_errors import AuthorizationCodeError as AuthorizationCodeError
from allegro_async.auth._flow_errors import AuthorizationError as AuthorizationError
from allegro_async.auth._flow_errors import DeviceAccessDenied as DeviceAccessDenied
from allegro_async.auth._flow_errors import DeviceCodeExpired as DeviceCodeExpired
from allegro_async.auth._flow_errors import DeviceFlowError as DeviceFlowError
from allegro_async.auth._flow_errors import s4_hint as s4_hint
from allegro_async.auth._wire import (
    basic_header,
    form_body,
    query_of,
    register_tokens,
    token_error,
)
from allegro_async.auth.tokens import Token
from allegro_async.client import USER_AGENT
from allegro_async.config import Environment
from allegro_async.errors import (
    APIError,
    BadRequestError,
    InvalidArgumentError,
    TransportError,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: What Allegro answers to a token request without a usable ``code`` (S5).
S5_TEXT = "An authorization code must be supplied"



@dataclass(frozen=True)
class AuthorizationRequest:
    """What :meth:`OAuthFlows.authorization_url` made: open ``url`` in the seller's browser,
    keep the rest for :meth:`OAuthFlows.finish_authorization`."""

    url: str = field(repr=False)
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str = ""


@dataclass(frozen=True)
class DeviceAuthorization:
    """The answer of the device endpoint (A4). Show ``verification_uri_complete`` (or
    ``verification_uri`` and ``user_code``) to the seller."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int = 3600
    interval: int = 5


#: What the device flow calls to show the seller where to go.
DevicePrompt = Callable[[DeviceAuthorization], Awaitable[None] | None]


class OAuthFlows:
    """Allegro's OAuth2 flows for one app (client id and secret) in one environment.

    ::

        flows = OAuthFlows(client_id, client_secret, environment="sandbox",
                           redirect_uri="http://127.0.0.1:8765/callback")
        token = await flows.device_flow(on_prompt=lambda d: print(d.verification_uri_complete))

    Args:
        transport: the httpx transport for token requests (default: the network). Pass the
            client's stack or ``emulator.transport()``.
        sleep: how the device flow waits between polls (inject a fake clock in tests).
        clock: the time source for ``expires_at`` (epoch seconds).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str | Secret[str],
        *,
        environment: Environment | str = "production",
        redirect_uri: str | None = None,
        transport: AsyncBaseTransport | None = None,
        http_client: AsyncClient | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        client_secret = Secret.wrap(client_secret)  # from here no local holds it bare
        if not client_id or not client_id.strip():
            raise InvalidArgumentError("client_id", "is empty", "give the app's Client ID")  # S6
        if ":" in client_id or client_id != client_id.strip():
            # HTTP Basic joins id and secret with ':': such an id can only end in S6.
            raise InvalidArgumentError(
                "client_id", "contains ':' or surrounding whitespace",
                "copy the Client ID exactly as shown in the app's settings",  # S6
            )
        if not client_secret.reveal().strip():
            raise InvalidArgumentError(
                "client_secret", "is empty", "give the app's Client Secret"  # S6
            )
        _redact.pin(client_secret.reveal())  # lives as long as the app: never dropped
        _redact.protect_library_loggers()  # children of ours made since import get the filter too
        self.client_id = client_id
        self._secret = client_secret
        self.environment = Environment.coerce(environment)
        self.redirect_uri = redirect_uri
        self._basic = basic_header(client_id, client_secret)
        self._http = http_client or AsyncClient(
            transport=transport, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        self._owns_http = http_client is None
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"OAuthFlows(client_id={self.client_id!r}, environment={self.environment.name!r})"

    async def aclose(self) -> None:
        """Close the HTTP client (if the flows made it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> OAuthFlows:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- authorization code with PKCE (A3, S4) ---------------------------------------------
    def authorization_url(
        self, *, redirect_uri: str | None = None, scopes: Sequence[str] | None = None,
        state: str | None = None,
    ) -> AuthorizationRequest:
        """The authorize URL with a fresh ``state`` and a PKCE S256 challenge.

        ``redirect_uri`` must equal the one registered for the app exactly (S4).
        """
        redirect = redirect_uri or self.redirect_uri
        if not redirect:
            raise InvalidArgumentError(
                "redirect_uri", "is not set",
                "pass redirect_uri= exactly as registered for the app",  # S4
            )
        verifier = Secret(generate_token(64))
        state = state or generate_token(32)
        params: list[tuple[str, str]] = [
            ("response_type", "code"),
            ("client_id", self.client_id),
            ("redirect_uri", redirect),
            ("state", state),
            ("code_challenge", create_s256_code_challenge(verifier.reveal())),
            ("code_challenge_method", "S256"),
        ]
        if scopes:
            params.append(("scope", " ".join(scopes)))
        url = add_params_to_uri(self.environment.authorize_url, params)
        return AuthorizationRequest(url, state, verifier.reveal(), redirect)

    def code_from_redirect(
        self, redirect_url: str | Secret[str], request: AuthorizationRequest
    ) -> str:
        """The ``code`` in the URL the browser was sent back to, after checking ``state``."""
        return self._code_in(Secret.wrap(redirect_url), request).reveal()

    def _code_in(self, redirect_url: Secret[str], request: AuthorizationRequest) -> Secret[str]:
        query = query_of(redirect_url)
        state = query.get("state", [None])[0]
        if state is None or state.reveal() != request.state:
            raise AuthorizationError(
                "the state in the redirect does not match the one sent",
                hint="start again from authorization_url(); a stale or forged redirect",
            )
        if "error" in query:
            error = query["error"][0].reveal()
            detail = (query.get("error_description") or [Secret("")])[0].reveal()
            raise AuthorizationError(f"authorization failed: {error} {detail}".strip(),
                                     error=error)
        codes = query.get("code")
        if not codes:
            raise AuthorizationError("the redirect carries no code")
        return codes[0]

    async def exchange_code(
        self, code: str | Secret[str], request: AuthorizationRequest | None = None, *,
        code_verifier: str | Secret[str] | None = None, redirect_uri: str | None = None,
    ) -> Token:
        """Exchange an authorization code for a token pair. Do it at once: a code lives about
        10 seconds (S4). Raises :class:`AuthorizationCodeError` when Allegro refuses the code
        (expired, used already, another redirect URI or verifier)."""
        code = Secret.wrap(code)  # from here no local holds the code or the verifier bare
        code_verifier = Secret.wrap(code_verifier) if code_verifier else None
        if not code.reveal().strip():
            raise InvalidArgumentError(
                "code", "is empty",
                f"Allegro would answer {S5_TEXT!r}; pass the 'code' query parameter of "
                "the redirect (or use finish_authorization(redirect_url, request))",
            )
        verifier = code_verifier or (Secret(request.code_verifier) if request else None)
        redirect = redirect_uri or (request.redirect_uri if request else None) or self.redirect_uri
        if not redirect or not redirect.strip():
            raise InvalidArgumentError(
                "redirect_uri", "is not set",
                "send the redirect_uri of the authorization request, exactly as registered "
                "for the app (pass request= or redirect_uri=)",
            )
        form: dict[str, str | Secret[str]] = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
        if verifier:
            form["code_verifier"] = verifier
        try:
            return await self._token_request(form)
        except BadRequestError as exc:
            if exc.oauth_error != "invalid_grant":
                raise
            # Not the refresh-token hint: no refresh token was involved.
            raise AuthorizationCodeError.from_answer(exc) from None

    async def finish_authorization(
        self, redirect_url: str | Secret[str], request: AuthorizationRequest
    ) -> Token:
        """Check the redirect and exchange its code in one step."""
        redirect_url = Secret.wrap(redirect_url)  # the URL carries the code
        return await self.exchange_code(self._code_in(redirect_url, request), request)

    async def follow_authorization(self, request: AuthorizationRequest) -> str:
        """GET the authorize URL without a browser and return the redirect it answers with.

        Works where the page approves by itself (the emulator, a test double); on Allegro a
        seller has to log in. Raises :class:`AuthorizationError` with the S4 hint when the page
        shows an error number instead of redirecting.
        """
        try:
            response = await self._http.get(
                request.url, follow_redirects=False, headers={"User-Agent": USER_AGENT}
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}", method="GET",
                                 path=urlsplit(request.url).path) from exc
        location = response.headers.get("location")
        if response.status_code in (301, 302, 303, 307) and location:
            return str(location)
        excerpt = " ".join(response.text.split())[-120:]
        raise AuthorizationError(
            f"the authorize page answered {response.status_code}: {excerpt}",
            hint=s4_hint(request.redirect_uri),
        )

    # -- device flow (A4) -------------------------------------------------------------------
    async def start_device(self) -> DeviceAuthorization:
        """Ask for a device code (A4)."""
        response = await self._post(self.environment.device_url, {"client_id": self.client_id})
        data = response.json()
        device_code = Secret(str(data.pop("device_code", "")))  # not left in ``data``
        if not device_code:
            raise KeyError("device_code")
        return DeviceAuthorization(
            device_code=device_code.reveal(),
            user_code=str(data["user_code"]),
            verification_uri=str(data["verification_uri"]),
            verification_uri_complete=str(data.get("verification_uri_complete")
                                          or data["verification_uri"]),
            expires_in=int(data.get("expires_in", 3600)),
            interval=int(data.get("interval", 5)),
        )

    async def poll_device(self, device: DeviceAuthorization) -> Token:
        """Poll the token endpoint until the seller decides (A4): wait ``interval`` on
        ``authorization_pending``, 5 s longer from then on after ``slow_down``; raise
        :class:`DeviceAccessDenied` or :class:`DeviceCodeExpired` when it ends without one."""
        if not device.device_code:
            raise InvalidArgumentError(
                "device.device_code", "is empty", "use the DeviceAuthorization of start_device()"
            )
        if device.interval < 0 or device.expires_in <= 0:
            raise InvalidArgumentError(
                "device", f"interval={device.interval}, expires_in={device.expires_in}",
                "use the DeviceAuthorization of start_device() (interval >= 0, expires_in > 0)",
            )
        interval = float(device.interval)
        deadline = self._clock() + device.expires_in
        form: dict[str, str | Secret[str]] = {
            "grant_type": DEVICE_GRANT, "device_code": Secret(device.device_code)}
        while True:
            await self._sleep(interval)
            if self._clock() >= deadline:
                raise DeviceCodeExpired(
                    f"the device code expired after {device.expires_in} s without an answer"
                )
            try:
                return await self._token_request(form)
            except APIError as exc:
                if exc.oauth_error == "authorization_pending":
                    continue
                if exc.oauth_error == "slow_down":
                    interval += 5  # RFC 8628: every slow_down adds five seconds
                    continue
                if exc.oauth_error == "access_denied":
                    raise DeviceAccessDenied("the seller denied access") from exc
                if exc.mentions("invalid device code"):
                    raise DeviceCodeExpired(
                        "the device code was used already or expired; start again"
                    ) from exc
                raise

    async def device_flow(self, on_prompt: DevicePrompt | None = None) -> Token:
        """The whole device flow: ask for a code, show it via ``on_prompt``, poll (A4)."""
        device = await self.start_device()
        if on_prompt is not None:
            shown = on_prompt(device)
            if shown is not None:
                await shown
        return await self.poll_device(device)

    # -- app token and refresh (A5, A6) -----------------------------------------------------
    async def client_credentials(self) -> Token:
        """An app token (no ``user_name``): only for public resources (A6)."""
        return await self._token_request({"grant_type": "client_credentials"})

    async def refresh(self, refresh_token: str | Secret[str]) -> Token:
        """Exchange a refresh token for a new pair. The old refresh token stops working about
        a minute later (A5): save the new pair before using it."""
        refresh_token = Secret.wrap(refresh_token)  # from here no local holds it bare
        if not refresh_token.reveal().strip():
            raise InvalidArgumentError(
                "refresh_token", "is empty", "log the seller in again (device or code flow)"
            )
        _redact.register(refresh_token.reveal(), long_lived=True)
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    # -- HTTP -------------------------------------------------------------------------------
    async def _token_request(self, form: Mapping[str, str | Secret[str]]) -> Token:
        response = await self._post(self.environment.token_url, form)
        token = Token.from_response(
            response.json(), now=self._clock(), environment=self.environment.name
        )
        return token

    async def _post(self, url: str, form: Mapping[str, str | Secret[str]]) -> Response:
        path = urlsplit(url).path
        # Body and Basic header unwrapped inside the one expression that builds the request:
        # no local of this frame holds them (the request's repr shows neither).
        request = self._http.build_request(
            "POST", url, content=form_body(form).reveal(), headers={
                # The User-Agent per request too: a caller's http_client has its own defaults.
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json", "User-Agent": USER_AGENT,
                "Authorization": self._basic.reveal(),  # client_secret_basic (S6)
            })
        try:
            response = await self._http.send(request)
            await response.aread()
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}", method="POST", path=path) from exc
        if response.status_code >= 400:
            raise token_error(response, path)
        register_tokens(response)
        return response
