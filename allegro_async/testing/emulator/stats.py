"""Counters the emulator keeps, readable from Python (``emulator.stats``) and over HTTP."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EmulatorStats:
    """What the emulator saw. Tests and benchmarks assert on these instead of sleeping.

    - ``requests``: every request received (API and OAuth);
    - ``by_route``: requests per ``"METHOD /route/{template}"``;
    - ``by_status``: responses per status code;
    - ``rate_limited``: 429s by cause (``app_block``, ``app_rate``, ``user_parallel``,
      ``user_rate``);
    - ``block_windows``: (start, end) of each app-wide block, in emulated seconds;
    - ``requests_during_block``: requests that arrived while the app was blocked;
    - ``peak_parallel``: the highest number of requests in flight at once, per user key;
    - ``faults``: injected faults by kind.
    """

    requests: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    block_windows: list[tuple[float, float]] = field(default_factory=list)
    requests_during_block: int = 0
    peak_parallel: dict[str, int] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def responses_429(self) -> int:
        """All 429 responses, whatever the cause."""
        return self.by_status.get(429, 0)

    def route(self, method: str, template: str) -> int:
        """Requests received for one route, e.g. ``route("PUT",
        "/sale/offer-price-change-commands/{commandId}")``."""
        return self.by_route.get(f"{method.upper()} {template}", 0)

    def reset(self) -> None:
        """Zero every counter."""
        fresh = EmulatorStats()
        self.__dict__.update(fresh.__dict__)

    def snapshot(self) -> dict[str, Any]:
        """All counters as plain JSON-ready data."""
        return {
            "requests": self.requests,
            "by_route": dict(self.by_route),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "rate_limited": dict(self.rate_limited),
            "responses_429": self.responses_429,
            "block_windows": [list(w) for w in self.block_windows],
            "requests_during_block": self.requests_during_block,
            "peak_parallel": dict(self.peak_parallel),
            "faults": dict(self.faults),
        }
