"""Per-acquire cost of our LeakyBucket vs aiolimiter's AsyncLimiter, with spare capacity.

Run: python benchmarks/limiter_overhead.py [--json]. Keys: ours_us, aiolimiter_us, ratio
(ours / aiolimiter; goal <= 0.5).
"""

from __future__ import annotations

import asyncio
import time

from _common import parse_args, report
from aiolimiter import AsyncLimiter

from allegro_async.throttle import LeakyBucket

N = 200_000


async def _time(acquire: object) -> float:
    fn = acquire  # a bound coroutine function
    start = time.perf_counter()
    for _ in range(N):
        await fn()  # type: ignore[operator]
    return (time.perf_counter() - start) / N * 1e6


async def measure() -> dict[str, float]:
    ours_runs, theirs_runs = [], []
    for _ in range(5):  # interleaved, best of five: both see the same machine state
        ours = LeakyBucket(rate=1e12, capacity=1e12)
        theirs = AsyncLimiter(max_rate=1e12, time_period=1)
        ours_runs.append(await _time(ours.acquire))
        theirs_runs.append(await _time(theirs.acquire))
    ours_us, theirs_us = min(ours_runs), min(theirs_runs)
    return {"ours_us": round(ours_us, 4), "aiolimiter_us": round(theirs_us, 4),
            "ratio": round(ours_us / theirs_us, 4)}


def main() -> None:
    args = parse_args(__doc__)
    result = asyncio.run(measure())
    report("limiter overhead per acquire (spare capacity)", result, args.json,
           {"ratio": "<= 0.5"})


if __name__ == "__main__":
    main()
