"""The poll scheduler on virtual time: turns never come faster than the budget, idle sellers
back off to the cap and come back at once with events, freshness is reported, and consumers
that poll through it stay inside their share of the app's budget against the emulator."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import anyio
import pytest

from allegro_async import AllegroApp
from allegro_async.consumers import EventConsumers
from allegro_async.errors import InvalidArgumentError
from allegro_async.scheduler import PollScheduler
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.orders import OrdersConfig
from tests.throttle._virtual import VirtualClock


def _scheduler(clock: VirtualClock, **kwargs: object) -> PollScheduler:
    return PollScheduler(clock=clock, wall_clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


async def _run_for(clock: VirtualClock, seconds: float, *tasks: object) -> None:
    """Run the tasks (and the scheduler) on virtual time until ``seconds`` have passed."""
    done = anyio.Event()

    async def stop_later() -> None:
        await clock.sleep(seconds)
        done.set()

    async with anyio.create_task_group() as group:
        for task in tasks:
            group.start_soon(task)  # type: ignore[arg-type]
        group.start_soon(stop_later)
        await clock.drive(done)
        group.cancel_scope.cancel()


async def test_turns_never_come_faster_than_the_budget() -> None:
    clock = VirtualClock()
    scheduler = _scheduler(clock, requests_per_min=20, burst=3)
    granted: list[float] = []

    async def busy_seller(name: str) -> None:
        while True:  # a full page each time: it wants to poll again at once
            await scheduler.turn(name)
            granted.append(clock.now)
            scheduler.polled(name, events=1000, head=False)

    await _run_for(clock, 130, scheduler.run,
                   *[lambda n=f"s{i}": busy_seller(n) for i in range(6)])
    for start in range(0, 70, 5):
        assert sum(start <= t < start + 60 for t in granted) <= 20 + 3
    assert len(granted) >= 130 / 3 + 3 - 1  # ... and the budget is used
    assert scheduler.granted == len(granted)


async def test_idle_sellers_back_off_to_the_cap_and_events_bring_them_back() -> None:
    clock = VirtualClock()
    scheduler = _scheduler(clock, requests_per_min=600, active_interval=10, max_interval=80,
                           active_max_interval=80)
    polls: list[float] = []
    answers = iter([0, 3, 0, 0, 0, 0, 0, 2])  # events found by each poll

    async def seller() -> None:
        for found in answers:
            await scheduler.turn("s1")
            polls.append(clock.now)
            scheduler.polled("s1", events=found, head=True)
        await anyio.sleep_forever()

    await _run_for(clock, 1000, scheduler.run, seller)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(polls)]
    # never seen active: straight to the cap; then events: 10 s, doubling back up to the cap
    assert gaps == [80, 10, 20, 40, 80, 80, 80]
    fresh = scheduler.freshness("s1")
    assert fresh is not None and fresh.interval_s == 10 and fresh.events == 5
    assert fresh.polls == 8


async def test_a_recently_active_seller_backs_off_to_a_lower_cap_for_a_while() -> None:
    clock = VirtualClock()
    scheduler = _scheduler(clock, requests_per_min=600, active_interval=10, max_interval=300,
                           active_max_interval=30, active_for=200)
    polls: list[float] = []
    answers = iter([2] + [0] * 12)

    async def seller() -> None:
        for found in answers:
            await scheduler.turn("s1")
            polls.append(clock.now)
            scheduler.polled("s1", events=found, head=True)
        await anyio.sleep_forever()

    await _run_for(clock, 2000, scheduler.run, seller)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(polls)]
    # 10, 20, then at most 30 s while the event is under 200 s old; then the idle cap
    assert gaps == [10, 20, 30, 30, 30, 30, 30, 30, 300, 300, 300, 300]


async def test_freshness_says_when_the_head_was_last_seen_and_how_late_events_came() -> None:
    clock = VirtualClock()
    clock.now = 1_700_000_000.0
    scheduler = _scheduler(clock, requests_per_min=600)
    occurred = datetime.fromtimestamp(clock.now - 42, tz=timezone.utc)
    scheduler.polled("s1", events=1000, head=False, last_occurred=occurred)
    fresh = scheduler.freshness("s1")
    assert fresh is not None and fresh.since_head_s is None  # a full page: more waited
    assert fresh.last_event_lag_s == pytest.approx(42)
    scheduler.polled("s1", events=0, head=True)
    clock.now += 7
    fresh = scheduler.freshness("s1")
    assert fresh is not None and fresh.since_head_s == pytest.approx(7)
    assert scheduler.report()["s1"].as_dict()["since_head_s"] == pytest.approx(7)
    assert scheduler.freshness("unknown") is None


def test_the_default_budget_is_a_share_of_the_app_limit_less_what_the_app_uses() -> None:
    assert PollScheduler().requests_per_min == 4500
    assert PollScheduler(share=0.8, reserved_per_min=1200).requests_per_min == 6000
    with pytest.raises(InvalidArgumentError, match="reserved_per_min"):
        PollScheduler(share=0.1, reserved_per_min=900)
    with pytest.raises(InvalidArgumentError, match="max_interval"):
        PollScheduler(active_interval=60, max_interval=30)
    with pytest.raises(InvalidArgumentError, match="requests_per_min"):
        PollScheduler(requests_per_min=0)


@pytest.mark.allegro_emulator(sellers=12, orders=OrdersConfig(orders_per_seller=1))
async def test_consumers_poll_inside_their_share_and_active_sellers_more_often(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    clock = VirtualClock()
    scheduler = _scheduler(clock, requests_per_min=30, burst=2, active_interval=10,
                           max_interval=120)
    active = allegro_emulator.sellers[0].id
    handled: list[str] = []

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        handled.append(seller_id)

    async def orders_arrive() -> None:
        while True:
            await clock.sleep(20)
            allegro_emulator.orders.new_order(0)

    followed: list[str] = []
    with_task: list[str] = []

    async def consume() -> None:
        async with EventConsumers(allegro_app, handle, scheduler=scheduler) as group:
            await clock.sleep(350)
            followed.extend(group.running())
            with_task.extend(s for s, m in group.metrics().items() if m.running)
            await anyio.sleep_forever()

    await _run_for(clock, 360, consume, orders_arrive)
    polls = (allegro_emulator.stats.route("GET", "/order/events")
             + allegro_emulator.stats.route("GET", "/order/event-stats"))
    assert 0 < polls <= 30 * 6 + 2  # six minutes at 30/min, plus the burst
    assert allegro_emulator.stats.responses_429 == 0
    report = scheduler.report()
    assert set(report) == {s.id for s in allegro_emulator.sellers}
    idle_polls = max(f.polls for s, f in report.items() if s != active)
    assert report[active].polls > 2 * idle_polls
    assert handled.count(active) >= 3 * 15  # the orders of the first 300 s, 3 events each
    assert all(f.since_head_s is not None and f.since_head_s <= 130 for f in report.values())
    # idle sellers are still followed, but hold no task between their turns
    assert len(followed) == 12 and len(with_task) <= 2
    assert min(f.polls for f in report.values()) >= 3  # woken again and again
