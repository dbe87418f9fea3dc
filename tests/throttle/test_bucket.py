"""The leaky bucket: burst, rate, FIFO, weights, cancellation, trio, and the window property."""

from __future__ import annotations

import anyio
import pytest
import trio
from anyio.abc import TaskGroup, TaskStatus
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle import LeakyBucket


class FakeClock:
    """Time that moves only when someone sleeps (sleeps run in order of their deadline)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


async def test_burst_is_admitted_at_once_then_the_rate_applies() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(10, 5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await bucket.acquire()
    assert clock.now == 0.0
    await bucket.acquire()
    assert clock.now == pytest.approx(0.1)


async def test_weighted_acquire_waits_for_its_whole_cost() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(100, 1000, clock=clock, sleep=clock.sleep)
    await bucket.acquire(1000)
    await bucket.acquire(500)
    assert clock.now == pytest.approx(5.0)


def test_cost_above_capacity_is_an_invalid_argument() -> None:
    bucket = LeakyBucket(1, 10)
    with pytest.raises(InvalidArgumentError) as info:
        bucket.try_acquire(11)
    assert info.value.field == "cost"
    with pytest.raises(InvalidArgumentError):
        LeakyBucket(0, 1)


async def test_waiters_are_served_strictly_in_arrival_order() -> None:
    bucket = LeakyBucket(1000, 10)
    await bucket.acquire(10)  # full
    order: list[int] = []

    async def take(i: int, cost: int) -> None:
        await bucket.acquire(cost)
        order.append(i)

    async with anyio.create_task_group() as tg:
        for i, cost in enumerate([10, 1, 10, 1, 1]):
            tg.start_soon(take, i, cost)
            await anyio.wait_all_tasks_blocked()
    # A small request never jumps ahead of a big one queued before it.
    assert order == [0, 1, 2, 3, 4]


async def test_cancellation_storm_leaves_capacity_exact() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(1, 3, clock=clock, sleep=clock.sleep)
    await bucket.acquire(3)
    level_before = bucket.level
    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(bucket.acquire, 1)
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()
    assert bucket.waiting == 0
    assert bucket.level == level_before  # no cancelled waiter took anything
    clock.now += 3  # drained: the full capacity is back, not less, not more
    assert bucket.try_acquire(3)
    assert not bucket.try_acquire(0.5)


async def test_cancelled_head_hands_over_to_the_next_waiter() -> None:
    bucket = LeakyBucket(50, 1)
    await bucket.acquire()
    done = anyio.Event()
    head_scope = anyio.CancelScope()
    head_got_it = []

    async def head() -> None:
        with head_scope:
            await bucket.acquire()
            head_got_it.append(True)

    async def second() -> None:
        await bucket.acquire()
        done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(head)
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(second)
        await anyio.wait_all_tasks_blocked()
        head_scope.cancel()
        with anyio.fail_after(2):
            await done.wait()
    assert head_got_it == []
    assert bucket.waiting == 0


def test_runs_on_trio() -> None:
    async def main() -> float:
        bucket = LeakyBucket(200, 2)
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            for _ in range(12):
                nursery.start_soon(bucket.acquire)
        return trio.current_time() - start

    elapsed = trio.run(main)
    assert elapsed >= 10 / 200 * 0.9  # 2 at once, then 10 more at 200/s


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(0.5, 50),
    capacity=st.integers(1, 20),
    arrivals=st.lists(st.tuples(st.floats(0, 2), st.integers(1, 20)), min_size=1, max_size=40),
)
def test_no_window_admits_more_than_burst_plus_rate_times_t_and_order_is_fifo(
    rate: float, capacity: int, arrivals: list[tuple[float, int]]
) -> None:
    """Arrivals are concurrent tasks at their own (virtual) times with random costs, so many
    wait at once; every window obeys the bound and admission follows arrival order."""
    from tests.throttle._virtual import VirtualClock

    async def run() -> list[tuple[float, int, int]]:
        clock = VirtualClock(batch=False)
        bucket = LeakyBucket(rate, capacity, clock=clock, sleep=clock.sleep)
        admitted: list[tuple[float, int, int]] = []
        done = anyio.Event()

        async def arrive(index: int, cost: int, *, task_status: TaskStatus[None]) -> None:
            task_status.started()  # no checkpoint: the acquire below queues before we yield
            await bucket.acquire(cost)
            admitted.append((clock(), cost, index))

        async def arrivals_at_their_times(tg: TaskGroup) -> None:
            # One spawner, so arrivals at the same instant still queue in their own order.
            at = 0.0
            for index, (gap, cost) in enumerate(arrivals):
                at += gap
                await clock.sleep(at - clock())
                await tg.start(arrive, index, min(cost, capacity))

        async with anyio.create_task_group() as tg:
            tg.start_soon(clock.drive, done)
            async with anyio.create_task_group() as arrivals_tg:
                await arrivals_at_their_times(arrivals_tg)
            done.set()
        return admitted

    admitted = anyio.run(run, backend="trio")
    assert len(admitted) == len(arrivals)
    # FIFO: admitted in arrival order (a zero gap arrives at the same instant, just after).
    assert [index for _, _, index in admitted] == list(range(len(arrivals)))
    for i in range(len(admitted)):
        total = 0
        for j in range(i, len(admitted)):
            total += admitted[j][1]
            window = admitted[j][0] - admitted[i][0]
            assert total <= capacity + rate * window + 1e-6
