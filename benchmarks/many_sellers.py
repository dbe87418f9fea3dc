"""10 000 sellers' order-event journals followed by one app inside a share of its S1 budget.

The in-process emulator runs at time scale ``SCALE`` (its S1 limit and blocks scale with it)
for ``MINUTES`` emulated minutes; ``ACTIVE_SHARE`` of the sellers get orders during the run
(each about one every ``ORDER_EVERY_S`` emulated seconds), the rest stay idle. At a sample,
a seller is active when it got an order in the last ``ACTIVE_FOR_S``. One
:class:`~allegro_async.consumers.EventConsumers` polls every seller through a
:class:`~allegro_async.scheduler.PollScheduler` at the default share of 9000/min, through the
app's throttle on the emulator's clock.

Freshness is sampled every emulated minute after the first poll round (``WARMUP_S``): per
seller, the time since a poll last reached its journal's head. Keys: ``active_freshness_p50_s``,
``active_freshness_p95_s`` (goal <= 60), ``freshness_p50_s``, ``freshness_p95_s`` (goal <=
600, all sellers), ``requests_per_min`` (every request the emulator got, per emulated minute)
and ``budget_per_min`` (goal: requests_per_min <= budget_per_min), ``responses_429`` (goal 0),
``kb_per_idle_seller`` (goal <= 10: client-side memory per idle seller, measured with
tracemalloc in a first, smaller run of ``MEMORY_SELLERS`` idle sellers, leaving out whatever
the emulator allocates), ``events_arrived`` and ``events_handled``.

Run: python benchmarks/many_sellers.py [--json] [--sellers 10000] [--minutes 12]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from _common import report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from allegro_async import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.consumers import EventConsumers
from allegro_async.scheduler import PollScheduler
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.orders import OrdersConfig
from allegro_async.throttle import Throttle

SCALE = 5.0
MINUTES = 13.0
ACTIVE_SHARE = 0.05
ORDER_EVERY_S = 60.0
#: A seller counts as active at a sample when it got an order this recently (the scheduler's
#: ``active_for``); one whose first order is still to come is idle until then.
ACTIVE_FOR_S = 900.0
#: Samples start once the scheduler can know every active seller: the first round of polls
#: (10 000 at 75/s: about 135 s) plus one idle interval (300 s). Before that, an active
#: seller's first orders wait for its next idle poll (up to max_interval), as they would after
#: any long quiet spell.
WARMUP_S = 450.0
MEMORY_SELLERS = 1000
#: The scheduler's knobs for this run (the defaults, spelled out).
KNOBS: dict[str, Any] = {"share": 0.5, "active_interval": 10.0, "max_interval": 300.0,
                         "active_max_interval": 30.0, "active_for": 900.0}


def _emulator(sellers: int, scale: float) -> Emulator:
    emulator = Emulator(EmulatorConfig(sellers=sellers, time_scale=scale,
                                       orders=OrdersConfig(orders_per_seller=0)))
    # The emulator finds a seller's order book by scanning its seller list (twice), about
    # 10 ms a request at 10 000 sellers: that, not the client, would use the CPU. A dict here
    # (new_orders_per_hour is 0, so skipping the tick on a cached book changes nothing).
    orders = emulator.orders
    index_of = {seller.id: index for index, seller in enumerate(emulator.sellers)}
    built: dict[int, Any] = {}
    find = orders.book

    def book(seller: int | str = 0) -> Any:
        index = index_of[seller] if isinstance(seller, str) else seller
        found = built.get(index)
        if found is None:
            found = built[index] = find(index)
        return found

    orders.book = book  # type: ignore[method-assign]
    return emulator


async def _app(emulator: Emulator, transport: Any = None) -> AllegroApp:
    def now() -> float:
        return emulator.clock.now().timestamp()

    throttle = Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep)
    app = AllegroApp(emulator.client_id, emulator.client_secret, store=MemoryTokenStore(),
                     environment=emulator.environment(),
                     transport=transport or emulator.transport(),
                     clock=now, throttle=throttle, max_cached_sellers=len(emulator.sellers))
    for seller in emulator.sellers:
        pair = emulator.oauth.issue_pair(seller.id)
        await app.add_seller(Token.from_response(pair, now=now(), environment="custom"))
    return app


def _scheduler(emulator: Emulator) -> PollScheduler:
    return PollScheduler(clock=emulator.clock.monotonic,
                         wall_clock=lambda: emulator.clock.now().timestamp(),
                         sleep=emulator.clock.sleep, **KNOBS)


async def _ignore(seller_id: str, delivery: EventDelivery) -> None:
    pass


def _empty_journal(request: httpx.Request) -> httpx.Response:
    assert request.url.path == "/order/events", request.url
    return httpx.Response(200, json={"events": []})


async def measure_memory(sellers: int) -> float:
    """KB of client-side memory per idle seller, once each was polled and waits its turn.

    The polls are answered by a mock transport (an empty journal), so every byte traced is
    the client's: the emulator only minted the tokens, before the measurement starts."""
    emulator = _emulator(sellers, 50.0)
    app = await _app(emulator, httpx.MockTransport(_empty_journal))
    scheduler = _scheduler(emulator)
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.get_traced_memory()[0]
    async with EventConsumers(app, _ignore, sellers=[s.id for s in emulator.sellers],
                              scheduler=scheduler, start="beginning") as group:
        while sum(1 for f in scheduler.report().values() if f.polls) < sellers:
            await emulator.clock.sleep(5)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(group.running()) == sellers
    await app.aclose()
    return (after - before) / sellers / 1024


def _percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile, rounded; ``None`` without samples (a run shorter than WARMUP_S)."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


async def measure(sellers: int, minutes: float) -> dict[str, Any]:
    emulator = _emulator(sellers, SCALE)
    app = await _app(emulator)
    scheduler = _scheduler(emulator)
    rand = random.Random(7)
    ids = [s.id for s in emulator.sellers]
    active = set(rand.sample(range(sellers), max(1, int(sellers * ACTIVE_SHARE))))
    handled = 0
    samples_all: list[float] = []
    samples_active: list[float] = []

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        nonlocal handled
        handled += 1

    arrived = 0
    last_order: dict[str, float] = {}

    async def orders_arrive() -> None:
        # one new order per active seller every ORDER_EVERY_S on average (Poisson)
        nonlocal arrived
        rate = len(active) / ORDER_EVERY_S
        order = sorted(active)
        while True:
            await emulator.clock.sleep(rand.expovariate(rate))
            index = rand.choice(order)
            emulator.orders.new_order(index)
            last_order[ids[index]] = emulator.clock.monotonic()
            arrived += 3  # BOUGHT, FILLED_IN, READY_FOR_PROCESSING

    duration = minutes * 60
    start_real = time.perf_counter()
    async with EventConsumers(app, handle, sellers=ids, scheduler=scheduler,
                              start="beginning"):
        start = emulator.clock.monotonic()
        requests_at_start = emulator.stats.requests
        feeder = asyncio.ensure_future(orders_arrive())
        next_sample = start + WARMUP_S
        while emulator.clock.monotonic() - start < duration:
            await emulator.clock.sleep(min(10.0, next_sample - emulator.clock.monotonic()))
            if emulator.clock.monotonic() >= next_sample:
                next_sample += 60
                now = emulator.clock.monotonic()
                for seller_id, fresh in scheduler.report().items():
                    age = fresh.since_head_s if fresh.since_head_s is not None else now - start
                    samples_all.append(age)
                    if now - last_order.get(seller_id, float("-inf")) < ACTIVE_FOR_S:
                        samples_active.append(age)
        feeder.cancel()
        elapsed = emulator.clock.monotonic() - start
        requests = emulator.stats.requests - requests_at_start
    real = time.perf_counter() - start_real
    lags = [f.last_event_lag_s for s, f in scheduler.report().items()
            if s in last_order and f.last_event_lag_s is not None]
    await app.aclose()
    return {
        "sellers": sellers, "active_sellers": len(active),
        "emulated_minutes": round(elapsed / 60, 2), "wall_seconds": round(real, 1),
        "active_freshness_p50_s": _percentile(samples_active, 50),
        "active_freshness_p95_s": _percentile(samples_active, 95),
        "freshness_p50_s": _percentile(samples_all, 50),
        "freshness_p95_s": _percentile(samples_all, 95),
        "active_event_lag_p95_s": _percentile(lags, 95),
        "requests_per_min": round(requests / (elapsed / 60), 1),
        "budget_per_min": scheduler.requests_per_min,
        "responses_429": emulator.stats.responses_429,
        "events_arrived": arrived,
        "events_handled": handled,
    }


GOALS = {
    "active_freshness_p95_s": "<= 60", "freshness_p95_s": "<= 600",
    "requests_per_min": "<= budget_per_min", "responses_429": "0",
    "kb_per_idle_seller": "<= 10",
    "events_handled": "events_arrived, less those after the last polls",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=MINUTES)
    args = parser.parse_args()
    kb = asyncio.run(measure_memory(min(MEMORY_SELLERS, args.sellers)))
    result = asyncio.run(measure(args.sellers, args.minutes))
    result["kb_per_idle_seller"] = round(kb, 2)
    report(f"{args.sellers} sellers, {ACTIVE_SHARE:.0%} active, emulator at x{SCALE:g}",
           result, args.json, GOALS)


if __name__ == "__main__":
    main()
