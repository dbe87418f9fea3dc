"""Consumers spread over workers by leases (Redis and SQL lease stores, the in-process
emulator, fake lease clocks): each seller is consumed by one worker, a dead worker's sellers
are taken over once its leases expire, a joining worker gets its share, and no event is lost or
handled twice."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import pytest

from allegro_async import AllegroApp
from allegro_async.cursors import MemoryCursorStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.fleet.leases import LeaseBackend, LeaseLostError, RedisLeases
from allegro_async.fleet.workers import FencedCursorStore, FleetConsumers, owner
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.orders import OrdersConfig
from tests.fleet.conftest import FakeClock

pytestmark = [pytest.mark.redis,
              pytest.mark.allegro_emulator(sellers=6, orders=OrdersConfig(orders_per_seller=2))]

TTL = 15.0


class Pacer:
    """The streams' sleep between empty polls: they poll again when the test kicks."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    async def sleep(self, _seconds: float) -> None:
        await self._event.wait()

    def kick(self) -> None:
        self._event.set()
        self._event = anyio.Event()


class Handled:
    """Every (worker, seller, event id) handled; ``until(n)`` waits for n in total."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, str]] = []
        self._target = 0
        self._reached = anyio.Event()

    def handler(self, worker: str) -> Callable[[str, EventDelivery], Awaitable[None]]:
        async def handle(seller_id: str, delivery: EventDelivery) -> None:
            self.log.append((worker, seller_id, delivery.id))
            if len(self.log) >= self._target:
                self._reached.set()
        return handle

    async def until(self, total: int) -> None:
        self._target = total
        if len(self.log) < total:
            self._reached = anyio.Event()
            with anyio.fail_after(30):
                await self._reached.wait()

    def per_seller(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for _worker, seller, event in self.log:
            out[seller].append(event)
        return out


class Partition:
    """A lease store that a test can cut off (every call fails, as when a host dies)."""

    def __init__(self, inner: LeaseBackend) -> None:
        self.inner = inner
        self.cut = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.cut:
                raise ConnectionError("the lease store is unreachable")
            return await method(*args, **kwargs)
        return call

    async def acquire(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("acquire")(*a, **k)

    async def renew(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("renew")(*a, **k)

    async def release(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("release")(*a, **k)

    async def check(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("check")(*a, **k)

    async def heartbeat(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("heartbeat")(*a, **k)

    async def leave(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("leave")(*a, **k)

    async def workers(self, *a: Any, **k: Any) -> Any:
        return await self.__getattr__("workers")(*a, **k)


async def _journal(emulator: Emulator, seller: int) -> list[str]:
    async with emulator.client(seller) as client, client.orders.events(
            start="beginning", follow=False) as stream:
        return [delivery.id async for delivery in stream]


def _fleet(app: AllegroApp, handled: Handled, worker: str, leases: LeaseBackend,
           stores: dict[str, MemoryCursorStore], clock: FakeClock, pacer: Pacer,
           ) -> FleetConsumers:
    return FleetConsumers(app, handled.handler(worker), leases=leases, worker_id=worker,
                          cursor_stores=stores.__getitem__, ttl=TTL, clock=clock,
                          round_sleep=_never, start="beginning", sleep=pacer.sleep)


async def _never(_seconds: float) -> None:
    await anyio.sleep_forever()


def _assert_shares(fleets: Sequence[FleetConsumers], sellers: list[str]) -> None:
    workers = sorted(f.worker_id for f in fleets)
    held = [set(f.held()) for f in fleets]
    assert sorted(s for h in held for s in h) == sorted(sellers)  # each once, none missing
    for fleet, mine in zip(fleets, held, strict=True):
        assert mine == {s for s in sellers if owner(s, workers) == fleet.worker_id}
        assert set(fleet.consumers.running()) == mine


async def _total(emulator: Emulator) -> int:
    return sum([len(await _journal(emulator, i)) for i in range(len(emulator.sellers))])


async def test_two_workers_split_the_sellers_and_handle_each_event_once(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    sellers = [s.id for s in allegro_emulator.sellers]
    stores = {s: MemoryCursorStore() for s in sellers}  # shared, as a database would be
    handled, pacer = Handled(), Pacer()
    async with _fleet(allegro_app, handled, "a", leases, stores, clock, pacer) as a:
        assert a.held() == sorted(sellers)  # alone, it takes everyone
        await handled.until(await _total(allegro_emulator))
        async with _fleet(allegro_app, handled, "b", leases, stores, clock, pacer) as b:
            assert b.held() == []  # its share is still leased to a
            await a.rebalance()  # a stops and releases b's share ...
            await b.rebalance()  # ... and b takes it
            _assert_shares([a, b], sellers)
            assert 0 < len(b.held()) < len(sellers)
            for index in range(len(sellers)):
                allegro_emulator.orders.new_order(index)
            pacer.kick()
            await handled.until(await _total(allegro_emulator))
    for index, seller in enumerate(sellers):
        assert handled.per_seller()[seller] == await _journal(allegro_emulator, index)
    late = {(w, s) for w, s, _ in handled.log[-3 * len(sellers):]}
    assert late == {(owner(s, ["a", "b"]), s) for s in sellers}  # the new orders: by the owner


async def test_a_dead_workers_sellers_are_taken_over_once_its_leases_expire(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    sellers = [s.id for s in allegro_emulator.sellers]
    stores = {s: MemoryCursorStore() for s in sellers}
    handled, pacer = Handled(), Pacer()
    doomed = Partition(leases)
    async with _fleet(allegro_app, handled, "b", leases, stores, clock, pacer) as b:
        with anyio.CancelScope() as a_scope:
            a_ready = anyio.Event()

            async def run_a() -> None:
                async with _fleet(allegro_app, handled, "a", doomed, stores, clock, pacer) as a:
                    await b.rebalance()  # b releases a's share
                    await a.rebalance()
                    _assert_shares([a, b], sellers)
                    a_ready.set()
                    await anyio.sleep_forever()

            async with anyio.create_task_group() as group:
                group.start_soon(run_a)
                await a_ready.wait()
                await handled.until(await _total(allegro_emulator))
                a_sellers = sorted(set(sellers) - set(b.held()))
                assert a_sellers
                # a dies: cut off from the lease store, its consumers gone, nothing released
                doomed.cut = True
                a_scope.cancel()
        for index in range(len(sellers)):
            allegro_emulator.orders.new_order(index)
        clock.advance(b.lease_for - 0.5)  # a renewed when it last rebalanced, at the death
        await b.rebalance()
        assert set(b.held()).isdisjoint(a_sellers)  # a's leases still run
        clock.advance(1)
        await b.rebalance()
        assert b.held() == sorted(sellers) == b.consumers.running()
        pacer.kick()
        await handled.until(await _total(allegro_emulator))
    for index, seller in enumerate(sellers):
        assert handled.per_seller()[seller] == await _journal(allegro_emulator, index)
    assert Counter(e for _, _, e in handled.log).most_common(1)[0][1] == 1


async def test_a_commit_after_the_lease_was_taken_over_is_refused(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    seller = allegro_emulator.sellers[0].id
    stores = {seller: MemoryCursorStore()}
    handled, pacer = Handled(), Pacer()
    async with FleetConsumers(allegro_app, handled.handler("a"), leases=leases,
                              worker_id="a", sellers=[seller], cursor_stores=stores.__getitem__,
                              ttl=TTL, clock=clock, round_sleep=_never, sleep=pacer.sleep) as a:
        token = a.token(seller)
        assert token is not None
        await a.fence(seller)  # held: passes
        store = FencedCursorStore(stores[seller], lambda: a.fence(seller))
        clock.advance(TTL + 1)  # a stalled past its TTL; b takes the seller
        assert await leases.acquire([seller], "b", ttl=TTL) == {seller: token + 1}
        before = await stores[seller].load()
        with pytest.raises(LeaseLostError, match="no longer held"):
            await store.commit("event-9", ["key-9"])
        assert await stores[seller].load() == before
        await a.rebalance()  # a finds out, and stops consuming
        assert a.held() == [] and a.consumers.running() == []


# consumers poll for real here: SQLite's one writer at a time is for a single host, not this
@pytest.mark.parametrize("leases", ["redis", "postgres"], indirect=True)
async def test_each_worker_polls_at_its_part_of_the_fleets_budget(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    from allegro_async.scheduler import PollScheduler

    schedulers = [PollScheduler(requests_per_min=900), PollScheduler(requests_per_min=900)]
    sellers = [s.id for s in allegro_emulator.sellers]

    def worker(name: str, scheduler: PollScheduler) -> FleetConsumers:
        return FleetConsumers(allegro_app, Handled().handler(name), leases=leases,
                              worker_id=name, sellers=sellers, ttl=TTL, clock=clock,
                              round_sleep=_never, scheduler=scheduler)

    async with worker("a", schedulers[0]) as a:
        assert schedulers[0].rate_per_min == 900
        async with worker("b", schedulers[1]) as b:
            await a.rebalance()
            await b.rebalance()
            assert [s.rate_per_min for s in schedulers] == [450, 450]
        await a.rebalance()  # b left: a has the whole budget and every seller again
        assert schedulers[0].rate_per_min == 900 and a.held() == sorted(sellers)


async def test_a_worker_cut_off_from_the_lease_store_stops_before_its_leases_can_move(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    seller = allegro_emulator.sellers[0].id
    cut, rounds, pacer = Partition(leases), Pacer(), Pacer()
    async with FleetConsumers(allegro_app, Handled().handler("a"), leases=cut, worker_id="a",
                              sellers=[seller], ttl=TTL, clock=clock, round_sleep=rounds.sleep,
                              sleep=pacer.sleep) as a:
        assert a.held() == [seller] and a.consumers.running() == [seller]
        cut.cut = True
        # renewed lease_for - margin - 1 s ago: still inside lease_for - margin
        clock.advance(a.lease_for - a.margin - 1)
        rounds.kick()
        await anyio.wait_all_tasks_blocked()
        assert a.held() == [seller]
        clock.advance(2)  # past it: another worker may take it over soon, so a stops now
        rounds.kick()
        await anyio.wait_all_tasks_blocked()
        assert a.held() == [] and a.consumers.running() == []


@pytest.mark.parametrize("phase", [0.0, 0.5, 0.99])
async def test_a_worker_dying_right_after_renewing_has_its_sellers_held_within_ttl(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock, phase: float) -> None:
    sellers = [s.id for s in allegro_emulator.sellers]
    stores = {s: MemoryCursorStore() for s in sellers}
    handled, pacer = Handled(), Pacer()
    doomed = Partition(leases)
    go, parked = anyio.Event(), anyio.Event()
    deadline = [float("inf")]

    async def b_rounds(seconds: float) -> None:
        """b's wait between rounds on the fake clock: time moves by what b waits, and stops
        at the deadline."""
        await go.wait()
        if clock.now + seconds > deadline[0]:
            parked.set()
            await anyio.sleep_forever()
        clock.advance(seconds)

    b = FleetConsumers(allegro_app, handled.handler("b"), leases=leases, worker_id="b",
                       sellers=sellers, cursor_stores=stores.__getitem__, ttl=TTL, clock=clock,
                       round_sleep=b_rounds, sleep=pacer.sleep)
    async with b:
        with anyio.CancelScope() as a_scope:
            a_ready = anyio.Event()

            async def run_a() -> None:
                async with _fleet(allegro_app, handled, "a", doomed, stores, clock, pacer) as a:
                    await b.rebalance()
                    await a.rebalance()  # a heartbeats and renews ...
                    _assert_shares([a, b], sellers)
                    a_ready.set()
                    await anyio.sleep_forever()

            async with anyio.create_task_group() as group:
                group.start_soon(run_a)
                await a_ready.wait()
                a_sellers = sorted(set(sellers) - set(b.held()))
                assert a_sellers
                doomed.cut = True  # ... and dies at once, releasing nothing
                a_scope.cancel()
        died = clock.now
        # b's rounds come every renew_every, at any phase against a's last renewal
        clock.advance(phase * b.renew_every)
        await b.rebalance()
        deadline[0] = died + TTL
        go.set()
        with anyio.fail_after(30):
            await parked.wait()
        assert clock.now <= died + TTL
        assert set(a_sellers) <= set(b.held())
        assert b.held() == sorted(sellers) == b.consumers.running()


async def test_settings_that_cannot_keep_the_ttl_safely_are_refused(
        allegro_app: AllegroApp, redis_client: object) -> None:
    leases = RedisLeases(redis_client, prefix="unused")
    fleet = FleetConsumers(allegro_app, Handled().handler("a"), leases=leases, ttl=15)
    assert (fleet.renew_every, fleet.margin, fleet.slack, fleet.lease_for) == (3, 3, 1, 11)
    # leases written for 15 - 5 - 2 = 8 s cannot outlast a 5 s round plus a 3 s margin
    with pytest.raises(InvalidArgumentError, match="renew_every") as bad:
        FleetConsumers(allegro_app, Handled().handler("a"), leases=leases, ttl=15,
                       renew_every=5, margin=3, slack=2)
    assert "2 * renew_every + margin + slack" in str(bad.value)
    with pytest.raises(InvalidArgumentError, match="slack"):
        FleetConsumers(allegro_app, Handled().handler("a"), leases=leases, ttl=15, slack=-1)
