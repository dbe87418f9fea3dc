"""``RefreshingAuth``: the bearer token as an ``httpx.Auth`` that refreshes it safely (A5).

One auth serves one key of a :class:`~allegro_async.auth.tokens.TokenStore` (one seller). It
refreshes ahead of expiry (``margin``) and once after a 401 for an expired token. Refreshes are
single flight: concurrent requests on an expired token wait for one refresh, and across
processes the store's ``lock(key)`` plus a re-read means a pair refreshed elsewhere is used
instead of refreshed again (which would break the session, A5). The new pair is saved before
any request uses it; when that save fails, this process's callers get the pair at once and
the save is tried again (``auth/_save_retry.py``) while the lock is held, so other processes
wait and then read it instead of refreshing the old pair a second time.

A refresh runs in a task of its own, not in the caller's: a caller whose deadline (the
``DEADLINE`` request extension) or cancel scope ends while it waits leaves at once, and the
refresh goes on to save the rotated pair for the next caller (the shared flight and the
deadline's bookkeeping: ``auth/_flight.py``). A refresh token Allegro refused is remembered:
until a new pair is saved for the seller, calls raise
:class:`~allegro_async.errors.ReauthorizationRequiredError` without asking Allegro again.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, Protocol

import anyio

from allegro_async._http import Auth, Request, Response
from allegro_async.auth._detached import start_detached
from allegro_async.auth._flight import _deadline_of, _Flight, _late, _spend
from allegro_async.auth._save_retry import SAVE_WINDOW, save_rotated
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

    A refresh runs in a task of its own; :meth:`join` waits for one in flight. After Allegro
    refuses the refresh token (``invalid_grant``), every call raises
    :class:`~allegro_async.errors.ReauthorizationRequiredError` at once, with no token
    request, until the store holds another pair.
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
        self._flight: _Flight | None = None
        #: The pair whose refresh token Allegro refused (or that had none, expired): until the
        #: store holds another, calls are refused without asking Allegro again.
        self._dead: Token | None = None
        #: (the refresh token it replaced, the pair) while a refreshed pair is not saved: the
        #: store still holds the replaced one, whose refresh token dies a minute later (A5).
        self._unsaved: tuple[str, Token] | None = None
        #: Refreshes this auth performed itself (others' refreshes it picked up do not count).
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"RefreshingAuth(key={self.key!r}, margin={self.margin})"

    def sync_auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        """Not supported: the library is async only."""
        raise RuntimeError("RefreshingAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        """Add the bearer; refresh ahead of expiry, and once after a 401 for an expired token.

        Waiting for a refresh ends with the call's deadline (the ``DEADLINE`` extension): then
        :class:`~allegro_async.errors.RequestTimeoutError`, nothing sent, and the refresh
        carries on for the next call. What the wait used is taken off the deadline the layers
        below see.
        """
        deadline = _deadline_of(request)
        token = await self._usable(deadline, request)
        if self._check:
            check_request(token, request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        _spend(request, deadline)
        response = yield request
        if response.status_code == 401 and await self._says_expired(response, token):
            token = await self._renewed(token, deadline, request)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            _spend(request, deadline)
            yield request

    async def token(self) -> Token:
        """A token good for at least ``margin`` seconds, refreshing if needed."""
        return await self._usable(None, None)

    async def refresh(self, *, stale: Token | None = None) -> Token:
        """Refresh once for everyone: callers that saw ``stale`` share one refresh, and a pair
        already refreshed by another worker (seen after re-reading the store) is used as is.

        The refresh runs in a task of its own: cancelling this call leaves the refresh to
        finish and save the new pair. A refused refresh token raises
        :class:`~allegro_async.errors.ReauthorizationRequiredError`, here and on every later
        call, without another token request, until a new pair is saved for the seller.
        """
        return await self._renewed(stale, None, None)

    async def recover(self) -> bool:
        """Take over a refresh that another process began and never saved (it died between
        Allegro's answer and its save): refresh now with the stored, rotated refresh token while
        A5's grace lasts. ``True`` when the store reported one. One store read. An open
        ``AllegroApp`` runs it for every seller it holds (its recovery sweep); an auth built by
        hand needs it every ``lock_ttl / 2`` seconds from a periodic task."""
        if self._flight is not None or not await self._abandoned():
            return False
        token = await self.store.load(self.key)
        if token is None:
            return False
        self._token = token
        await self._renewed(token, None, None)
        return True

    async def join(self) -> None:
        """Wait for a refresh in flight (whoever started it) to end; its pair is saved then
        (or could not be within the A5 grace)."""
        flight = self._flight
        if flight is not None:
            await flight.over.wait()

    async def _usable(self, deadline: float | None, request: Request | None) -> Token:
        token = self._token
        if token is None:
            async with self._lock:
                loaded = self._token is None
                if loaded:
                    self._token = await self.store.load(self.key)
                token = self._token
            if token is None:
                raise self._not_connected()
            if loaded and await self._abandoned():
                # a holder died between its refresh and its save: the stored refresh token is
                # rotated and lives only for A5's grace; use it again now, under the lock
                return await self._renewed(token, deadline, request)
        if token.expires_within(token.refresh_margin(self.margin), now=self._clock()):
            token = await self._renewed(token, deadline, request)
        return token

    async def _renewed(
        self, stale: Token | None, deadline: float | None, request: Request | None
    ) -> Token:
        mine = self._token
        if stale is not None and mine is not None and self._fresh(mine, stale):
            return mine  # someone in this process refreshed it meanwhile
        if self._flight is None and self._dead is not None:
            revived = await self._revived()
            if stale is None or self._fresh(revived, stale):
                return revived
        flight = self._flight  # read after any await: one flight at a time
        if flight is None:
            flight = self._flight = _Flight()
            start_detached(self._fly, flight, stale)
        if deadline is None:
            await flight.done.wait()
        else:
            with anyio.move_on_after(deadline - anyio.current_time()):
                await flight.done.wait()
            if not flight.done.is_set():
                raise _late(request, self.key)
        return flight.outcome()

    async def _revived(self) -> Token:
        """After a refused refresh token: the pair saved since (the seller logged in again,
        here or in another process), or the same typed error again, nothing sent."""
        dead = self._dead
        assert dead is not None
        current = await self.store.load(self.key)
        if current is None:
            raise self._not_connected()
        if (current.refresh_token, current.access_token) == (dead.refresh_token,
                                                             dead.access_token):
            raise self._reconnect(dead)
        self._dead = None
        self._token = current
        return current

    async def _fly(self, flight: _Flight, stale: Token | None) -> None:
        """The refresh itself, in a task of its own (no caller's cancel reaches it)."""
        try:
            token = await self._refresh_now(stale, flight)
            if not flight.done.is_set():
                flight.token = token
        except Exception as exc:  # handed to every waiter
            if not flight.done.is_set():
                flight.error, flight.traceback = exc, exc.__traceback__
            # else: the pair was handed out and its save gave up (logged there)
        except BaseException:  # the event loop is closing: waiters must not hang
            if not flight.done.is_set():
                flight.error = TransportError(
                    "the token refresh was cancelled (its event loop is closing)",
                    method="POST", path="/auth/oauth/token")
            raise
        finally:
            self._flight = None
            flight.done.set()
            flight.over.set()

    async def _refresh_now(self, stale: Token | None, flight: _Flight | None = None) -> Token:
        mine = self._token
        lock: Any = getattr(self.store, "lock", None)
        guard = lock(self.key) if callable(lock) else contextlib.nullcontext()
        async with guard:
            current = await self.store.load(self.key) or mine or stale
            unsaved = self._unsaved
            if unsaved is not None and current is not None \
                    and current.refresh_token == unsaved[0]:
                current = unsaved[1]  # refresh what this process rotated to, not the dead pair
            if current is None:
                raise self._not_connected()
            if stale is not None and self._fresh(current, stale):
                self._token = current  # another client or process refreshed it
                return current
            if not current.refresh_token:
                self._dead = current
                raise self._reconnect(current)
            begin: Any = getattr(self.store, "begin_refresh", None)
            if callable(begin):
                await begin(self.key)  # seen by the next holder if this process dies unsaved
            sent = anyio.current_time()
            try:
                new = await self._send_refresh(current)
            except ReauthorizationRequiredError:
                self._dead = current
                raise
            if current.environment and not new.environment:
                new = new.with_environment(current.environment)
            # The rotated pair is the only one that lasts (A5): this process uses it from now
            # on, whatever the store does.
            self._token = new
            self._dead = None
            self.refreshes += 1

            def hand_out() -> None:  # the first save failed: waiters need not wait for more
                if flight is not None:
                    flight.token = new
                    flight.done.set()

            # Still under the lock: other processes wait for this save instead of refreshing
            # the old pair again, until another could no longer do so within A5's grace.
            self._unsaved = (str(current.refresh_token), new)
            await save_rotated(self.store, self.key, new, until=sent + SAVE_WINDOW,
                               on_failure=hand_out)
            self._unsaved = None
            return new

    async def _abandoned(self) -> bool:
        """Whether the store says a refresh of this key was begun and never saved."""
        check: Any = getattr(self.store, "abandoned_refresh", None)
        return bool(await check(self.key)) if callable(check) else False

    async def _send_refresh(self, pair: Token) -> Token:
        """One refresh, sent again at once when its answer was lost.

        Allegro rotates the pair when the request reaches it (A5), so an answer lost on the
        way back (a reset, a read timeout, a 5xx from a proxy) leaves us with only the old
        refresh token, which dies about a minute later: retried at once it still works and
        yields a pair. Waiting would let an idle app outlive the grace, and the seller would
        have to authorize again. The caller holds the store's lock throughout.
        """
        started = self._clock()
        attempt = 0
        while True:
            try:
                # unwrapped in the call: no local of this frame holds the token
                return await self._refresher.refresh(str(pair.refresh_token))
            except (TransportError, ServerError) as exc:
                attempt += 1
                elapsed = self._clock() - started
                if attempt > self.refresh_retries or elapsed >= REFRESH_RETRY_WINDOW:
                    raise
                logger.warning(
                    "refresh for %r failed (%s) after %.1f s; sending it again at once, the "
                    "old refresh token still works, attempt %d of %d", self.key,
                    type(exc).__name__, elapsed, attempt + 1, self.refresh_retries + 1,
                )
            except APIError as exc:
                if exc.oauth_error != "invalid_grant":
                    raise  # a 429 (A2), bad app credentials (S6): not the seller's doing
                raise self._reconnect(pair) from exc

    def _reconnect(self, pair: Token) -> ReauthorizationRequiredError:
        if pair.refresh_token:
            why = "its refresh token was refused (invalid_grant)"
            hint = ("a refresh token lives 3 months, ends when the seller revokes the app, "
                    "and dies a minute after a refresh by a worker that does not share this "
                    f"store; {_LOG_IN_AGAIN}")
        else:
            why = "its access token has expired and it has no refresh token"
            hint = ("an app token (client_credentials) is fetched again, not refreshed; for a "
                    f"seller, {_LOG_IN_AGAIN}")
        return ReauthorizationRequiredError(
            f"the seller {self.key!r} must connect again: {why}; no request is sent for it "
            "until a new pair is saved", seller_id=self.key, hint=hint)

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
