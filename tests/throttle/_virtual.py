"""Virtual time for throttle tests: sleeps wake in deadline order, and time only moves when
every task is blocked, so concurrent waiters see one consistent clock."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import httpx

from allegro_async.throttle.limiter import Throttle


class VirtualClock:
    """A clock plus a sleep; :meth:`drive` advances time to the next deadline when idle."""

    def __init__(self, batch: bool = True) -> None:
        self.now = 0.0
        # batch=False wakes one sleeper per idle point: same-deadline wake-ups keep their
        # order even on trio, whose scheduler may shuffle tasks woken together.
        self.batch = batch
        self._sleepers: list[tuple[float, int, anyio.Event]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Sleep on virtual time (a checkpoint only, for 0)."""
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        event = anyio.Event()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), event))
        await event.wait()

    async def drive(self, done: anyio.Event) -> None:
        """Until ``done``: whenever all tasks are blocked, jump to the next deadline."""
        while not done.is_set():
            await anyio.wait_all_tasks_blocked()
            if done.is_set():
                return
            if not self._sleepers:
                await anyio.lowlevel.checkpoint()
                continue
            deadline, _, event = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            event.set()
            while self.batch and self._sleepers and self._sleepers[0][0] <= self.now:
                heapq.heappop(self._sleepers)[2].set()


def throttle_on(clock: VirtualClock, **kwargs: object) -> Throttle:
    """A Throttle on virtual time."""
    return Throttle(clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


class BlockingServer(httpx.AsyncBaseTransport):
    """Answers 429 while ``blocked_until`` is ahead of the clock (each request during a block
    extends it when ``extend``), else 200; counts what it received."""

    def __init__(self, clock: VirtualClock, blocked_until: float = 0.0,
                 extend: float = 0.0) -> None:
        self.clock = clock
        self.blocked_until = blocked_until
        self.extend = extend
        self.received = 0
        self.during_block = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.received += 1
        if self.clock() < self.blocked_until:
            self.during_block += 1
            self.blocked_until = max(self.blocked_until, self.clock() + self.extend)
            return httpx.Response(429, json={"errors": [{"code": "RateLimitExceedException"}]})
        return httpx.Response(200, json={})


class Stalling(httpx.AsyncByteStream):
    """A body that blocks on read until cancelled; remembers if it was closed."""

    def __init__(self) -> None:
        self.reading = anyio.Event()
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.reading.set()
        await anyio.sleep_forever()
        yield b""  # pragma: no cover

    async def aclose(self) -> None:
        self.closed = True
