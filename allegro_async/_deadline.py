"""A call's deadline and per-call options as the layers below the client see them.

The client turns a per-call ``timeout=`` (seconds) into the :data:`DEADLINE` request extension
and bounds the whole call by it (:func:`bounded_send`); the layers below mark on the
:data:`PROGRESS` extension what the call is waiting for, so the error says so. The retry layer
reads a per-call ``max_retries`` from :data:`MAX_RETRIES`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from allegro_async._http import Request, Response, Timeout
from allegro_async.errors import DeadlineExceededError, InvalidArgumentError

#: Request extension: seconds the whole call may take (the same key as the throttle's).
DEADLINE = "allegro_deadline"
#: Request extension: how often this request may be retried (``0``: never), per call.
MAX_RETRIES = "allegro_max_retries"
#: Request extension: the :class:`CallProgress` of a call sent with a deadline.
PROGRESS = "allegro_progress"
#: Request extension: the deadline once fixed on a throttle's clock, kept for retries.
_DEADLINE_AT = "allegro_deadline_at"


class CallProgress:
    """What a call is waiting for, marked by the layers it passes (for the deadline error).

    ``sent``: ``False`` while no request of the call went out, ``True`` once one did, ``None``
    when no layer below reports it (a transport stack without retry or throttling layer).
    ``expected_wait``: while the call waits in the client's own throttle, how to tell the
    seconds a retry could expect to wait (for the error's ``retry_after``).
    """

    __slots__ = ("ends_at", "expected_wait", "sent", "waiting_for")

    def __init__(self, sent: bool | None, ends_at: float) -> None:
        self.sent = sent
        self.expected_wait: Callable[[], float] | None = None
        self.ends_at = ends_at  # on anyio's clock
        self.waiting_for = "the access token (authentication, a token refresh included)"


def remaining(request: Request) -> float | None:
    """Seconds left before the call's deadline (anyio's clock; ``0.0`` once passed), or
    ``None`` without one: what a layer that waits on its own (a token refresh, say) may still
    spend. Falls back to the :data:`DEADLINE` seconds for a request the client did not send."""
    progress = request.extensions.get(PROGRESS)
    if isinstance(progress, CallProgress):
        return max(0.0, progress.ends_at - anyio.current_time())
    return deadline_seconds(request.extensions.get(DEADLINE))


def mark(request: Request, waiting_for: str, *, sent: bool = False,
         expected_wait: Callable[[], float] | None = None) -> None:
    """Note on ``request``'s :class:`CallProgress`, if any, what the call waits for now,
    (``sent=True``) that a request went out, and (``expected_wait``) how a wait in the
    client's own throttle can be told."""
    progress = request.extensions.get(PROGRESS)
    if isinstance(progress, CallProgress):
        progress.waiting_for = waiting_for
        progress.expected_wait = expected_wait
        if sent:
            progress.sent = True


def was_sent(request: Request) -> bool:
    """Whether an earlier attempt of this call went out (per its :class:`CallProgress`)."""
    progress = request.extensions.get(PROGRESS)
    return isinstance(progress, CallProgress) and progress.sent is True


def check_timeout(value: object, field: str = "timeout") -> None:
    """Refuse a ``timeout`` that is neither seconds >= 0, an ``httpx.Timeout`` nor ``None``."""
    if value is None or isinstance(value, Timeout):
        return
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0):
        raise InvalidArgumentError(
            field, f"must be seconds >= 0, an httpx.Timeout or None, got {value!r}",
            "give the seconds the whole call may take, e.g. timeout=5")


def deadline_seconds(value: object) -> float | None:
    """The deadline a ``timeout`` value sets: seconds as a number, else ``None``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def check_options(extra_headers: object, extra_query: object, max_retries: object) -> None:
    """Refuse malformed per-call options before anything is sent."""
    if extra_headers is not None and (not isinstance(extra_headers, Mapping) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str))
            for k, v in extra_headers.items())):
        raise InvalidArgumentError(
            "extra_headers", "must map header names to text (or None to leave one out)",
            "give e.g. extra_headers={'X-Request-Id': 'abc'}")
    if extra_query is not None and not isinstance(extra_query, Mapping):
        raise InvalidArgumentError(
            "extra_query", f"must be a mapping, got {type(extra_query).__name__}",
            "give e.g. extra_query={'new.parameter': 'value'}")
    if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0):
        raise InvalidArgumentError(
            "max_retries", f"must be an int >= 0, got {max_retries!r}",
            "give 0 to send the call once, or how often to retry it")


async def bounded_send(request: Request, send: Callable[[], Awaitable[Response]],
                       sent: bool | None) -> Response:
    """``await send()`` bounded by ``request``'s :data:`DEADLINE`, on anyio's clock: the
    token, the gate, the queues, every attempt with its body, and the retries. Past it,
    :class:`~allegro_async.errors.DeadlineExceededError` naming what the call waited for."""
    seconds = deadline_seconds(request.extensions.get(DEADLINE))
    if seconds is None:
        return await send()
    progress = CallProgress(sent, anyio.current_time() + seconds)
    request.extensions[PROGRESS] = progress
    response: Response | None = None
    with anyio.move_on_after(seconds):
        response = await send()
    if response is None:  # the deadline's scope cut the call
        error = DeadlineExceededError(
            method=request.method, path=request.url.path, timeout=seconds,
            waiting_for=progress.waiting_for, sent=progress.sent)
        if progress.expected_wait is not None:
            error.retry_after = progress.expected_wait()
        raise error
    return response


def check_call_options(options: Mapping[str, Any]) -> None:
    """Refuse an unknown or malformed per-call option (a service's ``**options``)."""
    from allegro_async._options import CallOptions

    unknown = set(options) - set(CallOptions.__annotations__)
    if unknown:
        raise InvalidArgumentError(
            sorted(unknown)[0], "is not a per-call option",
            f"use one of {', '.join(sorted(CallOptions.__annotations__))}")
    check_timeout(options.get("timeout"))
    check_options(options.get("extra_headers"), options.get("extra_query"),
                  options.get("max_retries"))


def with_defaults(defaults: Mapping[str, Any], timeout: Any,
                  extra_headers: Mapping[str, str | None] | None,
                  extra_query: Mapping[str, Any] | None, max_retries: int | None
                  ) -> tuple[Any, Mapping[str, str | None] | None, Mapping[str, Any] | None,
                             int | None]:
    """A call's options completed by a service view's ``defaults`` (the call's own win;
    headers and query parameters are merged), then checked. ``timeout`` stays ``NOT_GIVEN``
    when neither gives one."""
    from allegro_async._request import NOT_GIVEN

    if defaults:
        if timeout is NOT_GIVEN:
            timeout = defaults.get("timeout", NOT_GIVEN)
        if max_retries is None:
            max_retries = defaults.get("max_retries")
        if "extra_headers" in defaults:
            extra_headers = {**defaults["extra_headers"], **(extra_headers or {})}
        if "extra_query" in defaults:
            extra_query = {**defaults["extra_query"], **(extra_query or {})}
    if timeout is not NOT_GIVEN:
        check_timeout(timeout)
    check_options(extra_headers, extra_query, max_retries)
    return timeout, extra_headers, extra_query, max_retries


def merged_query(params: Mapping[str, Any] | None, extra_query: Mapping[str, Any] | None
                 ) -> Mapping[str, Any] | None:
    """The call's own query parameters with ``extra_query`` added (and overriding)."""
    if not extra_query:
        return params
    return {**(params or {}), **extra_query}


def deadline_at(request: Request, clock: Callable[[], float]) -> float | None:
    """The call's deadline on ``clock`` (a throttle's), from the :data:`DEADLINE` extension
    (seconds for the whole call), fixed the first time it is asked for so that retries of
    the same request share it."""
    at = request.extensions.get(_DEADLINE_AT)
    if isinstance(at, float):
        return at
    seconds = request.extensions.get(DEADLINE)
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        raise InvalidArgumentError(
            f"extensions[{DEADLINE!r}]", f"must be seconds >= 0, got {seconds!r}",
            "give the seconds the whole call may take, e.g. 30")
    at = clock() + float(seconds)
    request.extensions[_DEADLINE_AT] = at
    return at
