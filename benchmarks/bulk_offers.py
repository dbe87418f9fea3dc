"""Offers at scale against the in-process emulator, on its scaled time:

1. 10 000 price changes through the command engine: command PUTs and report reads, against
   the baseline of one PATCH per offer;
2. publishing 2500 drafts: commands made;
3. a bulk PATCH of 5000 offers under the 2490/min per-seller limit (A2): PATCHes per emulated
   minute as a ratio of that limit (the baseline), and 429s.

    python benchmarks/bulk_offers.py          # a table
    python benchmarks/bulk_offers.py --json   # one JSON object (command_puts, responses_429,
                                              # patch_ratio, ...)
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import _common  # noqa: F401 - this checkout's package first on sys.path
import anyio

from allegro_async.services.bulk import PATCH_PER_MINUTE
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.offers import OffersConfig
from allegro_async.throttle import Throttle

PRICE_PUT = "PUT /sale/offer-price-change-commands/{commandId}"
PRICE_REPORT = "GET /sale/offer-price-change-commands/{commandId}"
PRICE_TASKS = "GET /sale/offer-price-change-commands/{commandId}/tasks"
PUBLISH_PUT = "PUT /sale/offer-publication-commands/{commandId}"


def _emulator(time_scale: float, active: int, drafts: int) -> Emulator:
    return Emulator(EmulatorConfig(
        sellers=1, time_scale=time_scale,
        offers=OffersConfig(active=active, drafts=drafts, ended=0, command_seconds=5.0)))


def _client(emulator: Emulator) -> Any:
    clock = emulator.clock
    client = emulator.client(0, throttle=Throttle(clock=clock.monotonic, sleep=clock.sleep))
    client.offers.sleep = clock.sleep
    return client


async def commands(time_scale: float) -> dict[str, Any]:
    """10 000 price changes and 2500 publications."""
    emulator = _emulator(time_scale, active=10_000, drafts=2500)
    async with _client(emulator) as client:
        active = [o.id async for o in client.offers.list(publication_status="ACTIVE")]
        drafts = [o.id async for o in client.offers.list(publication_status="INACTIVE")]
        emulator.stats.reset()
        started = time.perf_counter()
        prices = await client.offers.change_price(active, increase_percent="3")
        price_s = time.perf_counter() - started
        by_route = dict(emulator.stats.by_route)
        published = await client.offers.publish(drafts)
    return {
        "price_changes": len(active),
        "command_puts": by_route.get(PRICE_PUT, 0),
        "report_reads": by_route.get(PRICE_REPORT, 0),
        "task_reads": by_route.get(PRICE_TASKS, 0),
        "tasks_collected": len(prices.outcomes),
        "tasks_succeeded": len(prices.succeeded),
        "naive_patches": len(active),
        "request_ratio_vs_naive": round(
            sum(by_route.get(k, 0) for k in (PRICE_PUT, PRICE_REPORT, PRICE_TASKS))
            / len(active), 5),
        "price_seconds_real": round(price_s, 2),
        "publish_offers": len(drafts),
        "publish_commands": emulator.stats.by_route.get(PUBLISH_PUT, 0),
        "publish_succeeded": len(published.succeeded),
        "command_429": emulator.stats.responses_429,
    }


async def bulk_patch(time_scale: float, count: int) -> dict[str, Any]:
    """``count`` PATCHes under the per-seller limit; rate in emulated time."""
    emulator = _emulator(time_scale, active=count, drafts=0)
    changes = {o: {"name": f"Bulk renamed {o}"}
               for o in emulator.offers.offers_of(emulator.sellers[0].id)}
    async with _client(emulator) as client:
        emulator.stats.reset()
        clock = emulator.clock
        started, real = clock.monotonic(), time.perf_counter()
        result = await client.offers.bulk_update(changes, concurrency=32, clock=clock.monotonic,
                                                 sleep=clock.sleep)
        elapsed = clock.monotonic() - started
        real_s = time.perf_counter() - real
    per_minute = count / (elapsed / 60.0)
    return {
        "patches": count,
        "patch_succeeded": len(result.succeeded),
        "patch_failed": len(result.failed),
        "patches_per_min": round(per_minute, 1),
        "limit_per_min": PATCH_PER_MINUTE,
        "patch_ratio": round(per_minute / PATCH_PER_MINUTE, 4),
        "emulated_seconds": round(elapsed, 1),
        "patch_seconds_real": round(real_s, 2),
        "max_patches_per_offer": max(emulator.offers.counters.patches.values()),
        "patch_429": emulator.stats.responses_429,
    }


async def run(time_scale: float, patches: int) -> dict[str, Any]:
    """Both scenarios; ``responses_429`` sums their 429s."""
    out = {"time_scale": time_scale, **await commands(max(time_scale, 600.0)),
           **await bulk_patch(time_scale, patches)}
    out["responses_429"] = out["command_429"] + out["patch_429"]
    return out


def main() -> None:
    """Print the table, or one JSON object with ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--time-scale", type=float, default=10.0,
                        help="emulated seconds per real second for the bulk PATCH run (above "
                             "~15 this 2-core machine, not the client, becomes the limit)")
    parser.add_argument("--patches", type=int, default=5000)
    args = parser.parse_args()
    out = anyio.run(run, args.time_scale, args.patches)
    if args.json:
        print(json.dumps(out))
        return
    width = max(len(k) for k in out)
    print(f"{'measure':<{width}}  value")
    for key, value in out.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
