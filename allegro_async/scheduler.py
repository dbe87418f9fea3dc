"""Polling many sellers' event journals inside a part of the app's request budget.

Allegro allows 9000 requests a minute per Client ID (S1), for all of an app's sellers: with
10 000 sellers, one poll each a minute is already too many. A :class:`PollScheduler` hands out
turns to poll at most ``rate`` a minute (with bursts of ``burst``), most overdue first::

    scheduler = PollScheduler(requests_per_min=3000)       # or share= of 9000/min
    async with EventConsumers(app, handle, scheduler=scheduler) as group:
        ...                                                # scheduler.freshness(seller_id)

A seller whose last poll brought events is polled again after ``active_interval`` (at once
while a full page says more wait); each poll that brings nothing doubles the wait, up to
``active_max_interval`` while its last event is less than ``active_for`` old and up to
``max_interval`` after that; a seller not yet seen active starts at ``max_interval``. When
the sellers ask for more than the rate, everyone's turn comes later (oldest due first), never
more often.

Freshness, per seller: ``since_head_s`` is how long ago a poll last reached the journal's head
(a page with room left: nothing newer waited), so an event is seen at most about that late;
``last_event_lag_s`` is how old the newest event was when the poll that fetched it answered.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import anyio.lowlevel

from allegro_async.errors import InvalidArgumentError

__all__ = ["APP_LIMIT_PER_MIN", "PollScheduler", "SellerFreshness"]

#: S1: requests per minute per Client ID.
APP_LIMIT_PER_MIN = 9000.0

#: A seller never seen active starts its backoff here (its first idle wait is the cap).
_UNKNOWN_STREAK = 64


@dataclass(frozen=True)
class SellerFreshness:
    """How fresh one seller's view of its journal is (see the module docstring)."""

    seller_id: str
    since_head_s: float | None
    last_event_lag_s: float | None
    interval_s: float
    polls: int
    events: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a health or metrics endpoint."""
        return {"seller_id": self.seller_id, "since_head_s": _round(self.since_head_s),
                "last_event_lag_s": _round(self.last_event_lag_s),
                "interval_s": round(self.interval_s, 3), "polls": self.polls,
                "events": self.events}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class _Seller:
    """Per-seller state, kept small: a fleet holds thousands."""

    __slots__ = ("active_at", "events", "head_at", "interval", "lag", "last_poll", "polls",
                 "streak")

    def __init__(self) -> None:
        self.last_poll: float | None = None
        self.interval = 0.0
        self.streak = _UNKNOWN_STREAK
        self.head_at: float | None = None
        self.lag: float | None = None
        self.polls = 0
        self.events = 0
        self.active_at: float | None = None


def _positive(value: object, name: str, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidArgumentError(name, f"must be a number > 0, got {value!r}", fix)
    return float(value)


class PollScheduler:
    """Turns to poll, shared by all sellers, at most ``rate_per_min`` a minute.

    Args:
        requests_per_min: the polling budget of the whole fleet; default ``share`` of
            ``app_limit_per_min`` less ``reserved_per_min`` (what the app's other requests use).
        burst: most turns handed out at once after a quiet spell.
        active_interval: seconds between polls of a seller whose last poll brought events.
        max_interval: the longest wait between polls of an idle seller.
        active_max_interval: the longest wait while the seller's last event is less than
            ``active_for`` seconds old (an active seller's orders come in bursts and gaps).
        park_after: a seller whose next turn is at least this far ends its consumer task
            until then (consumers of idle sellers then cost a few hundred bytes each).
        factor: how much the wait grows after each poll that brought nothing.
        clock, wall_clock, sleep: monotonic seconds, epoch seconds (event times are compared
            with it), and a sleep on ``clock`` (fake ones in tests).

    Each worker of a fleet polls at ``fraction`` of the rate (set by the fleet as workers come
    and go), so the fleet together stays inside ``requests_per_min``.
    """

    def __init__(
        self,
        *,
        requests_per_min: float | None = None,
        share: float = 0.5,
        app_limit_per_min: float = APP_LIMIT_PER_MIN,
        reserved_per_min: float = 0.0,
        burst: int = 5,
        active_interval: float = 10.0,
        max_interval: float = 300.0,
        active_max_interval: float = 30.0,
        active_for: float = 900.0,
        factor: float = 2.0,
        park_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
    ) -> None:
        if requests_per_min is None:
            if not 0 < share <= 1:
                raise InvalidArgumentError("share", f"must be in (0, 1], got {share!r}",
                                           "e.g. share=0.5: half of the app's budget")
            requests_per_min = share * app_limit_per_min - reserved_per_min
            if requests_per_min <= 0:
                raise InvalidArgumentError(
                    "reserved_per_min", "leaves no budget for polling",
                    "raise share= or give requests_per_min= explicitly")
        self.requests_per_min = _positive(requests_per_min, "requests_per_min",
                                          "e.g. requests_per_min=3000")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise InvalidArgumentError("burst", f"must be an int >= 1, got {burst!r}",
                                       "e.g. burst=5")
        self.burst = burst
        self.active_interval = _positive(active_interval, "active_interval",
                                         "e.g. active_interval=10")
        self.max_interval = _positive(max_interval, "max_interval", "e.g. max_interval=300")
        if self.max_interval < self.active_interval:
            raise InvalidArgumentError("max_interval", "is below active_interval",
                                       "need active_interval <= max_interval")
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor < 1:
            raise InvalidArgumentError("factor", f"must be >= 1, got {factor!r}", "e.g. 2")
        self.factor = float(factor)
        self.park_after = _positive(park_after, "park_after", "e.g. park_after=30")
        self.active_max_interval = _positive(active_max_interval, "active_max_interval",
                                             "e.g. active_max_interval=30")
        if not self.active_interval <= self.active_max_interval <= self.max_interval:
            raise InvalidArgumentError(
                "active_max_interval", "is not between active_interval and max_interval",
                "need active_interval <= active_max_interval <= max_interval")
        self.active_for = _positive(active_for, "active_for", "e.g. active_for=900")
        self._parked: dict[str, list[Any]] = {}
        self.fraction = 1.0
        self._clock, self._wall, self._sleep = clock, wall_clock, sleep
        self._sellers: dict[str, _Seller] = {}
        # waiting turns: [due, seq, seller_id, event]; a cancelled waiter clears its event
        self._heap: list[list[Any]] = []
        self._seq = itertools.count()
        self._tat = float("-inf")  # GCRA: when the next turn is due at the steady rate
        self._wakeup = anyio.Event()
        self._waiting: anyio.CancelScope | None = None
        self._waiting_for = float("inf")
        self.granted = 0
        self.running = False

    def __repr__(self) -> str:
        return (f"<PollScheduler {self.rate_per_min:g}/min sellers={len(self._sellers)} "
                f"waiting={len(self._heap)} granted={self.granted}>")

    @property
    def rate_per_min(self) -> float:
        """This worker's polling rate: ``requests_per_min * fraction``."""
        return self.requests_per_min * self.fraction

    def set_fraction(self, fraction: float) -> None:
        """Poll at ``fraction`` of ``requests_per_min`` (a fleet's worker: 1 / workers)."""
        if not 0 < fraction <= 1:
            raise InvalidArgumentError("fraction", f"must be in (0, 1], got {fraction!r}",
                                       "e.g. 1 / live workers")
        self.fraction = fraction
        self._poke(float("-inf"))

    # -- turns --------------------------------------------------------------------------------
    async def turn(self, seller_id: str) -> None:
        """Wait until ``seller_id`` may send its next poll (the dispatcher must run: see
        :meth:`run`)."""
        state = self._sellers.get(seller_id)
        if state is None:
            state = self._sellers[seller_id] = _Seller()
        now = self._clock()
        due = now if state.last_poll is None else max(now, state.last_poll + state.interval)
        event = anyio.Event()
        entry: list[Any] = [due, next(self._seq), seller_id, event]
        heapq.heappush(self._heap, entry)
        self._poke(due)
        try:
            await event.wait()
        except BaseException:
            entry[3] = None  # the dispatcher skips it
            raise

    def polled(self, seller_id: str, *, events: int, head: bool,
               last_occurred: datetime | None = None) -> None:
        """Report a poll's answer: ``events`` fetched, ``head`` reached (the page had room),
        the newest event's time. Decides when the seller's next turn is due."""
        state = self._sellers.get(seller_id)
        if state is None:
            state = self._sellers[seller_id] = _Seller()
        now = state.last_poll = self._clock()
        state.polls += 1
        wall = self._wall()
        if events:
            state.events += events
            state.streak = 0
            state.active_at = now
            state.interval = self.active_interval if head else 0.0
            if last_occurred is not None:
                state.lag = max(0.0, wall - last_occurred.timestamp())
        else:
            state.streak += 1
            recent = state.active_at is not None and now - state.active_at < self.active_for
            state.interval = min(self.active_interval * self.factor ** min(state.streak, 64),
                                 self.active_max_interval if recent else self.max_interval)
        if head:
            state.head_at = wall

    def forget(self, seller_id: str) -> None:
        """Drop what is known of ``seller_id`` (it went to another worker or left)."""
        self._sellers.pop(seller_id, None)
        self.unpark(seller_id)

    def parks(self, seller_id: str) -> bool:
        """Whether the seller's next turn is at least ``park_after`` away."""
        state = self._sellers.get(seller_id)
        return state is not None and state.interval >= self.park_after

    def park(self, seller_id: str, wake: Callable[[str], None]) -> None:
        """Call ``wake(seller_id)`` when the seller's next turn is due (no task waits)."""
        state = self._sellers.get(seller_id)
        now = self._clock()
        due = now if state is None or state.last_poll is None else max(
            now, state.last_poll + state.interval)
        entry: list[Any] = [due, next(self._seq), seller_id, wake]
        self._parked[seller_id] = entry
        heapq.heappush(self._heap, entry)
        self._poke(due)

    def unpark(self, seller_id: str) -> None:
        """Cancel a :meth:`park` not yet woken."""
        entry = self._parked.pop(seller_id, None)
        if entry is not None:
            entry[3] = None

    def freshness(self, seller_id: str) -> SellerFreshness | None:
        """The seller's :class:`SellerFreshness` (``None`` if never scheduled here)."""
        state = self._sellers.get(seller_id)
        if state is None:
            return None
        wall = self._wall()
        return SellerFreshness(
            seller_id, None if state.head_at is None else max(0.0, wall - state.head_at),
            state.lag, state.interval, state.polls, state.events)

    def report(self) -> dict[str, SellerFreshness]:
        """Every seller's freshness."""
        return {s: f for s in list(self._sellers) if (f := self.freshness(s)) is not None}

    # -- the dispatcher -----------------------------------------------------------------------
    def _poke(self, due: float) -> None:
        self._wakeup.set()
        if self._waiting is not None and due < self._waiting_for:
            self._waiting.cancel()

    async def run(self) -> None:
        """Hand out turns until cancelled (``EventConsumers`` runs it in its task group)."""
        if self.running:
            raise InvalidArgumentError("PollScheduler", "is already running",
                                       "give each EventConsumers its own scheduler")
        self.running = True
        try:
            while True:
                await self._dispatch_one()
        finally:
            self.running = False

    async def _dispatch_one(self) -> None:
        heap = self._heap
        while heap and heap[0][3] is None:
            heapq.heappop(heap)
        if not heap:
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
            return
        step = 60.0 / self.rate_per_min
        now = self._clock()
        at = max(heap[0][0], self._tat - (self.burst - 1) * step)
        if at > now:
            with anyio.CancelScope() as scope:
                self._waiting, self._waiting_for = scope, heap[0][0]
                try:
                    await self._sleep(at - now)
                finally:
                    self._waiting, self._waiting_for = None, float("inf")
            return
        entry = heapq.heappop(heap)
        waiter = entry[3]
        if waiter is None:
            return
        if not isinstance(waiter, anyio.Event):  # a parked seller: wake it, it asks again
            self._parked.pop(entry[2], None)
            waiter(entry[2])
            return
        self._tat = max(self._tat, now) + step
        self.granted += 1
        waiter.set()
        await anyio.lowlevel.checkpoint()
