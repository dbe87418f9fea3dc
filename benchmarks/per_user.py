"""10 sellers x 200 concurrent requests each, under the emulator's per-user parallel cap (S2)
and A2 bucket for GET /sale/product-offers/{id} (3500/min per seller).

The client's rules are overridden (rules are data) with a small burst for that family, so the
measured rate is the sustained one. Keys: ``responses_429`` (goal 0) and ``ratio``, achieved
per-seller rate over the tightest limit (goal >= 0.9). Run: python benchmarks/per_user.py
[--json].

``--parallel-caps``: 3 sellers x 200 concurrent ``GET /me`` through one ``Throttle`` against
the emulator's per-user parallel cap at 1 to 10 (the client does not know it: it starts at 8
and adapts), 50 ms latency, S1 raised on both sides so the cap is the tightest limit. Per cap:
the time taken against the ideal (requests per seller x latency / cap), the per-user 429s,
the gate closings (goal 0) and the failed requests (goal 0).

``--unknown-limits``: A2's numbers differ by account, so the emulator's per-user PATCH limit
(``/sale/product-offers/{id}``, rate and burst) is set to 0.25x, 0.5x and 1x of what the
client's rule says (2490/min), and ``bulk_update`` renames ``UNKNOWN_OFFERS`` offers through a
default ``Throttle`` (it adapts, A2) at time scale ``UNKNOWN_SCALE``. Per factor: the rate
achieved beyond the burst the emulator grants, over its real rate (``ratio``), and the 429s.
Keys: ``worst_ratio`` (goal >= 0.9) and ``responses_429`` (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import replace

from _common import report

from allegro_async.errors import NotFoundError, RateLimitedError
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.throttle import DEFAULT_RULES, Throttle

SELLERS, PER_SELLER = 10, 200
LATENCY = 0.020
PARALLEL_CAP = 10
A2_PER_S = 3500 / 60
APP_PER_MIN = 60_000
#: Emulated time runs at about a third of real speed: the same limits at a third of the CPU
#: load on a 2-core machine.
SCALE = 0.35


async def measure() -> dict[str, float | int]:
    # S1 raised on both sides (an app with a raised limit) so the per-user limits are tightest.
    emulator = Emulator(EmulatorConfig(sellers=SELLERS, time_scale=SCALE, limits=LimitsConfig(
        latency=LATENCY, user_parallel=PARALLEL_CAP, app_rate=APP_PER_MIN, app_burst=1000)))
    rules = tuple(replace(r, burst=5) if r.family == "product-offer-read" else r
                  for r in DEFAULT_RULES)
    throttle = Throttle(user_parallel=PARALLEL_CAP, rules=rules, rate=APP_PER_MIN,
                        clock=emulator.clock.monotonic, sleep=emulator.clock.sleep)
    tightest = min(A2_PER_S, PARALLEL_CAP / LATENCY)
    async with emulator.client(0, throttle=throttle) as client:
        views = [client.with_options(access_token=emulator.mint_token(i)) for i in range(SELLERS)]

        async def one(seller: int, i: int) -> None:
            try:
                await views[seller].request_raw("GET", f"/sale/product-offers/{seller}-{i}")
            except NotFoundError:
                pass  # the offer does not exist; the limits were applied all the same

        start = emulator.clock.monotonic()
        await asyncio.gather(*(one(s, i) for s in range(SELLERS) for i in range(PER_SELLER)))
        elapsed = emulator.clock.monotonic() - start  # emulated seconds, like the limits
    per_seller = PER_SELLER / elapsed
    return {"responses_429": emulator.stats.responses_429,
            "ratio": round(per_seller / tightest, 4),
            "per_seller_per_s": round(per_seller, 2),
            "tightest_limit_per_s": round(tightest, 2)}


CAPS_SELLERS, CAPS_PER_SELLER, CAPS_LATENCY = 3, 200, 0.050


async def measure_cap(cap: int) -> dict[str, float | int]:
    """One run of ``--parallel-caps`` at the emulator's per-user cap ``cap`` (real time)."""
    emulator = Emulator(EmulatorConfig(sellers=CAPS_SELLERS, limits=LimitsConfig(
        latency=CAPS_LATENCY, user_parallel=cap, app_rate=APP_PER_MIN, app_burst=1000)))
    gate_closings = 0

    def count(name: str, data: object) -> None:
        nonlocal gate_closings
        gate_closings += name == "gate_closed"

    throttle = Throttle(rate=APP_PER_MIN, on_event=count)
    failed = 0
    async with emulator.client(0, throttle=throttle) as client:
        views = [client.with_options(access_token=emulator.mint_token(i))
                 for i in range(CAPS_SELLERS)]

        async def one(seller: int) -> None:
            nonlocal failed
            try:
                await views[seller].request_raw("GET", "/me")
            except RateLimitedError:
                failed += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(i % CAPS_SELLERS)
                               for i in range(CAPS_SELLERS * CAPS_PER_SELLER)))
        elapsed = time.perf_counter() - start
    ideal = CAPS_PER_SELLER * CAPS_LATENCY / cap
    return {"cap": cap, "seconds": round(elapsed, 3), "ideal": round(ideal, 3),
            "ideal_over_seconds": round(ideal / elapsed, 3),
            "per_user_429s": emulator.stats.rate_limited["user_parallel"],
            "app_blocks": len(emulator.stats.block_windows),
            "gate_closings": gate_closings, "failed": failed}


def parallel_caps(as_json: bool) -> None:
    rows = [asyncio.run(measure_cap(cap)) for cap in range(1, 11)]
    if as_json:
        print(json.dumps(rows))
        return
    print(f"{CAPS_SELLERS} sellers x {CAPS_PER_SELLER} concurrent GET /me, "
          f"{CAPS_LATENCY * 1000:g} ms latency, emulator's per-user parallel cap 1..10")
    print("goals: gate_closings 0, failed 0; ideal = requests per seller x latency / cap")
    keys = list(rows[0])
    print("  ".join(f"{k:>18}" for k in keys))
    for row in rows:
        print("  ".join(f"{row[k]:>18}" for k in keys))


UNKNOWN_OFFERS, UNKNOWN_SCALE = 600, 10.0


async def measure_unknown(factor: float, adapt: bool = True) -> dict[str, float | int]:
    """One run of ``--unknown-limits`` with the emulator's PATCH limit at ``factor`` x 2490."""
    from allegro_async.testing.emulator.limits import DEFAULT_USER_RULES
    from allegro_async.testing.emulator.offers import OffersConfig

    # A burst of two seconds' worth, so the measured rate is the sustained one.
    rules = tuple(replace(r, rate=r.rate * factor, capacity=r.rate * factor * 2)
                  if r.family == "product-offer-write" else r for r in DEFAULT_USER_RULES)
    patch = next(r for r in rules if "PATCH" in r.methods and r.family == "product-offer-write")
    emulator = Emulator(EmulatorConfig(
        sellers=1, time_scale=UNKNOWN_SCALE,
        offers=OffersConfig(active=UNKNOWN_OFFERS, drafts=0, ended=0),
        limits=LimitsConfig(user_rules=rules)))
    clock = emulator.clock
    changes = {o: {"name": f"Renamed {o}"}
               for o in emulator.offers.offers_of(emulator.sellers[0].id)}
    throttle = Throttle(clock=clock.monotonic, sleep=clock.sleep, adapt=adapt)
    async with emulator.client(0, throttle=throttle) as client:
        client.offers.sleep = clock.sleep
        emulator.stats.reset()
        started = clock.monotonic()
        result = await client.offers.bulk_update(changes, clock=clock.monotonic,
                                                 sleep=clock.sleep)
        elapsed = clock.monotonic() - started
    per_min = len(result.succeeded) / elapsed * 60
    return {"factor": factor, "limit_per_min": round(patch.rate * 60, 1),
            "patches_per_min": round(per_min, 1),
            "ratio": round(per_min / (patch.rate * 60), 4), "failed": len(result.failed),
            "responses_429": emulator.stats.responses_429,
            "emulated_seconds": round(elapsed, 1)}


def unknown_limits(as_json: bool) -> None:
    rows = [asyncio.run(measure_unknown(f)) for f in (0.25, 0.5, 1.0)]
    # The baseline in the same run: the same job with every rule's rate held fixed.
    fixed = [asyncio.run(measure_unknown(f, adapt=False)) for f in (0.25, 0.5, 1.0)]
    summary = {"worst_ratio": min(float(r["ratio"]) for r in rows),
               "responses_429": sum(int(r["responses_429"]) for r in rows),
               "fixed_worst_ratio": min(float(r["ratio"]) for r in fixed),
               "fixed_responses_429": sum(int(r["responses_429"]) for r in fixed)}
    if as_json:
        print(json.dumps(summary))
        return
    keys = list(rows[0])
    print(f"bulk_update of {UNKNOWN_OFFERS} offers, emulator's PATCH limit at 0.25/0.5/1 x the "
          "client's rule (2490/min)")
    print("  ".join(f"{k:>16}" for k in keys))
    for label, group in (("adapting", rows), ("fixed rates", fixed)):
        print(label)
        for row in group:
            print("  ".join(f"{row[k]:>16}" for k in keys))
    report("", summary, False, {"worst_ratio": ">= 0.9", "responses_429": "0"})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--parallel-caps", action="store_true",
                        help="per-user 429s at emulator caps 1..10 (see the module docs)")
    parser.add_argument("--unknown-limits", action="store_true",
                        help="A2 adaptation: emulator PATCH limits below the rule's (see docs)")
    args = parser.parse_args()
    if args.unknown_limits:
        unknown_limits(args.json)
        return
    if args.parallel_caps:
        parallel_caps(args.json)
        return
    result = asyncio.run(measure())
    if args.json:
        result = {k: result[k] for k in ("responses_429", "ratio")}
    report("10 sellers x 200 concurrent requests under per-user limits", result, args.json,
           {"ratio": ">= 0.9", "responses_429": "0"})


if __name__ == "__main__":
    main()
