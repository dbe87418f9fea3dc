"""The retry layer: an httpx transport re-sending idempotent requests after transient failures.

Retried: GET, HEAD, OPTIONS, DELETE and PUT (Allegro's command PUTs carry a client-chosen
``commandId``, so re-sending the same request cannot apply it twice), on connect errors, read
timeouts, connections closed (FIN) or reset (RST, ``ReadError``/``WriteError``) mid-request,
and 502/503/504, also when the error response's body cannot be read. POST and PATCH only when
the request is marked safe: ``extensions={"allegro_retry_safe": True}``, or when nothing was
sent (the connection could not be made, or no pool connection came free). Waits are capped
exponential backoff with full jitter, or the server's ``Retry-After`` (seconds or an HTTP
date), capped. A call's deadline (the ``allegro_deadline`` extension a per-call ``timeout=``
sets) bounds the waits too: a retry whose wait would end past it is not made, and the last
answer or error is the call's (the client cuts an attempt still running at the deadline). A
per-call ``max_retries`` (the ``allegro_max_retries`` extension) overrides the policy's.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio

from allegro_async._deadline import DEADLINE, MAX_RETRIES, mark
from allegro_async._error_body import MAX_ERROR_BODY_BYTES
from allegro_async._http import AsyncBaseTransport, Request, Response, httpx
from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle.bucket import Sleep
from allegro_async.throttle.transport import ThrottledTransport

if TYPE_CHECKING:
    from allegro_async.throttle.transport import ClientMetrics

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})

#: Request extension marking a POST or PATCH as safe to re-send.
RETRY_SAFE = "allegro_retry_safe"

#: Failures before any byte of the request went out: safe to re-send whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

#: Failures after the request may have reached Allegro: re-sent for retryable requests only.
#: A reset (RST: ``ReadError``, ``WriteError``) is the same to the caller as a clean close
#: (FIN: ``RemoteProtocolError``): the connection died and the answer is lost.
_RETRY_ERRORS = (*_NOT_SENT, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError,
                 httpx.WriteError)


@dataclass
class RetryPolicy:
    """When and how long to wait before re-sending a request.

    ``max_retries=0`` turns retries off. ``backoff`` is the first wait's ceiling, doubled per
    attempt up to ``max_backoff``; the actual wait is uniform in ``[0, ceiling]`` (full jitter).
    ``max_retry_after`` caps a server's ``Retry-After``. ``clock`` measures a call's time
    against its deadline (``time.monotonic``; tests give a fake one with their ``sleep``).
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = frozenset({502, 503, 504})
    sleep: Sleep = anyio.sleep
    clock: Callable[[], float] = time.monotonic
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise InvalidArgumentError("max_retries", f"must be >= 0, got {self.max_retries}",
                                       "give 0 to turn retries off")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise InvalidArgumentError("backoff", "waits must be >= 0", "give seconds >= 0")

    def retryable(self, request: Request) -> bool:
        """Whether this request may be re-sent at all."""
        return request.method in IDEMPOTENT or bool(request.extensions.get(RETRY_SAFE))

    def backoff_for(self, attempt: int) -> float:
        """Full-jitter wait before retry number ``attempt`` (0-based)."""
        # The exponent is capped: past it the ceiling is max_backoff anyway, and 2 ** 1100
        # would not fit a float.
        ceiling = min(self.max_backoff, self.backoff * (2.0 ** min(attempt, 64)))
        return float(ceiling * self.random())

    def retry_after(self, response: Response, now: float | None = None) -> float | None:
        """The capped ``Retry-After`` of a response in seconds, or ``None``."""
        value = response.headers.get("retry-after")
        if not value:
            return None
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            try:
                moment = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if moment.tzinfo is None:  # "-0000": HTTP dates are GMT, never local time
                moment = moment.replace(tzinfo=datetime.timezone.utc)
            seconds = moment.timestamp() - (time.time() if now is None else now)
        return max(0.0, min(seconds, self.max_retry_after))


class RetryTransport(AsyncBaseTransport):
    """Re-sends retryable requests per a :class:`RetryPolicy` (see the module docs)."""

    def __init__(self, inner: AsyncBaseTransport, policy: RetryPolicy | None = None,
                 metrics: ClientMetrics | None = None) -> None:
        self.inner = inner
        self.policy = policy if policy is not None else RetryPolicy()
        self.metrics = metrics
        # Whether sending to ``inner`` is sending to Allegro (no throttle queue in between).
        self._marks_sent = not isinstance(inner, ThrottledTransport)

    async def _pause(self, request: Request, wait: float, attempt: int) -> None:
        mark(request, f"the pause before retry {attempt + 1}")
        await self.policy.sleep(wait)
        mark(request, "Allegro's answer", sent=self._marks_sent)

    async def aclose(self) -> None:
        """Close the inner transport (the connection pool)."""
        await self.inner.aclose()

    def _count(self, attempt: int, why: str, request: Request) -> None:
        if self.metrics is not None:
            self.metrics.retries += 1
            self.metrics.emit("retry", attempt=attempt + 1, why=why, method=request.method,
                              path=request.url.path)

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request``, re-sending it per the policy; the last response or error wins."""
        policy = self.policy
        max_retries = request.extensions.get(MAX_RETRIES, policy.max_retries)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidArgumentError(
                f"extensions[{MAX_RETRIES!r}]", f"must be an int >= 0, got {max_retries!r}",
                "give 0 to send the request once, or how often to retry it")
        # A layer below this one (the throttle) marks the send itself, after its queues.
        mark(request, "Allegro's answer", sent=self._marks_sent)
        if max_retries == 0:
            return await self.inner.handle_async_request(request)
        # A POST or PATCH not marked safe is re-sent only when it never left.
        errors = _RETRY_ERRORS if policy.retryable(request) else _NOT_SENT
        seconds = request.extensions.get(DEADLINE)
        give_up = (policy.clock() + float(seconds)
                   if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
                   else None)
        attempt = 0
        while True:
            try:
                response = await self.inner.handle_async_request(request)
            except errors as exc:
                if attempt >= max_retries:
                    raise
                wait = policy.backoff_for(attempt)
                if give_up is not None and policy.clock() + wait >= give_up:
                    raise  # the retry would start at or after the call's deadline
                self._count(attempt, type(exc).__name__, request)
                await self._pause(request, wait, attempt)
                attempt += 1
                continue
            if (response.status_code not in policy.statuses or attempt >= max_retries
                    or not policy.retryable(request)):
                return response
            after = policy.retry_after(response)
            wait = policy.backoff_for(attempt) if after is None else after
            if give_up is not None and policy.clock() + wait >= give_up:
                return response  # waiting would reach the call's deadline: this answer is it
            try:
                # Read as much as an error body may cost (the rest is never kept): enough to
                # reuse the connection for a small body, and a 100 MB one is not read whole.
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read > MAX_ERROR_BODY_BYTES:
                        break
            except httpx.TransportError:
                pass  # the body of a 503 is not needed to retry it: a 503 all the same
            finally:
                # Closing gives the throttle's slots back, even if the read was cancelled.
                await response.aclose()
            self._count(attempt, str(response.status_code), request)
            await self._pause(request, wait, attempt)
            attempt += 1
