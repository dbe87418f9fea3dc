"""Client CPU per call of a generated operation, against ``client.request(...)`` plus
``model_validate`` of the same response, on a checkout-forms page of 100 (in-process emulator,
its limits off, so both sides pay the same emulator CPU).

Rounds alternate the two ways (which goes first alternates too); ``ratio`` is the median of the
rounds' ratios, so load from other processes drifting between rounds cancels out. Keys:
``typed_us`` and ``request_us`` (best CPU microseconds per call) and ``ratio`` (goal <= 0.9: the
generated call validates the bytes in one pass, the baseline decodes then validates).
Run: python
benchmarks/typed_call.py [--json].
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package

import anyio
from _common import parse_args, report

from allegro_async.api.models.order_management import CheckoutForms
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig

CALLS = 40
ROUNDS = 6


async def cpu_per_call(call: Callable[[], Awaitable[object]]) -> float:
    """CPU microseconds per call of ``call`` (this process: client and emulator)."""
    started = time.process_time()
    for _ in range(CALLS):
        await call()
    return (time.process_time() - started) / CALLS * 1e6


async def main_async(as_json: bool) -> None:
    emulator = Emulator(EmulatorConfig(limits=LimitsConfig(enabled=False)))
    async with emulator.client(0, throttle=False, retry=False) as client:
        area = client.api.order_management

        async def typed() -> object:
            page = await area.get_list_of_orders(limit=100)
            assert len(page.checkout_forms) == 100
            return page

        async def by_hand() -> object:
            data = await client.request("GET", "/order/checkout-forms", params={"limit": 100})
            page = CheckoutForms.model_validate(data)
            assert len(page.checkout_forms) == 100
            return page

        for _ in range(5):  # warm: validators built, pools and caches filled
            await typed()
            await by_hand()
        typed_runs: list[float] = []
        by_hand_runs: list[float] = []
        for i in range(ROUNDS):
            if i % 2:
                by_hand_runs.append(await cpu_per_call(by_hand))
                typed_runs.append(await cpu_per_call(typed))
            else:
                typed_runs.append(await cpu_per_call(typed))
                by_hand_runs.append(await cpu_per_call(by_hand))
    ratio = statistics.median(t / h for t, h in zip(typed_runs, by_hand_runs, strict=True))
    report(
        "generated method vs client.request + model_validate (checkout forms, limit=100)",
        {"typed_us": min(typed_runs), "request_us": min(by_hand_runs), "ratio": ratio},
        as_json,
        {"ratio": "<= 0.9"},
    )


def main() -> None:
    args = parse_args(__doc__)
    anyio.run(main_async, args.json)


if __name__ == "__main__":
    main()
