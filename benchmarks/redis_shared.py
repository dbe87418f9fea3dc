"""Several app processes share the time-scaled S1 limit through Redis (RedisThrottle), against
one emulator served over uvicorn; baseline in the same run: each process with its own in-process
Throttle at the full rate (``unshared_429s``: together they overrun and get blocked).

Starts a private redis-server (the dev extra ships one) on a free loopback port.
Goal: 0 ``responses_429``, ``ratio`` (achieved / limit, the initial burst included) >= 0.9.
Run: python benchmarks/redis_shared.py [--json] (PROCESSES below: 3).
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

from _common import parse_args, report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.redis_server import run_server
from allegro_async.testing.server import serve_in_thread
from tests.throttle_redis import _worker

SCALE = 0.5                      # 9000/min becomes 75 requests per real second (2 cores)
PROCESSES, REQUESTS, TASKS = 3, 200, 50
LIMIT_PER_S = 9000 / 60 * SCALE


def run(redis_url: str | None, kwargs: dict[str, Any]) -> tuple[float, int, int, float]:
    """All processes against a fresh emulator: (achieved/s, 429s, requests during blocks,
    requests / (burst + limit * elapsed), which stays <= 1 when the shared limit holds)."""
    emulator = Emulator(EmulatorConfig(time_scale=SCALE, sellers=2 * PROCESSES))
    ctx = multiprocessing.get_context("spawn")
    with serve_in_thread(emulator) as base_url:
        go, results = ctx.Event(), ctx.Queue()
        procs, readies = [], []
        for p in range(PROCESSES):
            ready = ctx.Event()
            tokens = [emulator.mint_token(2 * p), emulator.mint_token(2 * p + 1)]
            proc = ctx.Process(target=_worker.run, args=(base_url, tokens, REQUESTS, TASKS,
                                                         kwargs, redis_url, ready, go, results))
            proc.start()
            procs.append(proc)
            readies.append(ready)
        for ready in readies:
            ready.wait(timeout=60)
        go.set()
        out = [results.get(timeout=300) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
    start = min(o["start"] for o in out)
    end = max(o["start"] + o["elapsed"] for o in out)
    total = PROCESSES * REQUESTS
    return (total / (end - start), emulator.stats.responses_429,
            emulator.stats.requests_during_block,
            total / (kwargs["burst"] + LIMIT_PER_S * (end - start)))


def main() -> None:
    args = parse_args(__doc__)
    full = {"rate": LIMIT_PER_S * 60, "per": 60, "burst": 100}
    # The baseline gives up on its first 429 (the emulator then blocks for 30 real seconds).
    unshared = {**full, "block_seconds": 0.5, "retry_429_for": 0}
    with run_server("redis") as url:
        started = time.perf_counter()
        achieved, r429, during, ceiling = run(url, {**full, "client_id": "bench",
                                           "processes": PROCESSES})
        shared_s = time.perf_counter() - started
        _, base_429, _, _ = run(None, unshared)
    result = {
        "processes": PROCESSES,
        "limit_per_s": LIMIT_PER_S,
        "achieved_per_s": round(achieved, 1),
        "ratio": round(achieved / LIMIT_PER_S, 4),
        "responses_429": r429,
        "requests_during_block": during,
        "of_burst_plus_rate_t": round(ceiling, 4),
        "shared_run_s": round(shared_s, 2),
        "unshared_429s": base_429,
    }
    report(f"{PROCESSES} processes x {REQUESTS} requests sharing the time-scaled S1 limit",
           result, args.json, {"ratio": ">= 0.9 (burst of 100 included)",
                               "responses_429": "0", "of_burst_plus_rate_t": "<= 1",
                               "unshared_429s": "> 0 (baseline)"})


if __name__ == "__main__":
    main()
