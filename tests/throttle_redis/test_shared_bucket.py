"""The shared S1 bucket: two throttles on one Redis never admit more than burst + rate * t
together (fake clock passed to the Lua script instead of Redis TIME)."""

from __future__ import annotations

import asyncio
import time

import pytest

from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle.redis import RedisThrottle

pytestmark = pytest.mark.redis


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_two_throttles_share_one_budget(redis_client: object) -> None:
    clock = FakeClock()
    rate, burst, lease = 100.0, 20.0, 4
    throttles = [RedisThrottle(redis_client, client_id="app-1", rate=rate, per=1, burst=burst,
                               redis_now=clock) for _ in range(2)]
    shared = [t.shared for t in throttles]
    interval = 1 / rate
    granted: list[float] = []  # when each reserved grant may go, seconds since the start
    busy_until = [0.0, 0.0]  # a "process" asks again once its last grant is due
    # 1.5 simulated seconds in 1 ms steps; each "process" reserves a lease whenever idle.
    for ms in range(1500):
        now = ms / 1000
        clock.now = 1_700_000_000.0 + now
        for p, s in enumerate(shared):
            if busy_until[p] > now:
                continue
            status, start = await s.admit(interval * 1e6, burst, 1, False, lease)
            assert status == 0 and start >= 0
            times = [max(now, now + start + (i + 1 - burst) * interval) for i in range(lease)]
            granted += times
            busy_until[p] = times[-1]
    granted = [t for t in granted if t < 1.5]
    # In every window [t0, t1): at most burst + rate * (t1 - t0) (1 us rounding slack).
    for t0 in (t / 1000 for t in range(0, 1500, 7)):
        for length in (0.001, 0.05, 0.2, 0.7):
            count = sum(1 for t in granted if t0 <= t < t0 + length)
            assert count <= burst + rate * length + 1e-6 * rate, (t0, length, count)
    # ... together they do use the whole budget, one script call per `lease` grants.
    assert len(granted) >= burst + rate * 1.5 - 2 * lease
    assert sum(s.calls for s in shared) * lease == sum(s.grants for s in shared)


async def test_after_an_outage_the_shared_bucket_counts_as_full(redis_client: object) -> None:
    clock = FakeClock()
    throttle = RedisThrottle(redis_client, client_id="back", rate=10, per=1, burst=5,
                             redis_now=clock)
    s = throttle.shared
    assert (await s.admit(100_000.0, 5, 1, False))[1] == 0  # empty: goes at once
    s.failed(ConnectionError("gone"))  # the process fell back, spending budget Redis missed
    status, start = await s.admit(100_000.0, 5, 1, False)
    # full: the grant waits one interval (start + (1 - 5) * 0.1 s from now)
    assert status == 0 and start + (1 - 5) * 0.1 == pytest.approx(0.1)
    assert not s.recovering


async def test_other_client_id_has_its_own_budget(redis_client: object) -> None:
    clock = FakeClock()
    a = RedisThrottle(redis_client, client_id="a", rate=10, per=1, burst=2, redis_now=clock)
    b = RedisThrottle(redis_client, client_id="b", rate=10, per=1, burst=2, redis_now=clock)
    interval = 100_000.0
    # a's third grant waits one interval; b's first goes at once (start - burst * interval)
    starts = [(await a.shared.admit(interval, 2, 1, False))[1] for _ in range(3)]
    assert starts == pytest.approx([0, 0.1, 0.2])
    assert (await b.shared.admit(interval, 2, 1, False))[1] == 0


def test_bad_arguments_raise_before_any_request() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        RedisThrottle("localhost:6379")
    assert info.value.field == "redis"
    with pytest.raises(InvalidArgumentError):
        RedisThrottle("redis://127.0.0.1:1/0", processes=0)
    with pytest.raises(InvalidArgumentError):
        RedisThrottle("redis://127.0.0.1:1/0", on_redis_error="maybe")  # type: ignore[arg-type]


def test_processes_split_the_per_user_cap() -> None:
    throttle = RedisThrottle("redis://127.0.0.1:1/0", user_parallel=8, processes=4, rate=9000)
    assert throttle.user_parallel == 2
    assert throttle.app_bucket.rate == pytest.approx(9000 / 60 / 4)  # the local fallback share
    assert "down" not in repr(throttle)


async def test_at_the_limit_one_call_reserves_a_lease_of_grants(redis_client: object) -> None:
    rate, burst, each = 100.0, 10.0, 40
    throttles = [RedisThrottle(redis_client, client_id="lease", rate=rate, per=1, burst=burst,
                               processes=2, lease=4) for _ in range(2)]
    done: list[float] = []

    async def take(t: RedisThrottle) -> None:
        await t.app_bucket.acquire()
        done.append(time.monotonic())

    start = time.monotonic()
    await asyncio.gather(*(take(t) for t in throttles for _ in range(each)))
    calls = sum(t.shared.calls for t in throttles)
    # At the limit: no "denied, retry" round trips; one call per 4 queued grants (the first
    # call of each throttle comes before the others queue up).
    assert calls <= 2 * (1 + (each - 1 + 3) // 4), calls
    # ... and together never faster than the shared limit (first grants: the burst).
    assert max(done) - start >= (2 * each - burst) / rate - 0.02
    assert most_in(sorted(done), 0.1) <= burst + rate * 0.1 + 2


def most_in(times: list[float], length: float) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= length:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def test_back_from_an_outage_grants_also_take_the_local_share(
        redis_client: object) -> None:
    # The other processes may still run on their fallback shares until their next retry:
    # for redis_retry_after, this one keeps to its share too (rate / processes).
    rate, burst, processes = 100.0, 100.0, 4
    throttle = RedisThrottle(redis_client, client_id="back-dual", rate=rate, per=1,
                             burst=burst, processes=processes, redis_retry_after=5)
    throttle.shared.failed(ConnectionError("gone"))
    throttle.shared.down_until = throttle.clock()  # the retry is due: Redis answers again
    start = time.monotonic()
    await asyncio.gather(*(throttle.app_bucket.acquire() for _ in range(60)))
    elapsed = time.monotonic() - start
    assert not throttle.shared.in_outage
    # Shared bucket alone (counted full): 60 / 100 = 0.6 s. With the local share (bursts of
    # 25, then 25/s) as well: (60 - 25) / 25 = 1.4 s.
    assert elapsed >= (60 - burst / processes) / (rate / processes) - 0.05, elapsed
