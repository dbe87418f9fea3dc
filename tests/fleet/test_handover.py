"""A planned handover (a worker joins and the seller becomes its share) drains the event in
flight: the handler finishes and its event is committed under the still-held lease before the
lease moves, so the event is handled once; a handler that does not finish by the lease's bound
is cancelled and its one event delivered again. Real Redis/PostgreSQL/SQLite leases on a fake
clock, the emulator's journal, anyio events holding handlers mid-event."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

import anyio
import pytest

from allegro_async import AllegroApp
from allegro_async.cursors import MemoryCursorStore
from allegro_async.fleet.leases import LeaseBackend, LeaseLostError
from allegro_async.fleet.workers import FleetConsumers, owner
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.orders import OrdersConfig
from tests.fleet.conftest import FakeClock
from tests.fleet.test_workers import Pacer, _journal, _never

pytestmark = [pytest.mark.redis,
              pytest.mark.allegro_emulator(sellers=1, orders=OrdersConfig(orders_per_seller=2))]

TTL = 15.0


class Handlers:
    """Every handler call per worker: started, finished, and how many ran at once per seller;
    with ``hold``, the first event waits in its handler until :attr:`release` is set (never,
    with ``forever``)."""

    def __init__(self, *, hold: bool = True, forever: bool = False) -> None:
        self.started: list[tuple[str, str]] = []
        self.finished: list[tuple[str, str]] = []
        self.active: Counter[str] = Counter()
        self.most_at_once = 0
        self.entered, self.release = anyio.Event(), anyio.Event()
        self.hold, self.forever = hold, forever
        self._changed = anyio.Event()

    def handler(self, worker: str) -> Callable[[str, EventDelivery], Awaitable[None]]:
        async def handle(seller_id: str, delivery: EventDelivery) -> None:
            self.active[seller_id] += 1
            self.most_at_once = max(self.most_at_once, self.active[seller_id])
            self.started.append((worker, delivery.id))
            try:
                if self.hold and not self.entered.is_set():
                    self.entered.set()
                    if self.forever:
                        await anyio.sleep_forever()
                    await self.release.wait()
                self.finished.append((worker, delivery.id))
            finally:
                self.active[seller_id] -= 1
                self._changed.set()
                self._changed = anyio.Event()
        return handle

    async def until_finished(self, count: int) -> None:
        with anyio.fail_after(30):
            while len(self.finished) < count:
                await self._changed.wait()


class GatedStore(MemoryCursorStore):
    """A shared cursor store whose first commit waits for :attr:`gate` (the handler has
    returned; its commit is under way)."""

    def __init__(self) -> None:
        super().__init__()
        self.committing, self.gate = anyio.Event(), anyio.Event()

    async def commit(self, cursor: str, keys: list[str]) -> None:  # type: ignore[override]
        if not self.committing.is_set():
            self.committing.set()
            await self.gate.wait()
        await super().commit(cursor, keys)


class DrainTimer:
    """The fleet's ``drain_sleep``: records the bound asked for and ends when the test fires."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.waiting, self._fire = anyio.Event(), anyio.Event()

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.waiting.set()
        await self._fire.wait()

    def fire(self) -> None:
        self._fire.set()


def _joiner(seller: str) -> str:
    """A worker name whose share ``seller`` is once it joins worker ``a``."""
    return next(n for n in (f"b{i}" for i in range(100)) if owner(seller, ["a", n]) == n)


def _worker(app: AllegroApp, name: str, handlers: Handlers, leases: LeaseBackend,
            store: MemoryCursorStore, seller: str, clock: FakeClock, pacer: Pacer,
            timer: DrainTimer | None = None) -> FleetConsumers:
    return FleetConsumers(app, handlers.handler(name), leases=leases, worker_id=name,
                          sellers=[seller], cursor_stores=lambda _s: store, ttl=TTL,
                          clock=clock, round_sleep=_never,
                          drain_sleep=(timer or DrainTimer()).sleep,
                          start="beginning", sleep=pacer.sleep)


async def test_an_event_in_its_handler_when_a_worker_joins_is_handled_once(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    seller, journal = allegro_emulator.sellers[0].id, await _journal(allegro_emulator, 0)
    store, handlers, pacer = MemoryCursorStore(), Handlers(), Pacer()
    b_name = _joiner(seller)
    async with _worker(allegro_app, "a", handlers, leases, store, seller, clock, pacer) as a, \
            anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            await handlers.entered.wait()  # a is inside the first event
        async with _worker(allegro_app, b_name, handlers, leases, store, seller, clock,
                           pacer) as b:
            tg.start_soon(a.rebalance)
            await a.next_round()  # b is live: the seller is b's share, a drains it
            assert a.handing_over() == [seller] and a.held() == [seller]
            await b.rebalance()
            assert b.held() == []  # the lease stays with a while its handler runs
            assert handlers.started == [("a", journal[0])]  # no new event was delivered
            handlers.release.set()
            await a.wait_handovers()
            assert a.held() == [] and a.consumers.running() == []
            assert (await store.load()).cursor == journal[0]  # committed under a's lease
            await b.rebalance()
            assert b.held() == [seller]
            pacer.kick()
            await handlers.until_finished(len(journal))
    assert [e for _, e in handlers.finished] == journal
    assert [w for w, _ in handlers.finished] == ["a"] + [b_name] * (len(journal) - 1)
    assert handlers.most_at_once == 1


async def test_an_event_whose_handler_returned_before_the_handover_is_not_handled_again(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    seller, journal = allegro_emulator.sellers[0].id, await _journal(allegro_emulator, 0)
    store, handlers, pacer = GatedStore(), Handlers(hold=False), Pacer()
    b_name = _joiner(seller)
    async with _worker(allegro_app, "a", handlers, leases, store, seller, clock, pacer) as a, \
            anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            await store.committing.wait()  # the first handler returned; its commit is held
        assert handlers.finished == [("a", journal[0])]
        async with _worker(allegro_app, b_name, handlers, leases, store, seller, clock,
                           pacer) as b:
            tg.start_soon(a.rebalance)
            await a.next_round()
            assert a.held() == [seller]  # the token is kept until the commit has landed
            await b.rebalance()
            assert b.held() == []
            store.gate.set()
            await a.wait_handovers()
            assert (await store.load()).cursor == journal[0]
            assert a.consumers.metrics()[seller].stopped == "drained"
            await b.rebalance()
            pacer.kick()
            await handlers.until_finished(len(journal))
    assert Counter(e for _, e in handlers.started) == Counter(journal)  # each once
    assert [w for w, _ in handlers.finished] == ["a"] + [b_name] * (len(journal) - 1)


async def test_a_handler_that_never_finishes_is_cancelled_at_the_leases_bound(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    seller, journal = allegro_emulator.sellers[0].id, await _journal(allegro_emulator, 0)
    store, handlers, pacer = MemoryCursorStore(), Handlers(forever=True), Pacer()
    timer, b_name = DrainTimer(), _joiner(seller)
    async with _worker(allegro_app, "a", handlers, leases, store, seller, clock, pacer,
                       timer) as a, anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            await handlers.entered.wait()
        async with _worker(allegro_app, b_name, handlers, leases, store, seller, clock,
                           pacer) as b:
            tg.start_soon(a.rebalance)
            with anyio.fail_after(30):
                await timer.waiting.wait()
            # renewed at this round on the unmoving clock: the bound is lease_for - margin
            assert timer.asked == [a.lease_for - a.margin]
            await b.rebalance()
            assert b.held() == [] and handlers.finished == []
            clock.advance(timer.asked[0])  # the lease would end within the margin now
            timer.fire()
            await a.wait_handovers()
            assert a.held() == [] and handlers.active[seller] == 0  # a's handler cancelled
            assert (await store.load()).cursor is None
            await b.rebalance()
            pacer.kick()
            await handlers.until_finished(len(journal))
    assert handlers.most_at_once == 1  # never two consumers at once
    assert handlers.started == [("a", journal[0])] + [(b_name, e) for e in journal]
    assert [e for _, e in handlers.finished] == journal  # only the cut event came twice


async def test_a_lease_lost_while_draining_refuses_the_commit(
        allegro_app: AllegroApp, allegro_emulator: Emulator, leases: LeaseBackend,
        clock: FakeClock) -> None:
    seller, journal = allegro_emulator.sellers[0].id, await _journal(allegro_emulator, 0)
    store, handlers, pacer = MemoryCursorStore(), Handlers(), Pacer()
    b_name = _joiner(seller)
    async with _worker(allegro_app, "a", handlers, leases, store, seller, clock, pacer) as a, \
            anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            await handlers.entered.wait()
        token = a.token(seller)
        assert token is not None
        async with _worker(allegro_app, b_name, handlers, leases, store, seller, clock,
                           pacer) as b:
            tg.start_soon(a.rebalance)
            await a.next_round()
            clock.advance(TTL + 1)  # a stalls past its lease; b takes the seller over
            await b.rebalance()
            assert b.held() == [seller] and b.token(seller) == token + 1
            handlers.release.set()  # a's handler finishes too late
            await a.wait_handovers()
            stopped = a.consumers.metrics()[seller].stopped
            assert stopped is not None and stopped.startswith(LeaseLostError.__name__)
            assert a.held() == []
            # b's lease survives a's release with the old token
            assert await leases.check(seller, b_name, token + 1, 0)
            pacer.kick()
            await handlers.until_finished(len(journal) + 1)
    # the event a finished without its commit is delivered again by b: at-least-once
    assert sorted(handlers.finished) == sorted([("a", journal[0])]
                                               + [(b_name, e) for e in journal])
