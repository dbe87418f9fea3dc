"""``ThrottledTransport``: the limiter as an httpx transport wrapping any inner transport."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio

from allegro_async._deadline import DEADLINE, deadline_at, mark, was_sent
from allegro_async._http import AsyncBaseTransport, AsyncByteStream, Request, Response, httpx
from allegro_async.errors import (
    DeadlineExceededError,
    RateLimitedError,
    ThrottleGiveUpError,
    error_for_response,
)
from allegro_async.throttle._waits import blocked_for, gate_wait, queue_wait
from allegro_async.throttle.bucket import LeakyBucket
from allegro_async.throttle.gate import Slots
from allegro_async.throttle.limiter import Throttle, UserLimits
from allegro_async.throttle.metrics import ClientMetrics, metrics_of

__all__ = ["AUTH_PATH", "DEADLINE", "ClientMetrics", "ThrottledTransport", "metrics_of"]

#: Paths of the OAuth endpoints on the auth host (``Environment.auth_url``).
AUTH_PATH = "/auth/oauth/"


class _ReleasingStream(AsyncByteStream):
    """The response body; closing it gives the request's slots back."""

    __slots__ = ("_inner", "_slots", "_throttle")

    def __init__(self, inner: Any, throttle: Throttle, slots: Slots) -> None:
        self._inner = inner
        self._throttle: Throttle | None = throttle
        self._slots = slots

    def __aiter__(self) -> AsyncIterator[bytes]:
        # The inner stream's own iterator: a generator relaying each chunk would cost a
        # frame switch per chunk on every response.
        return self._inner.__aiter__()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        try:
            if hasattr(self._inner, "aclose"):
                await self._inner.aclose()
        finally:
            throttle, self._throttle = self._throttle, None
            if throttle is not None:
                throttle.in_flight.release()
                self._slots.release()


def _abandoned(exc: BaseException) -> bool:
    """Whether a send that ended with ``exc`` may still be running at Allegro: a cancel (not an
    ``Exception``) or a timeout after the request went out. Connect and pool errors sent
    nothing, and a dropped connection ends the request on both sides."""
    if not isinstance(exc, Exception):
        return True
    return isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout))


class ThrottledTransport(AsyncBaseTransport):
    """Spaces requests under S1/S2/A2 limits and handles 429s per A1, around ``inner``.

    Order per request: app gate -> user's parallel slot -> user's family bucket (A2 weight) ->
    app in-flight slot -> app bucket (S1) -> send. Slots are held until the response is closed.
    A 429 is classified (app block or user limit) and retried until ``retry_429_for`` runs out;
    then :class:`~allegro_async.errors.RateLimitedError` with ``waited`` and ``reason``.
    """

    def __init__(self, inner: AsyncBaseTransport, throttle: Throttle | None = None,
                 metrics: ClientMetrics | None = None) -> None:
        self.inner = inner
        self.throttle = throttle if throttle is not None else Throttle()
        self.metrics = metrics if metrics is not None else ClientMetrics()
        self.metrics.throttle = self.throttle

    async def aclose(self) -> None:
        """Close the inner transport (the connection pool)."""
        await self.inner.aclose()

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` once the gate, slots and buckets allow it; retry its 429s (A1).

        Raises :class:`~allegro_async.errors.RateLimitedError` once ``retry_429_for`` has run
        out, counting time spent waiting at a closed gate too, or once the call's deadline
        (the :data:`DEADLINE` request extension) would be passed: at once when the gate is
        closed past it, with ``blocked_for`` the time left on the block.
        """
        t = self.throttle
        path = request.url.path
        if path.startswith(AUTH_PATH):
            return await self._send_auth(request)
        gate, clock, metrics = t.gate, t.clock, self.metrics
        started = clock()
        # Every way this request may give up, as one moment on the throttle's clock.
        give_up = started + t.retry_429_for
        deadline = deadline_at(request, clock)
        if deadline is not None:
            give_up = min(give_up, deadline)
        key = t.user_key(request)
        user = t.user(key)
        rule = t.rule_for(request.method, path)
        buckets = t.buckets_for(user, rule) if rule is not None else ()
        family = t.family_rate(user, rule) if rule is not None else None
        sent_clock = 0.0
        cost = rule.cost(request) if rule is not None else 1
        real_started = time.perf_counter()
        sent_at = real_started
        reason = "app_block"
        attempts = 0  # of this request, sent to Allegro (each answered 429 if we loop)
        try:
            while True:
                probe = False
                try:
                    if gate.state != "open":
                        mark(request, "the client's app gate to reopen (the app is blocked)",
                             expected_wait=lambda: gate_wait(t))
                        probe = await self._wait_gate(request, started, give_up, deadline,
                                                      attempts)
                    if deadline is None:
                        mark(request, "a place in the client's throttle (per-user slots, "
                             "buckets)")
                        admitted = await self._admit(user, buckets, cost, probe)
                    else:
                        mark(request, "a place in the client's throttle (per-user slots, "
                             "buckets)", expected_wait=lambda: queue_wait(t, user, buckets, cost))
                        admitted = await self._admit_by(deadline, request, started, user,
                                                        buckets, cost, probe, attempts)
                    if not admitted:
                        continue  # the app got blocked while we queued: back to the gate
                    parallel = user.slots.in_use
                    # Marks to tell, if a 429 comes, what else of this user Allegro may have
                    # been serving meanwhile (Throttle.classify).
                    served_mark, abandoned_mark = user.served, user.abandoned
                    ghosts_at_send = len(user.ghosts)
                    metrics.sent += 1
                    attempts += 1
                    mark(request, "Allegro's answer", sent=True)
                    sent_at = time.perf_counter()
                    if family is not None:
                        sent_clock = clock()
                    held = False  # the slot stays taken after an abandoned send (t.abandon)
                    try:
                        user.pending += 1
                        try:
                            response = await self.inner.handle_async_request(request)
                        except BaseException as exc:
                            held = _abandoned(exc)
                            raise
                        finally:
                            user.pending -= 1
                    except BaseException:
                        t.in_flight.release()
                        if held:
                            t.abandon(user)
                        else:
                            user.slots.release()
                        raise
                    if response.status_code != 429:
                        user.served += 1
                        if probe:
                            probe = False
                            gate.probe_done(True)
                            metrics.emit("gate_opened", blocks=gate.blocks)
                        t.user_succeeded(user)
                        if family is not None:
                            family.answered(sent_clock, clock())
                        return self._wrap(response, request, t, user.slots)
                    # A 429 was not processed by Allegro: read it, free the slots, decide.
                    try:
                        await response.aread()
                    finally:
                        try:
                            await response.aclose()
                        finally:
                            t.in_flight.release()
                            user.slots.release()
                    # Of this user, Allegro may have been serving: what is still unanswered,
                    # what was answered (not 429) since this one went, and abandoned ones.
                    maybe_served = (1 + user.pending + user.served - served_mark
                                    + ghosts_at_send + user.abandoned - abandoned_mark)
                    # A probe's 429 means the block goes on: no need for a second signal.
                    reason = "app_block" if probe else t.classify(key, maybe_served,
                                                                   request.url.path)
                    metrics.responses_429[reason] += 1
                    metrics.emit("429", kind=reason, method=request.method,
                                 path=request.url.path)
                    if reason == "app_block":
                        was_open = gate.state == "open"
                        gate.close(t.block_seconds)
                        if was_open:
                            metrics.emit("gate_closed", seconds=t.block_seconds)
                    else:
                        t.user_limited(user, parallel)
                        if family is not None:
                            family.cut(sent_clock, clock())
                except BaseException:
                    # Whatever ends this attempt (cancel, read error, deadline), a probe that
                    # never reported would keep the gate shut for everyone.
                    if probe:
                        gate.probe_done(False)
                    raise
                if probe:
                    gate.probe_done(False)
                now = clock()
                if now >= give_up:
                    waited = now - started
                    metrics.rate_limited += 1
                    metrics.emit("rate_limited", kind=reason, waited=waited)
                    raise self._error(response, request, waited, reason,
                                      blocked_for(t, now) if reason == "app_block" else None)
                if reason == "user_limit":
                    pause = t.cap_backoff if maybe_served > 1 else t.user_backoff
                    mark(request, "the pause after a 429 (the user's limit)")
                    await t.sleep(min(pause, give_up - now))
        finally:
            metrics.wait_seconds += sent_at - real_started
            metrics.waited_requests += 1

    async def _admit(self, user: UserLimits, buckets: tuple[LeakyBucket, ...], cost: int,
                     probe: bool) -> bool:
        """Take the user's slot, its family buckets, an app in-flight slot and the app bucket,
        in that order. ``False``, holding nothing, if the gate closed meanwhile (A1: a request
        sent now would extend the block); on any error nothing is held either."""
        t = self.throttle
        await self._take_user_slot(user)
        try:
            for bucket in buckets:
                await bucket.acquire(cost)
            await t.in_flight.acquire()
            try:
                await t.app_bucket.acquire()
            except BaseException:
                t.in_flight.release()
                raise
        except BaseException:
            user.slots.release()
            raise
        if t.gate.state != "open" and not probe:
            t.in_flight.release()
            user.slots.release()
            return False
        return True

    async def _admit_by(self, deadline: float, request: Request, started: float,
                        user: UserLimits, buckets: tuple[LeakyBucket, ...], cost: int,
                        probe: bool, attempts: int = 0) -> bool:
        """:meth:`_admit`, given up at ``deadline`` (the throttle's clock) with a
        ``DeadlineExceededError``: the request was not sent."""
        t = self.throttle
        admission = anyio.CancelScope()
        admitted = False
        async with anyio.create_task_group() as tg:

            async def timer() -> None:
                await t.sleep(deadline - t.clock())
                admission.cancel()

            # Admission stays in this task (a gate may keep the probe in a context variable,
            # see _wait_gate); the timer is the child, and the send happens after the group.
            tg.start_soon(timer)
            with admission:
                admitted = await self._admit(user, buckets, cost, probe)
            tg.cancel_scope.cancel()
        if admission.cancelled_caught:
            error = self._deadline_passed(request, started, "a place in the client's throttle "
                                          "(per-user slots or buckets)", attempts)
            error.retry_after = queue_wait(t, user, buckets, cost)
            raise error
        return admitted

    async def _take_user_slot(self, user: UserLimits) -> None:
        """Take one of the user's parallel slots; while abandoned requests hold some
        (:meth:`Throttle.abandon`), give each back when its busy time is over."""
        t = self.throttle
        if user.ghosts:
            t.reap(user)
        if not user.ghosts:
            await user.slots.acquire()
            return
        async with anyio.create_task_group() as tg:

            async def reap_when_due() -> None:
                while user.ghosts:
                    await t.sleep(max(0.0, user.ghosts[0] - t.clock()))
                    t.reap(user)

            # Every waiter runs this timer while ghosts exist: reaping twice is harmless, and
            # no waiter depends on another one staying around to wake it.
            tg.start_soon(reap_when_due)
            await user.slots.acquire()
            tg.cancel_scope.cancel()

    async def _wait_gate(self, request: Request, started: float, give_up: float,
                         deadline: float | None, attempts: int = 0) -> bool:
        """Wait at the closed gate, on the throttle's clock, no later than ``give_up``.

        ``True`` if this request goes out as the probe. When the block outlasts the call's
        ``deadline``, or waiting reaches ``give_up``, a ``ThrottleGiveUpError`` (reason
        ``app_block``, ``blocked_for`` the time left on the block): made here, not by
        Allegro, and saying whether earlier ``attempts`` of the request were sent.
        """
        t = self.throttle
        gate = t.gate
        if deadline is not None and gate.state == "closed" and gate.closed_until > deadline:
            # Known now that the block ends after the deadline: fail fast instead of waiting.
            raise self._given_up(request, started, attempts, (
                f"the app-wide block lasts another {gate.closed_until - t.clock():.0f} s, "
                "past the call's deadline"))
        outcome: list[bool] = []
        remaining = give_up - t.clock()
        if remaining > 0:
            async with anyio.create_task_group() as tg:

                async def timer() -> None:
                    await t.sleep(remaining)
                    tg.cancel_scope.cancel()

                # The gate is waited in this task, the deadline in a child: a gate may mark
                # the probe in a context variable (the Redis gate does, so the probe's own
                # admission skips the block check), which a child's context would swallow.
                tg.start_soon(timer)
                outcome.append(await gate.wait())
                tg.cancel_scope.cancel()
        if outcome:
            return outcome[0]
        if deadline is not None and give_up >= deadline:
            error = self._deadline_passed(request, started, "the client's app gate to reopen "
                                          "(the app is blocked)", attempts)
            error.retry_after = gate_wait(t)
            raise error
        raise self._given_up(request, started, attempts, (
            f"the app-wide block did not end within retry_429_for "
            f"({t.retry_429_for:g} s)"))

    def _deadline_passed(self, request: Request, started: float, waiting_for: str,
                         attempts: int = 0) -> DeadlineExceededError:
        """The error of a request whose call's deadline passed before it was sent (again:
        ``attempts`` of it went out before)."""
        t = self.throttle
        seconds = request.extensions.get(DEADLINE)
        self.metrics.emit("deadline", waited=t.clock() - started, waiting_for=waiting_for)
        return DeadlineExceededError(
            method=request.method, path=request.url.path, waiting_for=waiting_for,
            timeout=float(seconds) if isinstance(seconds, (int, float)) else None,
            sent=attempts > 0 or was_sent(request))

    def _given_up(self, request: Request, started: float, attempts: int,
                  detail: str) -> ThrottleGiveUpError:
        """The error of a request given up at the closed gate (made here: Allegro answered
        only its earlier ``attempts``, with 429), counted in the metrics."""
        t = self.throttle
        now = t.clock()
        waited = now - started
        self.metrics.rate_limited += 1
        self.metrics.emit("rate_limited", kind="app_block", waited=waited)
        return ThrottleGiveUpError(
            method=request.method, path=request.url.path, reason="app_block", detail=detail,
            waited=waited, blocked_for=blocked_for(t, now), retry_after=gate_wait(t),
            attempts=attempts, sent=was_sent(request))

    async def _send_auth(self, request: Request) -> Response:
        """Token-endpoint requests: never gated nor classified as app blocks (the token
        endpoint limits per user, #5117); they do spend the app bucket, to stay on the safe
        side of S1 in case Allegro counts them."""
        await self.throttle.app_bucket.acquire()
        self.metrics.sent += 1
        response = await self.inner.handle_async_request(request)
        if response.status_code == 429:
            self.metrics.responses_429["token"] += 1
        return response

    @staticmethod
    def _wrap(response: Response, request: Request, throttle: Throttle, slots: Slots
              ) -> Response:
        stream = _ReleasingStream(response.stream, throttle, slots)
        if response.is_closed:
            # Built with its body in memory (a mock, an in-process app): it counts as read and
            # closed already, so a new response is needed for the slots to wait for its close.
            return Response(response.status_code, headers=response.headers, stream=stream,
                            extensions=response.extensions, request=request)
        # In place, as httpx does with its own stream wrapper: a second Response per request
        # would copy the headers for nothing.
        response.stream = stream
        response.request = request
        return response

    @staticmethod
    def _error(response: Response, request: Request, waited: float, reason: str,
               blocked_for: float | None = None) -> Exception:
        response.request = request
        error = error_for_response(response)
        if isinstance(error, RateLimitedError):
            error.waited = waited
            error.reason = reason
            error.blocked_for = blocked_for
        return error
