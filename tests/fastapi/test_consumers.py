"""Supervised event consumers (allegro_async.consumers) and cursor stores as async context
managers, against the in-process emulator."""

from __future__ import annotations

import gc
from collections import Counter
from pathlib import Path

import anyio
import pytest

from allegro_async import AllegroApp
from allegro_async.consumers import Backoff, EventConsumers
from allegro_async.cursors import FileCursorStore, MemoryCursorStore
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator


async def _journal(allegro_emulator: Emulator, seller: int) -> list[str]:
    """What one plain stream from the beginning delivers for a seller (duplicates dropped)."""
    async with allegro_emulator.client(seller) as client, client.orders.events(
            start="beginning", follow=False) as stream:
        return [delivery.id async for delivery in stream]


def test_backoff_grows_caps_and_jitters() -> None:
    backoff = Backoff(initial=1, maximum=8, factor=2, jitter=0.5)
    assert [backoff.delay(n, rand=lambda: 0.0) for n in range(1, 6)] == [1, 2, 4, 8, 8]
    assert backoff.delay(3, rand=lambda: 1.0) == 2.0  # at most half taken off


async def test_each_seller_is_consumed_once_in_order(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seen: dict[str, list[str]] = {}

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        seen.setdefault(seller_id, []).append(delivery.id)

    stores = {s.id: MemoryCursorStore() for s in allegro_emulator.sellers}
    async with EventConsumers(allegro_app, handle, cursor_stores=stores.__getitem__,
                              start="beginning", follow=False) as group:
        pass  # the consumers run inside; leaving waits for all of them
    for index, seller in enumerate(allegro_emulator.sellers):
        expected = await _journal(allegro_emulator, index)
        assert seen[seller.id] == expected
        assert (await stores[seller.id].load()).cursor == expected[-1]
        metrics = group.metrics()[seller.id]
        assert metrics.handled == len(expected) and metrics.stopped == "finished"


async def test_a_failing_handler_restarts_with_backoff_and_gets_the_event_again(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    handled: Counter[str] = Counter()
    delays: list[float] = []
    failed: list[str] = []

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        if len(handled) == 5 and not failed:
            failed.append(delivery.id)
            raise RuntimeError("the database is down")
        handled[delivery.id] += 1

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    async with EventConsumers(allegro_app, handle, sellers=[seller], backoff_sleep=fake_sleep,
                              rand=lambda: 0.0, backoff=Backoff(initial=2),
                              start="beginning", follow=False) as group:
        pass
    expected = await _journal(allegro_emulator, 0)
    assert list(handled) == expected  # the failed event came again, after the restart
    assert set(handled.values()) == {1}
    metrics = group.metrics()[seller]
    assert metrics.restarts == 1 and delays == [2.0]
    assert metrics.last_error == "RuntimeError: the database is down"


async def test_a_seller_who_must_reconnect_stops_without_retrying(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    await allegro_app.remove_seller(seller)

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        raise AssertionError("no event can come")

    async with EventConsumers(allegro_app, handle, sellers=[seller]) as group:
        pass
    metrics = group.metrics()[seller]
    assert metrics.restarts == 0
    assert metrics.stopped is not None and "SellerNotConnectedError" in metrics.stopped


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_shutdown_commits_what_was_handled_and_closes_the_files(
        allegro_app: AllegroApp, allegro_emulator: Emulator, tmp_path: Path) -> None:
    handled: dict[str, list[str]] = {}
    enough = anyio.Event()

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        finished = handled.setdefault(seller_id, [])
        if sum(map(len, handled.values())) >= 30:
            enough.set()
            await anyio.sleep_forever()  # shutdown lands here, mid-handler
        finished.append(delivery.id)

    stores: dict[str, FileCursorStore] = {}

    def store_for(seller_id: str) -> FileCursorStore:
        stores[seller_id] = FileCursorStore(tmp_path / seller_id)
        return stores[seller_id]

    async with EventConsumers(allegro_app, handle, cursor_stores=store_for, start="beginning"):
        await enough.wait()
    gc.collect()  # an unclosed handle would warn here, and the warning is an error
    for seller_id, ids in handled.items():
        store = stores[seller_id]
        assert store._handle is None
        state = await FileCursorStore(tmp_path / seller_id).load()
        # Every finished event is committed; the one whose handler was cancelled is not.
        assert state.cursor == (ids[-1] if ids else None)


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_leaving_the_stream_closes_its_file_store(
        allegro_client, tmp_path: Path) -> None:
    store = FileCursorStore(tmp_path / "cursor")
    async with allegro_client.orders.events(store=store, start="beginning",
                                            follow=False) as stream:
        async for _ in stream:
            handle = store._handle  # opened by the first commit (asking for the 2nd event)
            if handle is not None:
                break
    assert handle is not None and handle.closed
    del handle
    gc.collect()


async def test_cursor_stores_are_async_context_managers(tmp_path: Path) -> None:
    async with FileCursorStore(tmp_path / "c") as store:
        await store.commit("1", ["k"])
        handle = store._handle
    assert handle is not None and handle.closed
    async with MemoryCursorStore() as memory:
        await memory.commit("2", [])
    assert (await memory.load()).cursor == "2"


async def test_a_consumer_stuck_on_its_first_event_shows_its_lag(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    inside, release = anyio.Event(), anyio.Event()
    first: list[EventDelivery] = []

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        if not first:
            first.append(delivery)
            inside.set()
            await release.wait()  # a handler stuck on the first event it gets

    now = [0.0]
    async with EventConsumers(allegro_app, handle, sellers=[seller], clock=lambda: now[0],
                              start="beginning", follow=False) as group:
        await inside.wait()
        occurred = first[0].event.occurred_at
        assert occurred is not None
        now[0] = occurred.timestamp() + 90.0  # 90 s after the event, still in its handler
        metrics = group.metrics()[seller]
        assert metrics.handled == 0 and metrics.behind >= 1
        assert metrics.lag_seconds == pytest.approx(90.0)
        release.set()
    assert group.metrics()[seller].lag_seconds == 0.0  # everything fetched was handled


class _FlakyStore(MemoryCursorStore):
    """A cursor store whose ``fail_at``-th commit raises, as a database restarting does."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.commits = 0
        self.fail_at = fail_at

    async def commit(self, cursor: str, keys: list[str]) -> None:  # type: ignore[override]
        self.commits += 1
        if self.commits == self.fail_at:
            raise ConnectionError("the cursor store restarts")
        await super().commit(cursor, keys)


async def test_a_failed_commit_is_retried_without_handling_the_event_again(
        allegro_app: AllegroApp, allegro_emulator: Emulator) -> None:
    seller = allegro_emulator.sellers[0].id
    handled: Counter[str] = Counter()
    delays: list[float] = []
    store = _FlakyStore(fail_at=3)

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        handled[delivery.id] += 1

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    async with EventConsumers(allegro_app, handle, sellers=[seller], cursor_stores=lambda _: store,
                              backoff_sleep=fake_sleep, rand=lambda: 0.0,
                              backoff=Backoff(initial=2), start="beginning",
                              follow=False) as group:
        pass
    expected = await _journal(allegro_emulator, 0)
    assert list(handled) == expected
    assert set(handled.values()) == {1}  # the event whose commit failed was not handled again
    assert (await store.load()).cursor == expected[-1]
    metrics = group.metrics()[seller]
    assert metrics.restarts == 0 and delays == [2.0]
    assert metrics.last_error == "ConnectionError: the cursor store restarts"
