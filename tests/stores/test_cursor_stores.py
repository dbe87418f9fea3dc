"""The cursor-store contract, for every bundled store: memory, file, Redis, PostgreSQL, SQLite.
An event and its de-duplication keys are committed together; the newest keys are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from allegro_async.cursors import (
    CursorState,
    CursorStore,
    FileCursorStore,
    MemoryCursorStore,
    trusted_commit,
)
from allegro_async.errors import InvalidArgumentError
from tests.stores.conftest import BACKENDS, Backend

pytestmark = pytest.mark.stores

Factory = Callable[..., Any]


@pytest.fixture(params=["memory", "file", *BACKENDS])
async def make(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Factory]:
    """Makes cursor stores of one kind; for all but memory, a new instance sees the old one's
    commits (another process, another host)."""
    if request.param == "memory":
        shared: dict[str, MemoryCursorStore] = {}

        def memory(name: str = "orders", **options: Any) -> Any:
            return shared.setdefault(name, MemoryCursorStore(**options))

        yield memory
    elif request.param == "file":

        def file(name: str = "orders", **options: Any) -> Any:
            return FileCursorStore(tmp_path / f"{name}.cursor", **options)

        yield file
    else:
        url = {"redis": lambda: request.getfixturevalue("redis_url"),
               "postgres": lambda: request.getfixturevalue("allegro_postgres").dsn,
               "sqlite": lambda: f"sqlite:///{tmp_path / 'stores.db'}"}[request.param]()
        made = Backend(request.param, url, f"c{id(request)}_{request.param_index}")
        yield made.cursors
        for store in made.made:
            await store.aclose()


async def test_empty_store_has_no_cursor(make: Factory) -> None:
    store = make()
    assert isinstance(store, CursorStore)
    assert await store.load() == CursorState(None, [])


async def test_commits_are_read_back_by_a_new_instance(make: Factory) -> None:
    store = make()
    await store.commit("e1", ["k1"])
    await store.commit("e2", [])
    await store.commit("e3", ["k3a", "k3b"])
    await store.aclose()  # a stream closes its store; a new one (a restart) reads it
    assert await make().load() == CursorState("e3", ["k1", "k3a", "k3b"])
    await store.commit("e4", ["k4"])  # still usable after aclose
    assert await make().load() == CursorState("e4", ["k1", "k3a", "k3b", "k4"])


async def test_only_the_newest_keys_are_kept(make: Factory) -> None:
    store = make(max_keys=3)
    for number in range(1, 11):
        await store.commit(f"e{number}", [f"k{number}"])
    state = await make(max_keys=3).load()
    assert state.cursor == "e10" and state.keys[-3:] == ["k8", "k9", "k10"]
    assert len(state.keys) <= 6  # a store may trim lazily, up to twice max_keys


async def test_streams_with_other_names_are_apart(make: Factory) -> None:
    await make("orders:a").commit("a1", ["ka"])
    await make("orders:b").commit("b1", ["kb"])
    assert await make("orders:a").load() == CursorState("a1", ["ka"])
    assert await make("orders:b").load() == CursorState("b1", ["kb"])


async def test_bad_commit_is_refused_before_anything_is_stored(make: Factory) -> None:
    store = make()
    await store.commit("e1", ["k1"])
    with pytest.raises(InvalidArgumentError, match="keys"):
        await store.commit("e2", "k2")
    with pytest.raises(InvalidArgumentError, match="cursor"):
        await store.commit("", ["k2"])
    assert await make().load() == CursorState("e1", ["k1"])


async def test_a_trusted_commit_is_read_back_like_a_commit(make: Factory) -> None:
    store = make()
    commit = trusted_commit(store)
    await commit("e1", ["k1"])
    await commit("e2", [])
    await commit("e3", ["k3a", "k3b"])
    await store.aclose()
    assert await make().load() == CursorState("e3", ["k1", "k3a", "k3b"])


async def test_a_trusted_commit_keeps_only_the_newest_keys(make: Factory) -> None:
    store = make(max_keys=3)
    commit = trusted_commit(store)
    for number in range(1, 11):
        await commit(f"e{number}", [f"k{number}"])
    state = await make(max_keys=3).load()
    assert state.cursor == "e10" and state.keys[-3:] == ["k8", "k9", "k10"]
    assert len(state.keys) <= 6


async def test_a_reader_never_sees_an_event_without_its_keys(make: Factory) -> None:
    writer, reader = make(), make()
    seen: list[CursorState] = []
    done = anyio.Event()

    async def read() -> None:
        while not done.is_set():
            seen.append(await reader.load())
            await anyio.sleep(0)

    async with anyio.create_task_group() as tg:
        tg.start_soon(read)
        for number in range(1, 31):
            await writer.commit(f"e{number}", [f"k{number}-{i}" for i in range(20)])
            await anyio.sleep(0)
        done.set()
    assert len(seen) > 1
    for state in seen:
        if state.cursor is not None:
            number = state.cursor[1:]
            assert state.keys[-20:] == [f"k{number}-{i}" for i in range(20)]


async def test_event_stream_resumes_from_a_shared_store_without_loss_or_repeat(
        make: Factory) -> None:
    from tests.orders.conftest import FakeSleep, small_emulator
    from tests.orders.test_events import _distinct_keys

    emulator = small_emulator(orders_per_seller=40, events_per_seller=300)
    handled: dict[str, int] = {}

    class Crash(Exception):
        pass

    async with emulator.client(0, retry=False, throttle=False) as client:
        with pytest.raises(Crash):
            async with client.orders.events(start="beginning", store=make("seller-0"),
                                            follow=False, sleep=FakeSleep()) as stream:
                async for delivery in stream:
                    if len(handled) == 120:
                        raise Crash  # this worker dies while handling this one
                    handled[delivery.key] = handled.get(delivery.key, 0) + 1
        # another worker, another store instance on the same backend
        async with client.orders.events(start="now", store=make("seller-0"), follow=False,
                                        sleep=FakeSleep()) as stream:
            async for delivery in stream:
                handled[delivery.key] = handled.get(delivery.key, 0) + 1
    assert set(handled) == _distinct_keys(emulator)
    assert max(handled.values()) == 1

