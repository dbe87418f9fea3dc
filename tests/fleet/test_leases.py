"""The lease stores (Redis, SQL): one holder at a time, fencing tokens that grow at every
take-over, renewals and releases that an old token cannot make, and a register of live workers
that forgets one which stops beating."""

from __future__ import annotations

import anyio
import pytest

from allegro_async.errors import InvalidArgumentError
from allegro_async.fleet.leases import LeaseBackend, RedisLeases
from tests.fleet.conftest import FakeClock

pytestmark = pytest.mark.redis


async def test_a_held_lease_is_not_taken_by_another(leases: LeaseBackend) -> None:
    taken = await leases.acquire(["s1", "s2"], "a", ttl=10)
    assert set(taken) == {"s1", "s2"}
    assert await leases.acquire(["s1", "s2", "s3"], "b", ttl=10) == {"s3": 1}


async def test_an_expired_lease_is_taken_over_with_a_larger_token(
        leases: LeaseBackend, clock: FakeClock) -> None:
    old = (await leases.acquire(["s1"], "a", ttl=10))["s1"]
    clock.advance(9.9)
    assert await leases.acquire(["s1"], "b", ttl=10) == {}
    clock.advance(0.2)
    new = (await leases.acquire(["s1"], "b", ttl=10))["s1"]
    assert new > old
    # the old holder's token opens nothing any more
    assert await leases.renew({"s1": old}, "a", ttl=10) == set()
    assert not await leases.check("s1", "a", old, margin=0)
    await leases.release({"s1": old}, "a")
    assert await leases.check("s1", "b", new, margin=5)


async def test_renewal_extends_and_release_frees(leases: LeaseBackend, clock: FakeClock) -> None:
    token = (await leases.acquire(["s1"], "a", ttl=10))["s1"]
    clock.advance(8)
    assert await leases.renew({"s1": token}, "a", ttl=10) == {"s1"}
    clock.advance(8)  # 16 s after taking it: alive only because it was renewed
    assert await leases.check("s1", "a", token, margin=1.5)
    assert not await leases.check("s1", "a", token, margin=2.5)
    assert await leases.acquire(["s1"], "b", ttl=10) == {}
    await leases.release({"s1": token}, "a")
    assert not await leases.check("s1", "a", token, margin=0)
    assert (await leases.acquire(["s1"], "b", ttl=10))["s1"] > token


async def test_a_lapsed_lease_cannot_be_renewed(leases: LeaseBackend, clock: FakeClock) -> None:
    token = (await leases.acquire(["s1"], "a", ttl=10))["s1"]
    clock.advance(10.5)
    assert await leases.renew({"s1": token}, "a", ttl=10) == set()


async def test_the_register_forgets_a_worker_that_stops_beating(
        leases: LeaseBackend, clock: FakeClock) -> None:
    await leases.heartbeat("a", ttl=10)
    await leases.heartbeat("b", ttl=10)
    assert await leases.workers() == ["a", "b"]
    clock.advance(6)
    await leases.heartbeat("b", ttl=10)
    clock.advance(6)
    assert await leases.workers() == ["b"]
    await leases.leave("b")
    assert await leases.workers() == []


async def test_bad_arguments_are_refused_before_any_call(redis_client: object) -> None:
    with pytest.raises(InvalidArgumentError, match="redis"):
        RedisLeases("http://127.0.0.1:1")
    leases = RedisLeases(redis_client, prefix="x")
    with pytest.raises(InvalidArgumentError, match="ttl"):
        await leases.acquire(["s1"], "a", ttl=0)


async def test_workers_racing_for_the_same_leases_each_get_a_lease_once(
        leases: LeaseBackend) -> None:
    names = [f"s{i}" for i in range(40)]
    won: dict[str, dict[str, int]] = {}

    async def take(worker: str) -> None:
        won[worker] = await leases.acquire(names, worker, ttl=10)

    async with anyio.create_task_group() as group:
        for worker in ("a", "b", "c"):
            group.start_soon(take, worker)
    taken = [name for got in won.values() for name in got]
    assert sorted(taken) == sorted(names)  # every lease once, none twice
