"""``RefreshingAuth``: the bearer token as an ``httpx.Auth`` that refreshes it safely (A5).

One auth serves one key of a :class:`~allegro_async.auth.tokens.TokenStore` (one seller). It
refreshes ahead of expiry (``margin``) and once after a 401 for an expired token. Refreshes are
single flight: concurrent requests on an expired token wait for one refresh, and across
processes the store's ``lock(key)`` plus a re-read means a pair refreshed elsewhere is used
instead of refreshed again (which would break the session, A5). The new pair is saved before
any request uses it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, Protocol

import anyio

from allegro_async._http import Auth, Request, Response
from allegro_async.auth.checks import check_request
from allegro_async.auth.tokens import Token, TokenStore
from allegro_async.errors import (
    APIError,
    InvalidArgumentError,
    ReauthorizationRequiredError,
    SellerNotConnectedError,
    ServerError,
    TransportError,
    parse_error_body,
)

logger = logging.getLogger("allegro_async")

_LOG_IN_AGAIN = (
    "log the seller in again (device or code flow: allegro-async login, OAuthFlows) and save "
    "the new pair under this key (AllegroApp.add_seller)"
)

#: A5: once a refresh reaches Allegro the pair is rotated, and the old refresh token works
#: about 60 s more. A refresh whose answer was lost is sent again only while well inside that.
REFRESH_RETRY_WINDOW = 45.0


class Refresher(Protocol):
    """Anything with ``async refresh(refresh_token) -> Token``, e.g.
    :class:`~allegro_async.auth.flows.OAuthFlows`."""

    def refresh(self, refresh_token: str) -> Awaitable[Token]:
        """Exchange a refresh token for a new pair."""
        ...


class RefreshingAuth(Auth):
    """Adds ``Authorization: Bearer`` from a store and keeps the token fresh.

    ::

        auth = RefreshingAuth(store, seller_id, flows, margin=300)
        client = AllegroClient(auth=auth)

    Args:
        store: where the pair lives (its ``lock`` is used when it has one).
        key: the store key (the seller's user id).
        refresher: :class:`~allegro_async.auth.flows.OAuthFlows` or any object with ``refresh``.
        margin: refresh when the token expires in less than this many seconds, capped at half
            the token's lifetime (a longer margin would refresh on every request).
        clock: epoch seconds (inject a fake clock in tests).
        check: refuse requests the token certainly cannot serve (A6, S7, S8) before sending.
        refresh_retries: how many times a refresh that failed on transport (connect error,
            timeout, reset) or with a 5xx is sent again at once, while the old refresh token
            still works (A5: about a minute after Allegro rotated the pair).
    """

    def __init__(
        self,
        store: TokenStore,
        key: str,
        refresher: Refresher,
        *,
        margin: float = 300.0,
        clock: Callable[[], float] = time.time,
        check: bool = True,
        refresh_retries: int = 2,
    ) -> None:
        if margin < 0:
            raise InvalidArgumentError("margin", f"{margin} is negative", "give seconds >= 0")
        if refresh_retries < 0:
            raise InvalidArgumentError(
                "refresh_retries", f"{refresh_retries} is negative", "give 0 (no retry) or more"
            )
        self.refresh_retries = refresh_retries
        self.store = store
        self.key = key
        self._refresher = refresher
        self.margin = margin
        self._clock = clock
        self._check = check
        self._token: Token | None = None
        self._lock = anyio.Lock()
        #: Refreshes this auth performed itself (others' refreshes it picked up do not count).
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"RefreshingAuth(key={self.key!r}, margin={self.margin})"

    def sync_auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        """Not supported: the library is async only."""
        raise RuntimeError("RefreshingAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        """Add the bearer; refresh ahead of expiry, and once after a 401 for an expired token."""
        token = await self.token()
        if self._check:
            check_request(token, request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield request
        if response.status_code == 401 and await self._says_expired(response, token):
            token = await self.refresh(stale=token)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            yield request

    async def token(self) -> Token:
        """A token good for at least ``margin`` seconds, refreshing if needed."""
        token = self._token
        if token is None:
            async with self._lock:
                if self._token is None:
                    self._token = await self.store.load(self.key)
                token = self._token
            if token is None:
                raise self._not_connected()
        if token.expires_within(token.refresh_margin(self.margin), now=self._clock()):
            token = await self.refresh(stale=token)
        return token

    async def refresh(self, *, stale: Token | None = None) -> Token:
        """Refresh once for everyone: callers that saw ``stale`` share one refresh, and a pair
        already refreshed by another worker (seen after re-reading the store) is used as is."""
        async with self._lock:
            mine = self._token
            if stale is not None and mine is not None and self._fresh(mine, stale):
                return mine  # someone in this process refreshed while we waited
            lock: Any = getattr(self.store, "lock", None)
            guard = lock(self.key) if callable(lock) else contextlib.nullcontext()
            async with guard:
                current = await self.store.load(self.key) or mine or stale
                if current is None:
                    raise self._not_connected()
                if stale is not None and self._fresh(current, stale):
                    self._token = current  # another client or process refreshed it
                    return current
                if not current.refresh_token:
                    raise InvalidArgumentError(
                        "token", "the token has expired and has no refresh token",
                        "app tokens (client_credentials) are fetched again, not refreshed; "
                        "for a seller, log in again",
                    )
                # Shielded: once the refresh is sent Allegro rotates the pair (A5), so a caller
                # cancelled mid-way (a timeout) must not drop the answer unsaved; the old
                # refresh token dies a minute later. The flows' HTTP timeout bounds the wait.
                with anyio.CancelScope(shield=True):
                    new = await self._send_refresh(current.refresh_token)
                    if current.environment and not new.environment:
                        new = new.with_environment(current.environment)
                    await self.store.save(self.key, new)  # saved before any request uses it
                    self._token = new
                    self.refreshes += 1
                return new

    async def _send_refresh(self, refresh_token: str) -> Token:
        """One refresh, sent again at once when its answer was lost.

        Allegro rotates the pair when the request reaches it (A5), so an answer lost on the
        way back (a reset, a read timeout, a 5xx from a proxy) leaves us with only the old
        refresh token, which dies about a minute later: retried at once it still works and
        yields a pair. Waiting would let an idle app outlive the grace, and the seller would
        have to authorize again. The caller holds the single-flight locks throughout.
        """
        started = self._clock()
        attempt = 0
        while True:
            try:
                return await self._refresher.refresh(refresh_token)
            except (TransportError, ServerError) as exc:
                attempt += 1
                elapsed = self._clock() - started
                if attempt > self.refresh_retries or elapsed >= REFRESH_RETRY_WINDOW:
                    raise
                logger.warning(
                    "refresh for %r failed (%s) after %.1f s; sending it again at once, the "
                    "old refresh token still works (A5), attempt %d of %d", self.key,
                    type(exc).__name__, elapsed, attempt + 1, self.refresh_retries + 1,
                )
            except APIError as exc:
                if exc.oauth_error != "invalid_grant":
                    raise  # a 429 (A2), bad app credentials (S6): not the seller's doing
                raise ReauthorizationRequiredError(
                    f"the refresh token of {self.key!r} no longer works (invalid_grant)",
                    seller_id=self.key,
                    hint="A5: a refresh token lives 3 months, ends when the seller revokes the "
                         "app, and dies a minute after a refresh by a worker that does not "
                         f"share this store; {_LOG_IN_AGAIN}",
                ) from exc

    def _not_connected(self) -> SellerNotConnectedError:
        return SellerNotConnectedError(
            f"the token store has no token for {self.key!r}",
            seller_id=self.key, hint=_LOG_IN_AGAIN,
        )

    def _fresh(self, candidate: Token, stale: Token) -> bool:
        return candidate.access_token != stale.access_token and not candidate.expires_within(
            candidate.refresh_margin(self.margin), now=self._clock()
        )

    async def _says_expired(self, response: Response, token: Token) -> bool:
        await response.aread()
        parsed = parse_error_body(response.content)
        if parsed.oauth_error != "invalid_token":
            return False
        text = (parsed.oauth_error_description or "").lower()
        return "expired" in text or token.expires_within(
            token.refresh_margin(self.margin), now=self._clock()
        )
