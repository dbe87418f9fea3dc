"""Streaming memory: following 1 000 000 order events and walking 100 000 checkout forms must
keep resident memory flat (growth < 50 MB), because nothing is kept per event or per form.

The emulator's data is generated first; the baseline RSS is taken after that, so the growth is
what the client (and the emulator serving pages) adds while streaming. Speed is reported as
events per second, with the same run's raw page reads (no de-dup, no cursor commits) as the
baseline ratio.

    python benchmarks/streaming_memory.py                 # a table
    python benchmarks/streaming_memory.py --json          # one JSON object: events_rss_mb,
                                                          # orders_rss_mb, events_per_s, ...
    python benchmarks/streaming_memory.py --events 200000 --orders 20000   # a quicker run
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from typing import Any

import anyio
import psutil

from allegro_async.cursors import MemoryCursorStore
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.orders import OrdersConfig

LIMIT_MB = 50.0
_PROCESS = psutil.Process()


def _rss_mb() -> float:
    return float(_PROCESS.memory_info().rss) / 2**20


async def _no_sleep(seconds: float) -> None:
    return None


async def events(emulator: Emulator, count: int) -> dict[str, Any]:
    """Stream every event of seller 0 once; sample RSS as it goes."""
    gc.collect()
    cold = _rss_mb()
    delivered = 0
    async with emulator.client(0, throttle=False) as client:
        # One page first: the import and first-call costs of httpx, starlette and pydantic
        # (about 10 MB) are not growth from iterating, and are reported apart.
        await client.request("GET", "/order/events", params={"limit": 1000})
        gc.collect()
        base = peak = _rss_mb()
        # Baseline: plain page reads of the first 100 000 events, nothing else done per event.
        raw_started = time.perf_counter()
        raw, after = 0, None
        while raw < min(count, 100_000):
            params: dict[str, Any] = {"limit": 1000}
            if after:
                params["from"] = after
            page = await client.request("GET", "/order/events", params=params)
            if not page["events"]:
                break
            raw += len(page["events"])
            after = page["events"][-1]["id"]
        raw_rate = raw / (time.perf_counter() - raw_started)
        started = time.perf_counter()
        stream = client.orders.events(start="beginning", store=MemoryCursorStore(),
                                      follow=False, sleep=_no_sleep)
        async with stream:
            async for _ in stream:
                delivered += 1
                if delivered % 20_000 == 0:
                    peak = max(peak, _rss_mb())
        elapsed = time.perf_counter() - started
    peak = max(peak, _rss_mb())
    return {
        "events_journal": count, "events_delivered": delivered,
        "events_duplicates_dropped": stream.duplicates,
        "events_seconds": round(elapsed, 1),
        "events_per_s": round((delivered + stream.duplicates) / elapsed),
        "raw_pages_events_per_s": round(raw_rate),
        "events_rss_mb": round(peak - base, 1),
        "warmup_rss_mb": round(base - cold, 1),
    }


async def orders(emulator: Emulator) -> dict[str, Any]:
    """Walk every checkout form of seller 1 with ``list()`` (past the 10 000 cap)."""
    gc.collect()
    base = peak = _rss_mb()
    walked = 0
    started = time.perf_counter()
    async with emulator.client(1, throttle=False) as client:
        async for _ in client.orders.list(sort="lineItems.boughtAt"):
            walked += 1
            if walked % 5_000 == 0:
                peak = max(peak, _rss_mb())
    elapsed = time.perf_counter() - started
    peak = max(peak, _rss_mb())
    return {
        "orders_walked": walked, "orders_seconds": round(elapsed, 1),
        "orders_per_s": round(walked / elapsed), "orders_rss_mb": round(peak - base, 1),
    }


async def run(event_count: int, order_count: int) -> dict[str, Any]:
    """Both measurements, on one emulator: seller 0 holds the events, seller 1 the orders."""
    emulator = Emulator(EmulatorConfig(sellers=2, orders=OrdersConfig(
        orders_per_seller=max(order_count, 1000), events_per_seller=event_count)))
    started = time.perf_counter()
    book = emulator.orders.book(0)
    emulator.orders.book(1)
    generated = time.perf_counter() - started
    result: dict[str, Any] = {
        "generate_seconds": round(generated, 1), "events_in_journal": len(book.ev_order),
    }
    result.update(await events(emulator, len(book.ev_order)))
    result.update(await orders(emulator))
    result["limit_mb"] = LIMIT_MB
    result["ok"] = result["events_rss_mb"] < LIMIT_MB and result["orders_rss_mb"] < LIMIT_MB
    return result


def main() -> None:
    """Parse arguments, run, print a table or JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = anyio.run(run, args.events, args.orders)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'measure':<34}{'value':>14}")
    print("-" * 48)
    for key, value in result.items():
        print(f"{key:<34}{value!s:>14}")
    ratio = result["events_per_s"] / max(result["raw_pages_events_per_s"], 1)
    print(f"{'stream / raw pages (events/s)':<34}{ratio:>14.2f}")


if __name__ == "__main__":
    main()
