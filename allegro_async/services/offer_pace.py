"""The pace of command PUTs: a per-user budget of offer changes per minute (A2: 9000/min),
which :class:`~allegro_async.services.commands.CommandEngine` keeps when given ``pace=``.

Importable from :mod:`allegro_async.services.commands` too, where it has always been.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from allegro_async import _args

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class OfferPace:
    """Keeps command PUTs under a per-user budget of offer changes per minute (A2: 9000/min).

    A sliding 60-second window of what was sent; ``acquire(n)`` waits until ``n`` more fit.
    ``clock`` and ``sleep`` are injectable so tests run on emulated time.
    """

    def __init__(self, per_minute: float, *, clock: Clock = time.monotonic,
                 sleep: Sleep = anyio.sleep) -> None:
        # nan would make every comparison false: one PUT a minute, whatever the budget.
        self.per_minute = _args.positive(per_minute, "per_minute")
        self._clock = clock
        self._sleep = sleep
        self._sent: list[tuple[float, int]] = []

    async def acquire(self, count: int) -> None:
        """Wait until ``count`` offer changes fit in the window, then book them."""
        while True:
            now = self._clock()
            self._sent = [(t, n) for t, n in self._sent if now - t < 60.0]
            used = sum(n for _, n in self._sent)
            if not self._sent or used + count <= self.per_minute:
                self._sent.append((now, count))
                return
            await self._sleep(max(0.001, 60.0 - (now - self._sent[0][0])))
