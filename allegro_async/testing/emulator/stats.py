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
    - ``block_windows``: (start, end) of each app-wide block, in emulated seconds, in the
      order they started (all Client IDs); ``block_windows_by_client`` splits them per ID;
    - ``requests_during_block``: requests that arrived while the app was blocked;
    - ``peak_parallel``: the highest number of requests in flight at once, per user key;
    - ``faults``: injected faults by kind.
    """

    requests: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    block_windows: list[tuple[float, float]] = field(default_factory=list)
    block_windows_by_client: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    requests_during_block: int = 0
    peak_parallel: dict[str, int] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)

    # index in block_windows of each Client ID's latest window (so A1 extends the right one)
    _latest_block: dict[str, int] = field(default_factory=dict, repr=False)

    def open_block(self, client_id: str, start: float, end: float) -> None:
        """Record the start of an app-wide block of ``client_id``."""
        self._latest_block[client_id] = len(self.block_windows)
        self.block_windows.append((start, end))
        self.block_windows_by_client.setdefault(client_id, []).append((start, end))

    def extend_block(self, client_id: str, end: float) -> None:
        """Move the end of ``client_id``'s latest block (A1: requests during a block extend
        it), leaving other Client IDs' windows alone."""
        index = self._latest_block.get(client_id)
        if index is None or index >= len(self.block_windows):
            return
        start = self.block_windows[index][0]
        self.block_windows[index] = (start, end)
        self.block_windows_by_client[client_id][-1] = (start, end)

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
            "block_windows_by_client": {
                k: [list(w) for w in v] for k, v in self.block_windows_by_client.items()
            },
            "requests_during_block": self.requests_during_block,
            "peak_parallel": dict(self.peak_parallel),
            "faults": dict(self.faults),
        }
