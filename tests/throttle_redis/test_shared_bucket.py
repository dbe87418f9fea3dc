"""The shared S1 bucket: two throttles on one Redis never admit more than burst + rate * t
together (fake clock passed to the Lua script instead of Redis TIME)."""

from __future__ import annotations

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
    rate, burst = 100.0, 20.0
    throttles = [RedisThrottle(redis_client, client_id="app-1", rate=rate, per=1, burst=burst,
                               redis_now=clock) for _ in range(2)]
    shared = [t.shared for t in throttles]
    interval = 1_000_000 / rate
    admitted: list[int] = []  # milliseconds since the start
    # 1.5 simulated seconds in 1 ms steps; each "process" tries once per step (20x the rate).
    for ms in range(1500):
        clock.now = 1_700_000_000.0 + ms / 1000
        for s in shared:
            status, wait = await s.admit(interval, burst, 1, False)
            if status == 0:
                admitted.append(ms)
            else:
                assert status == 1 and wait > 0
    # In every window [t0, t1): at most burst + rate * (t1 - t0).
    for t0 in range(0, 1500, 37):
        for length in (50, 200, 700):
            count = sum(1 for t in admitted if t0 <= t < t0 + length)
            assert count <= burst + rate * length / 1000, (t0, length, count)
    # ... and together they do use the whole budget.
    assert len(admitted) >= burst + rate * 1.499 - 2


async def test_other_client_id_has_its_own_budget(redis_client: object) -> None:
    clock = FakeClock()
    a = RedisThrottle(redis_client, client_id="a", rate=10, per=1, burst=2, redis_now=clock)
    b = RedisThrottle(redis_client, client_id="b", rate=10, per=1, burst=2, redis_now=clock)
    interval = 100_000.0
    assert [(await a.shared.admit(interval, 2, 1, False))[0] for _ in range(3)] == [0, 0, 1]
    assert (await b.shared.admit(interval, 2, 1, False))[0] == 0


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
