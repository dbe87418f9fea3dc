"""``EventConsumers.stop(seller_id, drain=True)``: the handler in flight finishes and its event
is committed, no new event is delivered; a deadline around the call cancels the handler
instead (the event then stays uncommitted, for the next consumer). Emulator journal, anyio
events holding the handler mid-event."""

from __future__ import annotations

import anyio
import anyio.lowlevel

from allegro_async import AllegroApp
from allegro_async.consumers import EventConsumers
from allegro_async.cursors import MemoryCursorStore
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator


class Held:
    """A handler that records each event and waits inside the first one until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.entered, self.release = anyio.Event(), anyio.Event()

    async def __call__(self, _seller_id: str, delivery: EventDelivery) -> None:
        self.started.append(delivery.id)
        if not self.entered.is_set():
            self.entered.set()
            await self.release.wait()
        self.finished.append(delivery.id)


async def test_a_drained_stop_lets_the_handler_finish_and_commit_and_delivers_no_more(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    store, held = MemoryCursorStore(), Held()
    async with EventConsumers(allegro_app, held, sellers=[seller],
                              cursor_stores=lambda _s: store, start="beginning") as group, \
            anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            await held.entered.wait()
        stopped = anyio.Event()

        async def drain() -> None:
            await group.stop(seller, drain=True)
            stopped.set()

        tg.start_soon(drain)
        await anyio.wait_all_tasks_blocked()
        assert not stopped.is_set() and group.running() == [seller]  # waits for the handler
        held.release.set()
        with anyio.fail_after(30):
            await stopped.wait()
        assert group.running() == [] and group.metrics()[seller].stopped == "drained"
    assert held.started == held.finished and len(held.started) == 1  # no next event
    assert (await store.load()).cursor == held.started[0]


async def test_a_deadline_around_a_drained_stop_cancels_the_handler(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    store, held = MemoryCursorStore(), Held()
    async with EventConsumers(allegro_app, held, sellers=[seller],
                              cursor_stores=lambda _s: store, start="beginning") as group:
        with anyio.fail_after(30):
            await held.entered.wait()
        with anyio.CancelScope() as bound:
            bound.cancel()  # the caller's deadline has passed
            await group.stop(seller, drain=True)
        assert group.running() == []  # ended before the call returned
    assert held.finished == [] and (await store.load()).cursor is None


class SlowClosing(MemoryCursorStore):
    """A store whose close awaits (an engine's dispose, a file's flush) and records it."""

    closed = False

    async def aclose(self) -> None:
        await anyio.lowlevel.checkpoint()
        self.closed = True


async def test_a_drained_stop_ends_as_drained_even_when_the_store_closes_slowly(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    store, held = SlowClosing(), Held()
    async with EventConsumers(allegro_app, held, sellers=[seller],
                              cursor_stores=lambda _s: store, start="beginning") as group, \
            anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            await held.entered.wait()
        tg.start_soon(lambda: group.stop(seller, drain=True))
        await anyio.wait_all_tasks_blocked()
        held.release.set()
    # the consumer ended by the drain, not by a cancel that cut its store's close short
    assert group.metrics()[seller].stopped == "drained"
    assert store.closed and (await store.load()).cursor == held.started[0]
