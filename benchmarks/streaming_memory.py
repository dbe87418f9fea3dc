"""Streaming memory: following 1 000 000 order events and walking 100 000 checkout forms must
keep the client's resident memory flat, because nothing is kept per event or per form.

The emulator runs in another process (under uvicorn, on loopback), so the growth measured is
the client's alone: its data is generated there before the client starts, and its caches
never count here. Goals: events grow the client by <= 20 MB per 1 000 000, the orders walk by
<= 10 MB per 100 000 (shorter runs keep the same absolute bounds). Speed is events per second,
wall clock and per second of this process's CPU, against the same run's raw page reads
(``client.request``: no models, de-dup or cursor) of the journal's first 100 000 events; the
goal, ``stream_vs_raw`` >= 0.8, compares CPU rates, which the emulator's own speed (it serves
later pages of the journal more slowly) does not move. The script exits with status 1 when a
goal is missed.

    python benchmarks/streaming_memory.py                 # a table
    python benchmarks/streaming_memory.py --json          # one JSON object: events_rss_mb,
                                                          # orders_rss_mb, events_per_s, ...
    python benchmarks/streaming_memory.py --events 200000 --orders 20000   # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package

import anyio
import psutil

from allegro_async import AllegroClient
from allegro_async.config import Environment
from allegro_async.cursors import MemoryCursorStore

#: MB of client growth allowed per 1 000 000 events, and per 100 000 forms walked.
EVENTS_MB_PER_MILLION = 20.0
ORDERS_MB_PER_100K = 10.0
#: The stream (typed, de-duplicated, cursor kept) against raw page reads, events per second.
STREAM_VS_RAW = 0.8
_PROCESS = psutil.Process()


def _rss_mb() -> float:
    return float(_PROCESS.memory_info().rss) / 2**20


async def _no_sleep(seconds: float) -> None:
    return None


def serve(event_count: int, order_count: int) -> None:
    """The emulator's side (``--serve``): generate both sellers' data, then serve it until
    stdin closes; one JSON line on stdout says where and with which tokens."""
    from allegro_async.testing import Emulator, EmulatorConfig
    from allegro_async.testing.emulator.orders import OrdersConfig
    from allegro_async.testing.server import serve as serve_http

    emulator = Emulator(EmulatorConfig(sellers=2, orders=OrdersConfig(
        orders_per_seller=max(order_count, 1000), events_per_seller=event_count)))
    started = time.perf_counter()
    book = emulator.orders.book(0)
    emulator.orders.book(1)
    generated = time.perf_counter() - started

    async def main() -> None:
        async with serve_http(emulator) as url:
            print(json.dumps({
                "url": url, "tokens": [emulator.mint_token(0), emulator.mint_token(1)],
                "generate_seconds": round(generated, 1), "events_in_journal": len(book.ev_order),
                "emulator_rss_mb": round(_rss_mb(), 1),
            }), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


def start_emulator(event_count: int, order_count: int
                   ) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--events", str(event_count),
         "--orders", str(order_count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the emulator server did not start")
    return proc, json.loads(line)


def _client(url: str, token: str) -> AllegroClient:
    return AllegroClient(access_token=token, environment=Environment.custom(url),
                         throttle=False)


async def events(url: str, token: str, count: int) -> dict[str, Any]:
    """Stream every event of seller 0 once; sample this process's RSS as it goes."""
    gc.collect()
    cold = _rss_mb()
    delivered = 0
    async with _client(url, token) as client:
        # One page first: the import and first-call costs of httpx and pydantic are not growth
        # from iterating, and are reported apart.
        await client.request("GET", "/order/events", params={"limit": 1000})
        gc.collect()
        base = peak = _rss_mb()
        # Baseline: plain page reads of the first 100 000 events, nothing else done per event.
        raw_started, raw_cpu = time.perf_counter(), time.process_time()
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
        raw_cpu_rate = raw / (time.process_time() - raw_cpu)
        started, cpu = time.perf_counter(), time.process_time()
        stream = client.orders.events(start="beginning", store=MemoryCursorStore(),
                                      follow=False, sleep=_no_sleep)
        async with stream:
            async for _ in stream:
                delivered += 1
                if delivered % 20_000 == 0:
                    peak = max(peak, _rss_mb())
        elapsed = time.perf_counter() - started
        cpu_rate = (delivered + stream.duplicates) / (time.process_time() - cpu)
    peak = max(peak, _rss_mb())
    rate = (delivered + stream.duplicates) / elapsed
    return {
        "events_journal": count, "events_delivered": delivered,
        "events_duplicates_dropped": stream.duplicates,
        "events_seconds": round(elapsed, 1),
        "events_per_s": round(rate),
        "raw_pages_events_per_s": round(raw_rate),
        "events_per_client_cpu_s": round(cpu_rate),
        "raw_pages_events_per_client_cpu_s": round(raw_cpu_rate),
        "stream_vs_raw": round(cpu_rate / max(raw_cpu_rate, 1.0), 2),
        "events_rss_mb": round(peak - base, 1),
        "warmup_rss_mb": round(base - cold, 1),
    }


async def orders(url: str, token: str) -> dict[str, Any]:
    """Walk every checkout form of seller 1 with ``list()`` (past the 10 000 cap)."""
    walked = 0
    async with _client(url, token) as client:
        # One page first, as for events: building the form models' validators is a one-time
        # cost, reported apart.
        gc.collect()
        cold = _rss_mb()
        await client.api.order_management.get_list_of_orders(limit=100)
        gc.collect()
        base = peak = _rss_mb()
        started = time.perf_counter()
        async for _ in client.orders.list(sort="lineItems.boughtAt"):
            walked += 1
            if walked % 5_000 == 0:
                peak = max(peak, _rss_mb())
    elapsed = time.perf_counter() - started
    peak = max(peak, _rss_mb())
    return {
        "orders_walked": walked, "orders_seconds": round(elapsed, 1),
        "orders_per_s": round(walked / elapsed), "orders_rss_mb": round(peak - base, 1),
        "orders_warmup_rss_mb": round(base - cold, 1),
    }


def run(event_count: int, order_count: int) -> dict[str, Any]:
    """Both measurements against one emulator process: seller 0 holds the events, seller 1
    the orders."""
    proc, info = start_emulator(event_count, order_count)
    try:
        url, tokens = info.pop("url"), info.pop("tokens")
        result: dict[str, Any] = dict(info)
        result.update(anyio.run(events, url, tokens[0], info["events_in_journal"]))
        result.update(anyio.run(orders, url, tokens[1]))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server stops when its stdin closes
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    events_limit = EVENTS_MB_PER_MILLION * max(1.0, result["events_delivered"] / 1e6)
    orders_limit = ORDERS_MB_PER_100K * max(1.0, result["orders_walked"] / 1e5)
    result["events_limit_mb"] = round(events_limit, 1)
    result["orders_limit_mb"] = round(orders_limit, 1)
    result["ok"] = (result["events_rss_mb"] <= events_limit
                    and result["orders_rss_mb"] <= orders_limit
                    and result["stream_vs_raw"] >= STREAM_VS_RAW)
    return result


def main() -> None:
    """Parse arguments, run, print a table or JSON; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.events, args.orders)
        return
    result = run(args.events, args.orders)
    if args.json:
        print(json.dumps(result))
    else:
        goals = {"events_rss_mb": f"<= {result['events_limit_mb']}",
                 "orders_rss_mb": f"<= {result['orders_limit_mb']}",
                 "stream_vs_raw": f">= {STREAM_VS_RAW}"}
        print(f"{'measure':<30}{'value':>14}  goal")
        print("-" * 56)
        for key, value in result.items():
            print(f"{key:<30}{value!s:>14}  {goals.get(key, '')}")
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
