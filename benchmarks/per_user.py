"""10 sellers x 200 concurrent requests each, under the emulator's per-user parallel cap (S2)
and A2 bucket for GET /sale/product-offers/{id} (3500/min per seller).

The client's rules are overridden (rules are data) with a small burst for that family, so the
measured rate is the sustained one. Keys: ``responses_429`` (goal 0) and ``ratio``, achieved
per-seller rate over the tightest limit (goal >= 0.9). Run: python benchmarks/per_user.py
[--json].
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from _common import parse_args, report

from allegro_async.errors import NotFoundError
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


def main() -> None:
    args = parse_args(__doc__)
    result = asyncio.run(measure())
    if args.json:
        result = {k: result[k] for k in ("responses_429", "ratio")}
    report("10 sellers x 200 concurrent requests under per-user limits", result, args.json,
           {"ratio": ">= 0.9", "responses_429": "0"})


if __name__ == "__main__":
    main()
