"""Run several app processes (:mod:`tests.throttle_redis._worker`) against one emulator
served over HTTP, with scenario events (stop Redis) at given times; shared by the tests and
``benchmarks/redis_shared.py``."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allegro_async.testing import Emulator
from allegro_async.testing.server import serve_in_thread
from tests.throttle_redis import _worker


@dataclass
class Fleet:
    """What a run produced: each process's result, when "go" was given, and the emulator's
    429 count at each event."""

    results: list[dict[str, Any]]
    go: float
    marks: dict[str, tuple[float, int]] = field(default_factory=dict)

    def ok_times(self) -> list[float]:
        """Arrival times of every 200, all processes, sorted, relative to "go"."""
        return sorted(t - self.go for r in self.results for t in r["ok"])

    def sent_times(self) -> list[float]:
        """When every request left its throttle for the network, all processes, sorted,
        relative to "go"."""
        return sorted(t - self.go for r in self.results for t in r["sent"])

    def shared(self, name: str) -> int:
        """A RedisThrottle counter summed over the processes."""
        return sum(int(r["shared"].get(name, 0)) for r in self.results)


def run_fleet(emulator: Emulator, redis_url: str | None, processes: int, duration: float,
              throttle_kwargs: dict[str, Any], *, tasks: int = 20, sellers: int = 4,
              events: tuple[tuple[str, float, Callable[[], None]], ...] = ()) -> Fleet:
    """Start ``processes`` workers (``sellers`` each, so the emulator needs
    ``processes * sellers``), release them together, run
    ``events`` (name, seconds after go, action) from this thread, collect the results."""
    ctx = multiprocessing.get_context("spawn")
    with serve_in_thread(emulator) as base_url:
        go, results = ctx.Event(), ctx.Queue()
        workers, readies = [], []
        for p in range(processes):
            ready = ctx.Event()
            tokens = [emulator.mint_token(p * sellers + i) for i in range(sellers)]
            proc = ctx.Process(target=_worker.run, args=(
                base_url, tokens, duration, tasks, throttle_kwargs, redis_url, ready, go,
                results))
            proc.start()
            workers.append(proc)
            readies.append(ready)
        for ready in readies:
            assert ready.wait(timeout=120), "a worker process did not start"
        started = time.monotonic()
        go.set()
        fleet = Fleet([], started)
        for name, at, action in sorted(events, key=lambda e: e[1]):
            # Scenario timing (when the outage starts), not synchronisation: the assertions
            # read counters and timestamps, whatever the exact moment turns out to be.
            time.sleep(max(0.0, started + at - time.monotonic()))
            fleet.marks[name] = (time.monotonic() - started, emulator.stats.responses_429)
            action()
        fleet.results = [results.get(timeout=duration + 120) for _ in workers]
        for proc in workers:
            proc.join(timeout=30)
            assert proc.exitcode == 0
    return fleet
