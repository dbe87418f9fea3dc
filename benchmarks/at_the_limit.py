"""A bulk job at the S1 limit: 3000 requests from 500 tasks through AllegroClient, against the
in-process emulator with a time-scaled Client-ID limit and 50 ms latency.

Baselines in the same run: plain httpx + gather (``naive_429s``) and httpx behind aiolimiter
at capacity 1 (``aiolimiter_ratio``, ``aiolimiter_429s``). Goal: 0 ``responses_429`` and
``ratio`` (achieved / limit) >= 0.97. Run: python benchmarks/at_the_limit.py [--json].

``--long``: the limit held over ``LONG_MINUTES`` emulated minutes (time scale ``LONG_SCALE``),
an app whose S1 limit is ``LONG_PER_MIN`` per minute on both sides (so a loaded 2-core machine
keeps up in real time: about a minute), 50 tasks, no latency. Keys: ``sustained_ratio`` (the
rate after the initial burst over the limit; goal 0.98..1.0), ``worst_window_ratio`` (the most
requests in any 60-emulated-second window over the limit; goal <= ``allowed_window_ratio``,
1 plus the burst) and ``responses_429`` (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import time
from collections.abc import Awaitable, Callable

import httpx
from _common import report
from aiolimiter import AsyncLimiter

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.throttle import Throttle

SCALE = 2.0            # emulated seconds per real second: 9000/min becomes 300 requests/s
LATENCY = 0.050        # real seconds
REQUESTS, TASKS, SELLERS = 3000, 500, 10
LIMIT_PER_S = 9000 / 60 * SCALE


def make_emulator() -> Emulator:
    return Emulator(EmulatorConfig(time_scale=SCALE, sellers=SELLERS,
                                   limits=LimitsConfig(latency=LATENCY * SCALE)))


async def drive(call: Callable[[int], Awaitable[int]]) -> tuple[float, list[int]]:
    """Run REQUESTS calls from TASKS tasks; the elapsed real time and the statuses."""
    statuses: list[int] = []
    counter = iter(range(REQUESTS))

    async def worker() -> None:
        for i in counter:
            statuses.append(await call(i))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(TASKS)))
    return time.perf_counter() - start, statuses


async def ours() -> dict[str, float | int]:
    emulator = make_emulator()
    throttle = Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep)
    async with emulator.client(0, throttle=throttle) as client:
        views = [client.with_options(access_token=emulator.mint_token(i)) for i in range(SELLERS)]

        async def call(i: int) -> int:
            return (await views[i % SELLERS].request_raw("GET", "/me")).status_code

        elapsed, _ = await drive(call)
    return {"achieved_per_s": REQUESTS / elapsed,
            "responses_429": emulator.stats.responses_429,
            "requests_during_block": emulator.stats.requests_during_block}


async def plain(limiter: AsyncLimiter | None) -> tuple[float, int]:
    emulator = make_emulator()
    tokens = [emulator.mint_token(i) for i in range(SELLERS)]
    accept = {"Accept": "application/vnd.allegro.public.v1+json"}
    async with httpx.AsyncClient(transport=emulator.transport(),
                                 base_url="http://allegro.emulator", headers=accept) as http:
        async def call(i: int) -> int:
            if limiter is not None:
                await limiter.acquire()
            auth = {"Authorization": f"Bearer {tokens[i % SELLERS]}"}
            return (await http.get("/me", headers=auth)).status_code

        elapsed, _ = await drive(call)
    return REQUESTS / elapsed, emulator.stats.responses_429


async def measure() -> dict[str, float | int]:
    result = await ours()
    _, naive_429s = await plain(None)
    aio_rate, aio_429s = await plain(AsyncLimiter(1, 1 / LIMIT_PER_S))
    return {
        "limit_per_s": LIMIT_PER_S,
        "achieved_per_s": round(float(result["achieved_per_s"]), 1),
        "ratio": round(float(result["achieved_per_s"]) / LIMIT_PER_S, 4),
        "responses_429": result["responses_429"],
        "requests_during_block": result["requests_during_block"],
        "naive_429s": naive_429s,
        "aiolimiter_ratio": round(aio_rate / LIMIT_PER_S, 4),
        "aiolimiter_429s": aio_429s,
    }


LONG_MINUTES, LONG_SCALE, LONG_PER_MIN, LONG_BURST, LONG_TASKS = 60, 60.0, 240, 10, 50


async def long_run() -> dict[str, float | int]:
    """``--long``: the S1 limit held for an emulated hour."""
    emulator = Emulator(EmulatorConfig(time_scale=LONG_SCALE, sellers=SELLERS, limits=LimitsConfig(
        app_rate=LONG_PER_MIN, app_burst=LONG_BURST * 1.5)))
    clock = emulator.clock
    throttle = Throttle(rate=LONG_PER_MIN, burst=LONG_BURST, clock=clock.monotonic,
                        sleep=clock.sleep)
    done: list[float] = []  # when each response came, in emulated seconds
    start = clock.monotonic()
    end = start + LONG_MINUTES * 60
    async with emulator.client(0, throttle=throttle) as client:
        views = [client.with_options(access_token=emulator.mint_token(i)) for i in range(SELLERS)]

        async def worker(n: int) -> None:
            while clock.monotonic() < end:
                await views[n % SELLERS].request_raw("GET", "/me")
                done.append(clock.monotonic() - start)

        real = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(LONG_TASKS)))
        real_s = time.perf_counter() - real
    done.sort()
    per_s = LONG_PER_MIN / 60
    after = done[LONG_BURST:]
    sustained = (len(after) - 1) / (after[-1] - after[0]) / per_s
    # The most responses in any 60 s window, each window starting at a response.
    worst = max(bisect.bisect_left(done, t + 60.0) - i for i, t in enumerate(done))
    return {"emulated_minutes": round(done[-1] / 60, 1), "real_seconds": round(real_s, 1),
            "requests": len(done), "limit_per_min": LONG_PER_MIN,
            "sustained_ratio": round(sustained, 4),
            "worst_window_ratio": round(worst / LONG_PER_MIN, 4),
            "allowed_window_ratio": round(1 + LONG_BURST / LONG_PER_MIN, 4),
            "responses_429": emulator.stats.responses_429}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--long", action="store_true", help="an emulated hour (module docs)")
    args = parser.parse_args()
    if args.long:
        long = asyncio.run(long_run())
        if args.json:
            print(json.dumps(long))
            return
        report(f"the S1 limit over {LONG_MINUTES} emulated minutes", long, False,
               {"sustained_ratio": "0.98..1.0", "worst_window_ratio": "<= allowed",
                "responses_429": "0"})
        return
    result = asyncio.run(measure())
    report("3000 requests / 500 tasks at the time-scaled S1 limit", result, args.json,
           {"ratio": ">= 0.97", "responses_429": "0"})


if __name__ == "__main__":
    main()
