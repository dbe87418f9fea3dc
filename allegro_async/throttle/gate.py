"""Two small synchronisation pieces of the throttle: FIFO slots with a capacity that can change
(in-flight caps), and the app gate that closes during an app-wide block (A1)."""

from __future__ import annotations

from collections import deque
from typing import Literal

import anyio

from allegro_async.throttle.bucket import Clock, Sleep

GateState = Literal["open", "closed", "probing"]


class Slots:
    """A FIFO semaphore whose capacity may change while in use (the adaptive per-user cap)."""

    __slots__ = ("_capacity", "_waiters", "in_use")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self.in_use = 0
        self._waiters: deque[anyio.Event] = deque()

    @property
    def capacity(self) -> int:
        """How many may be held at once."""
        return self._capacity

    @capacity.setter
    def capacity(self, value: int) -> None:
        """Change the capacity (at least 1); waiters get any slots it frees at once."""
        self._capacity = max(1, value)
        self._wake()

    def _wake(self) -> None:
        # Hand free slots to the head waiters; the slot is taken on their behalf.
        while self._waiters and self.in_use < self._capacity:
            self.in_use += 1
            self._waiters.popleft().set()

    async def acquire(self) -> None:
        """Take a slot, waiting in FIFO order if none is free."""
        if not self._waiters and self.in_use < self._capacity:
            self.in_use += 1
            return
        event = anyio.Event()
        self._waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():
                self.release()  # granted just as we were cancelled: give it back
            else:
                self._waiters.remove(event)
            raise

    def release(self) -> None:
        """Give a slot back."""
        self.in_use -= 1
        self._wake()


class AppGate:
    """Closed while the app (Client ID) is blocked; then lets one probe through at a time.

    Requests sent during a block make it longer (A1), so while closed nothing passes; when the
    block time is over one probe goes out; its success opens the gate for everyone, another 429
    closes it again.
    """

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self.state: GateState = "open"
        self.closed_until = 0.0
        self.blocks = 0
        self._probe_out = False
        self._timer_running = False
        # Made by the first waiter, inside its event loop: an anyio.Event made here, when a
        # client is built outside one, would import asyncio just to pick a backend.
        self._changed_event: anyio.Event | None = None

    @property
    def _changed(self) -> anyio.Event:
        """The event the next state change sets (made on first use)."""
        if self._changed_event is None:
            self._changed_event = anyio.Event()
        return self._changed_event

    def _notify(self) -> None:
        if self._changed_event is not None:
            self._changed_event.set()
            self._changed_event = None

    async def _sleep_out_block(self, now: float) -> None:
        """Sleep until ``closed_until`` as the one timer of this gate, then tell every waiter.

        Only one waiter sleeps (the rest wait on ``_changed``), so a block costs one timer,
        not one per queued request; the subclass sharing the block via Redis uses it too.
        """
        self._timer_running = True
        try:
            await self._sleep(self.closed_until - now)
        finally:
            self._timer_running = False
            self._notify()

    def close(self, seconds: float) -> None:
        """Start (or extend) a block of ``seconds``."""
        until = self._clock() + seconds
        if self.state == "open":
            self.blocks += 1
        self.state = "closed"
        self.closed_until = max(self.closed_until, until)
        self._probe_out = False
        self._notify()

    def probe_done(self, success: bool) -> None:
        """Report the outcome of a probe (``success=False`` is handled by :meth:`close`)."""
        self._probe_out = False
        if success and self.state != "open":
            self.state = "open"
        self._notify()

    async def wait(self) -> bool:
        """Wait until a request may go; returns ``True`` if it goes as the probe."""
        while True:
            if self.state == "open":
                return False
            now = self._clock()
            if self.state == "closed" and now >= self.closed_until:
                self.state = "probing"
            if self.state == "probing":
                if not self._probe_out:
                    self._probe_out = True
                    return True
                await self._changed.wait()
                continue
            if not self._timer_running:
                await self._sleep_out_block(now)
            else:
                await self._changed.wait()
