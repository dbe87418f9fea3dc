"""client.orders.events(): start points, A8 de-duplication, polling, S12 signals, resilience,
commit-after-finish and restarts from a file cursor."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from allegro_async.cursors import FileCursorStore, MemoryCursorStore
from allegro_async.errors import InvalidArgumentError, ServerError
from allegro_async.services.events import EventDelivery
from allegro_async.testing import Emulator

from .conftest import FakeSleep, small_emulator


class Crash(Exception):
    """Stands in for a consumer process dying mid-event."""


def _distinct_keys(emulator: Emulator, seller: int = 0) -> set[str]:
    from allegro_async.models.events import dedup_key
    from allegro_async.testing.emulator.orders_data import EVENT_TYPES
    from allegro_async.testing.emulator.orders_views import _ts

    book = emulator.orders.book(seller)
    return {
        dedup_key(book.form_id(book.ev_order[k]), EVENT_TYPES[book.ev_type[k]],
                  _ts(book.ev_time[k]))
        for k in range(len(book.ev_order))
    }


async def test_a8_stream_from_the_beginning_drops_duplicates(orders_emulator: Emulator) -> None:
    async with orders_emulator.client(0) as client:
        stream = client.orders.events(start="beginning", follow=False)
        async with stream:
            keys = [d.key async for d in stream]
    assert len(keys) == len(set(keys)) == len(_distinct_keys(orders_emulator))
    assert stream.duplicates > 0
    assert stream.cursor == orders_emulator.orders.book(0).event_id(
        len(orders_emulator.orders.book(0).ev_order) - 1) or stream.duplicates


async def test_a8_start_now_sees_only_later_events(orders_emulator: Emulator) -> None:
    made: list[str] = []
    sleep = FakeSleep(lambda n: made.append(orders_emulator.orders.new_order(0)) if n == 1
                      else None)
    got = []
    async with orders_emulator.client(0) as client, client.orders.events(
            start="now", sleep=sleep) as stream:
        async for delivery in stream:
            got.append(delivery)
            if len(got) == 3:
                break
    assert {d.checkout_form_id for d in got} == set(made)
    assert [d.type.value for d in got] == ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"]


async def test_a8_long_poll_backs_off_and_resets(orders_emulator: Emulator) -> None:
    def wake(n: int) -> None:
        if n == 8:
            orders_emulator.orders.new_order(0, lone_ready=True)  # S9: a lone READY

    sleep = FakeSleep(wake)
    async with orders_emulator.client(0) as client, client.orders.events(
            start="now", sleep=sleep, min_poll=1, max_poll=30) as stream:
        delivery = await stream.__anext__()
    assert sleep.calls == [1, 2, 4, 8, 16, 30, 30, 30]
    assert delivery.type == "READY_FOR_PROCESSING"


async def test_a8_type_filter_and_explicit_cursor(orders_emulator: Emulator) -> None:
    book = orders_emulator.orders.book(0)
    start = book.event_id(100)
    async with orders_emulator.client(0) as client:
        stream = client.orders.events(start=start, follow=False, types=["BUYER_CANCELLED"])
        got = [d async for d in stream]
    assert got and all(d.type == "BUYER_CANCELLED" for d in got)
    assert all(int(d.id) > int(start) for d in got)
    with pytest.raises(InvalidArgumentError):
        client.orders.events(types=["SHIPPED"])


async def test_s11_events_in_any_order_are_all_delivered(orders_emulator: Emulator) -> None:
    async with orders_emulator.client(0) as client:
        got = [d async for d in client.orders.events(start="beginning", follow=False)]
    first: dict[str | None, str] = {}
    for delivery in got:
        first.setdefault(delivery.checkout_form_id, delivery.type.value)
    assert "FILLED_IN" in first.values()  # FILLED_IN came before BOUGHT for some forms
    assert {"BOUGHT", "FILLED_IN"} <= {d.type.value for d in got}


async def test_s12_stream_reports_a_combined_form_and_its_replacement(
    orders_emulator: Emulator,
) -> None:
    old = orders_emulator.orders.new_order(0)
    async with orders_emulator.client(0) as client:
        stats = orders_emulator.orders.book(0)
        start = stats.event_id(len(stats.ev_order) - 4)  # just before the new order's events
        new = orders_emulator.orders.combine(old)
        stream = client.orders.events(start=start, follow=False, read_forms=True)
        got: list[EventDelivery] = [d async for d in stream]
    gone = [d for d in got if d.checkout_form_id == old]
    assert gone and all(d.form is None and d.gone is not None for d in gone)
    signal = gone[0].gone
    assert signal is not None and signal.form_id == old
    assert signal.replacement is not None and signal.replacement.id == new
    assert signal.payment_id == stats.payment_id(stats.form_index(old) or 0)
    fresh = [d for d in got if d.checkout_form_id == new]
    assert fresh and all(d.form is not None and d.form.id == new for d in fresh)


async def test_crash_mid_event_redelivers_only_that_event(orders_emulator: Emulator) -> None:
    store = MemoryCursorStore()
    handled: list[str] = []
    async with orders_emulator.client(0) as client:
        with pytest.raises(Crash):
            async with client.orders.events(start="beginning", store=store,
                                            follow=False) as stream:
                async for delivery in stream:
                    if len(handled) == 10:
                        raise Crash
                    handled.append(delivery.key)
        assert (await store.load()).cursor is not None
        async with client.orders.events(start="now", store=store, follow=False) as stream:
            async for delivery in stream:
                handled.append(delivery.key)
    assert len(handled) == len(set(handled)) == len(_distinct_keys(orders_emulator))


async def test_stream_survives_5xx_and_dropped_connections(orders_emulator: Emulator) -> None:
    orders_emulator.faults.add("GET /order/events", status=503, probability=0.3)
    orders_emulator.faults.add("GET /order/events", drop=True, probability=0.2)
    sleep = FakeSleep()
    async with orders_emulator.client(0, retry=False) as client:
        stream = client.orders.events(start="beginning", follow=False, sleep=sleep,
                                      page_size=50, max_errors=50)
        keys = [d.key async for d in stream]
    assert stream.errors > 0 and len(sleep.calls) >= stream.errors
    assert len(keys) == len(set(keys)) == len(_distinct_keys(orders_emulator))


async def test_100000_events_with_faults_and_a_restart_from_a_file_cursor(
    tmp_path: Path,
) -> None:
    emulator = small_emulator(orders_per_seller=3000, events_per_seller=100_000)
    expected = _distinct_keys(emulator)
    assert len(emulator.orders.book(0).ev_order) >= 100_000
    emulator.faults.add("GET /order/events", status=503, probability=0.05)
    emulator.faults.add("GET /order/events", status=500, probability=0.02)
    emulator.faults.add("GET /order/events", drop=True, probability=0.03)
    store_path = tmp_path / "events.cursor"
    handled: dict[str, int] = {}
    async with emulator.client(0, retry=False, throttle=False) as client:
        with pytest.raises(Crash):
            async with client.orders.events(start="beginning", store=FileCursorStore(store_path),
                                            follow=False, sleep=FakeSleep()) as stream:
                async for delivery in stream:
                    if len(handled) == 40_000:
                        raise Crash  # dies while handling this one
                    handled[delivery.key] = handled.get(delivery.key, 0) + 1
        # A new process: a new store object reading the same file.
        async with client.orders.events(start="now", store=FileCursorStore(store_path),
                                        follow=False, sleep=FakeSleep()) as stream:
            async for delivery in stream:
                handled[delivery.key] = handled.get(delivery.key, 0) + 1
    assert set(handled) == expected
    assert max(handled.values()) == 1
    assert stream.errors > 0


async def test_file_store_ignores_a_torn_last_line_and_compacts(tmp_path: Path) -> None:
    path = tmp_path / "cursor"
    store = FileCursorStore(path, max_keys=3)
    for n in range(10):
        await store.commit(str(n), [f"k{n}"])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('["10", ["k1')  # the crash cut this line short
    state = await FileCursorStore(path, max_keys=3).load()
    assert state.cursor == "9"
    assert state.keys == ["k7", "k8", "k9"]
    assert len(path.read_text().splitlines()) < 10  # compacted on the way
    assert json.loads(path.read_text().splitlines()[0])[0] in {str(n) for n in range(10)}


async def test_memory_store_bounds_its_keys() -> None:
    store = MemoryCursorStore(max_keys=5)
    for n in range(100):
        await store.commit(str(n), [str(n)])
    state = await store.load()
    assert state.cursor == "99" and len(state.keys) <= 10 and state.keys[-1] == "99"


async def test_a_failed_form_read_neither_commits_nor_loses_the_event(
    orders_emulator: Emulator,
) -> None:
    store = MemoryCursorStore()
    async with orders_emulator.client(0, retry=False) as client:
        reference = client.orders.events(start="beginning", follow=False)
        expected = [(await reference.__anext__()).id, (await reference.__anext__()).id]
        stream = client.orders.events(start="beginning", store=store, follow=False,
                                      read_forms=True, max_errors=0, sleep=FakeSleep())
        first = await stream.__anext__()
        orders_emulator.faults.add("GET /order/checkout-forms/{id}", status=503,
                                   times=1)
        with pytest.raises(ServerError):
            await stream.__anext__()  # the first is finished; reading the second's form fails
        assert (await store.load()).cursor == first.id  # the failed one was not committed
        again = await stream.__anext__()  # iterating again retries the same event
        await stream.__anext__()
    assert [first.id, again.id] == expected and again.form is not None
    assert (await store.load()).cursor == again.id
    assert stream.delivered == 3


async def test_file_store_commit_after_a_torn_line_is_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "cursor"
    store = FileCursorStore(path)
    for n in range(3):
        await store.commit(str(n), [f"k{n}"])
    store.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write('["3", ["k')  # the crash cut this line short
    restarted = FileCursorStore(path)
    assert (await restarted.load()).cursor == "2"
    await restarted.commit("3", ["k3"])
    restarted.close()
    state = await FileCursorStore(path).load()
    assert state.cursor == "3" and state.keys == ["k0", "k1", "k2", "k3"]
    assert all(json.loads(line) for line in path.read_text().splitlines())


@pytest.mark.parametrize("options", [{"start": ""}, {"start": " "}, {"start": "12?x=1"},
                                     {"dedup_window": 0}, {"dedup_window": -5}])
async def test_bad_stream_options_are_refused_before_any_request(
        orders_emulator: Emulator, options: dict[str, object]) -> None:
    # start="" was saved as the cursor and sent as from= on every poll, for ever after; a
    # dedup_window of 0 still loaded every stored key (keys[-0:] is the whole list).
    async with orders_emulator.client(0) as client:
        with pytest.raises(InvalidArgumentError):
            client.orders.events(follow=False, **options)  # type: ignore[arg-type]
    assert orders_emulator.stats.requests == 0


def test_dedup_key_agrees_across_spellings_and_tolerates_odd_timestamps() -> None:
    from allegro_async.models.events import dedup_key

    canonical = dedup_key("f1", "BOUGHT", "2026-11-27T01:02:03.120Z")
    # five fraction digits and an explicit zone: datetime.fromisoformat on 3.10 refuses these
    assert dedup_key("f1", "BOUGHT", "2026-11-27T02:02:03.12000+01:00") == canonical
    assert dedup_key("f1", "BOUGHT", "not a time") == "f1|BOUGHT|not a time"


async def test_the_stream_sends_the_per_call_options_with_every_request(
        orders_emulator: Emulator) -> None:
    inner = orders_emulator.transport()
    seen: list[httpx.Request] = []

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return await inner.handle_async_request(request)

    async with orders_emulator.client(0, transport=Spy()) as client:
        stream = client.orders.events(start="beginning", follow=False, read_forms=True,
                                      extra_headers={"X-Consumer": "c-1"}, max_retries=0)
        async with stream:
            got = [d async for d in stream]
    journal = [r for r in seen if r.url.path.endswith("/order/events")]
    forms = [r for r in seen if "/order/checkout-forms/" in r.url.path]
    assert got and journal and forms
    assert all(r.headers.get("X-Consumer") == "c-1" for r in seen)
    with pytest.raises(InvalidArgumentError) as info:
        client.orders.events(timeout=-1)
    assert info.value.field == "timeout"
