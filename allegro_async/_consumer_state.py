"""The consumers' restart delays and per-seller metrics (public from
:mod:`allegro_async.consumers`)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from allegro_async.errors import InvalidArgumentError

__all__ = ["Backoff", "ConsumerMetrics"]


@dataclass(frozen=True)
class Backoff:
    """Restart delays: ``initial * factor**(n-1)`` after the n-th failure in a row, capped at
    ``maximum``, each multiplied by a random factor in ``[1 - jitter, 1]`` so that sellers
    failing together (an Allegro outage) do not all retry in the same instant."""

    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum:
            raise InvalidArgumentError("backoff", "need 0 < initial <= maximum",
                                       "e.g. Backoff(initial=1, maximum=60)")
        if self.factor < 1 or not 0 <= self.jitter <= 1:
            raise InvalidArgumentError("backoff", "need factor >= 1 and 0 <= jitter <= 1",
                                       "e.g. Backoff(factor=2, jitter=0.5)")

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``failures`` failures in a row (``failures >= 1``)."""
        base = min(self.initial * self.factor ** max(failures - 1, 0), self.maximum)
        return base * (1 - self.jitter * rand())


@dataclass
class ConsumerMetrics:
    """What one seller's consumer did. ``lag_seconds`` is how old the oldest fetched event
    not yet handled is (the one in its handler included, so a handler stuck on its first event
    shows a growing lag; 0.0 once it has handled everything it fetched); ``behind`` is how many
    fetched events wait."""

    seller_id: str
    running: bool = False
    handled: int = 0
    duplicates_dropped: int = 0
    restarts: int = 0
    last_error: str | None = None
    stopped: str | None = None
    cursor: str | None = None
    behind: int = 0
    last_event_at: datetime | None = field(default=None, repr=False)
    #: when the oldest fetched event not yet handled occurred (``None``: none waits)
    oldest_waiting_at: datetime | None = field(default=None, repr=False)
    _clock: Callable[[], float] = field(default=time.time, repr=False)

    @property
    def lag_seconds(self) -> float:
        """Age of the oldest fetched event not yet handled, else 0.0."""
        since = self.oldest_waiting_at or self.last_event_at
        if self.behind == 0 or since is None:
            return 0.0
        return max(0.0, self._clock() - since.timestamp())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a health or metrics endpoint."""
        return {
            "seller_id": self.seller_id, "running": self.running, "handled": self.handled,
            "duplicates_dropped": self.duplicates_dropped, "restarts": self.restarts,
            "last_error": self.last_error, "stopped": self.stopped, "cursor": self.cursor,
            "behind": self.behind, "lag_seconds": round(self.lag_seconds, 3),
        }


for _public in (Backoff, ConsumerMetrics):  # documented, pickled and shown where users import
    _public.__module__ = "allegro_async.consumers"
