"""A refresh in flight and the caller's deadline: :class:`_Flight`, one refresh shared by every
caller that waits for it, and the ``DEADLINE`` request extension read, spent and enforced
around the wait (a caller whose deadline passes leaves with a typed timeout, nothing sent).

Used by :class:`~allegro_async.auth.httpx_auth.RefreshingAuth`.
"""

from __future__ import annotations

from types import TracebackType

import anyio

from allegro_async._http import Request
from allegro_async.auth.tokens import Token
from allegro_async.errors import RequestTimeoutError
from allegro_async.throttle.transport import DEADLINE


class _Flight:
    """One refresh in flight, shared by every caller that needs it. ``done`` is set when its
    outcome is known (the new pair may still be being saved), ``over`` when all of it is."""

    __slots__ = ("done", "error", "over", "token", "traceback")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.over = anyio.Event()
        self.token: Token | None = None
        self.error: BaseException | None = None
        self.traceback: TracebackType | None = None

    def outcome(self) -> Token:
        """The new pair, or the refresh's error raised here (as a future re-raises it)."""
        if self.error is not None:
            raise self.error.with_traceback(self.traceback)
        assert self.token is not None
        return self.token


def _deadline_of(request: Request) -> float | None:
    """When the call must be over (``anyio.current_time()`` scale), from its ``DEADLINE``
    extension (seconds for the whole call), or ``None``. A malformed value is left to the
    throttle, which refuses it with the field named."""
    seconds = request.extensions.get(DEADLINE)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        return None
    return anyio.current_time() + float(seconds)


def _spend(request: Request, deadline: float | None) -> None:
    """Hand the layers below what is left of the call's deadline; refuse to send past it."""
    if deadline is None:
        return
    left = deadline - anyio.current_time()
    if left <= 0:
        raise _late(request, None)
    request.extensions[DEADLINE] = left


def _late(request: Request | None, key: str | None) -> RequestTimeoutError:
    whose = f" while the token of {key!r} was being refreshed" if key is not None else ""
    return RequestTimeoutError(
        f"the call's deadline passed{whose}; nothing was sent (a refresh in flight goes on and "
        "saves the new pair for the next call)",
        method=request.method if request is not None else "-",
        path=request.url.path if request is not None else "-",
    )
