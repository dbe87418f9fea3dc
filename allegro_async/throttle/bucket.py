"""A leaky bucket on anyio: strict FIFO, weighted, one timer, exact under cancellation.

The bucket holds a *level* that drains at ``rate`` units per second and may never exceed
``capacity``. ``acquire(cost)`` adds ``cost`` to the level, waiting first until it fits. So in
any window of length ``t`` at most ``capacity + rate * t`` units are admitted.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

from allegro_async.errors import InvalidArgumentError

#: A clock returning seconds (monotonic) and a matching sleep; both injectable for tests.
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


#: Float slack: a deficit this small counts as fitting, so a sleep too short to move the clock
#: cannot spin forever.
_EPSILON = 1e-9


class _Waiter:
    __slots__ = ("cost", "event")

    def __init__(self, cost: float) -> None:
        self.cost = cost
        self.event = anyio.Event()


class LeakyBucket:
    """Admit ``rate`` units per second with bursts of at most ``capacity`` units.

    Improves on aiolimiter in four ways: waiters are served strictly first-come-first-served
    (a small request never jumps a large one), only the head waiter runs a timer, the burst
    never exceeds ``capacity``, and it runs on asyncio and trio (anyio)::

        bucket = LeakyBucket(rate=150, capacity=50)   # 9000/min, bursts of 50
        await bucket.acquire()        # one request
        await bucket.acquire(1000)    # a command touching 1000 offers (capacity >= 1000!)

    A waiter cancelled while queued takes nothing from the bucket and the next waiter moves up.
    """

    __slots__ = ("_capacity", "_clock", "_last", "_level", "_rate", "_sleep", "_waiters")

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if not rate > 0:
            raise InvalidArgumentError("rate", f"must be > 0, got {rate!r}",
                                       "give units per second, e.g. 9000 / 60")
        if not capacity > 0:
            raise InvalidArgumentError("capacity", f"must be > 0, got {capacity!r}",
                                       "give the largest burst to allow, e.g. 50")
        self._rate = float(rate)
        self._capacity = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._last = clock()
        self._waiters: deque[_Waiter] = deque()

    # -- introspection ---------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """Units drained per second."""
        return self._rate

    @property
    def capacity(self) -> float:
        """The largest burst admitted at once."""
        return self._capacity

    @property
    def level(self) -> float:
        """Units currently in the bucket (after draining to now)."""
        self._drain()
        return self._level

    @property
    def waiting(self) -> int:
        """How many acquirers are queued."""
        return len(self._waiters)

    def set_rate(self, rate: float) -> None:
        """Change the drain rate from now on (used to slow one user down and regrow it)."""
        if not rate > 0:
            raise InvalidArgumentError("rate", f"must be > 0, got {rate!r}", "give a positive rate")
        self._drain()
        self._rate = float(rate)

    def __repr__(self) -> str:
        return (f"<LeakyBucket rate={self._rate:g}/s capacity={self._capacity:g} "
                f"level={self.level:.2f} waiting={len(self._waiters)}>")

    # -- acquiring -------------------------------------------------------------------------
    def _drain(self) -> None:
        now = self._clock()
        elapsed = now - self._last
        if elapsed > 0:
            self._level = max(0.0, self._level - elapsed * self._rate)
        self._last = now

    def _check_cost(self, cost: float) -> None:
        if not 0 < cost <= self._capacity:
            raise InvalidArgumentError(
                "cost", f"{cost!r} is not in (0, capacity={self._capacity:g}]",
                "split the work, or raise the bucket's capacity",
            )

    def try_acquire(self, cost: float = 1.0) -> bool:
        """Take ``cost`` now if it fits and nobody is queued; never waits."""
        self._check_cost(cost)
        if self._waiters:
            return False
        self._drain()
        if self._level + cost <= self._capacity:
            self._level += cost
            return True
        return False

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait (FIFO) until ``cost`` units fit, then take them."""
        # Fast path without a checkpoint, like aiolimiter: spare capacity costs a few ns.
        # _check_cost and _drain written out here: their calls were most of its cost.
        if not self._waiters:
            capacity = self._capacity
            if not 0 < cost <= capacity:
                self._check_cost(cost)  # raises, naming the bounds
            now = self._clock()
            level = self._level
            elapsed = now - self._last
            if elapsed > 0:
                level -= elapsed * self._rate
                if level < 0.0:
                    level = 0.0
            self._last = now
            if level + cost <= capacity:
                self._level = level + cost
                return
            self._level = level
        else:
            self._check_cost(cost)
        waiter = _Waiter(cost)
        self._waiters.append(waiter)
        try:
            while True:
                if self._waiters[0] is not waiter:
                    await waiter.event.wait()
                    waiter.event = anyio.Event()
                    continue
                self._drain()
                deficit = self._level + cost - self._capacity
                if deficit <= _EPSILON:
                    # Take and dequeue with no await in between: a cancel cannot split them.
                    self._level += cost
                    self._waiters.popleft()
                    if self._waiters:
                        self._waiters[0].event.set()
                    return
                # The one timer: only the head sleeps; the rest wait on their events.
                await self._sleep(deficit / self._rate)
        except BaseException:
            was_head = bool(self._waiters) and self._waiters[0] is waiter
            try:
                self._waiters.remove(waiter)
            except ValueError:
                pass
            if was_head and self._waiters:
                self._waiters[0].event.set()
            raise
