"""Walks over checkout forms end: max_items, and a server that stops moving the walk on."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient, WalkStalledError
from allegro_async.errors import InvalidArgumentError
from allegro_async.pagination import OffsetPaginator, Page, TimeSlicedPaginator

from .conftest import small_emulator

T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
Row = tuple[str, _dt.datetime]
ROWS: list[Row] = [(f"i{n:02d}", T0 + _dt.timedelta(seconds=n)) for n in range(30)]


def _walk(fetch: Any, **kwargs: Any) -> TimeSlicedPaginator[Row]:
    return TimeSlicedPaginator(fetch, key=lambda i: i[1], ident=lambda i: i[0],
                               gte_param="t.gte", lte_param="t.lte", page_size=10, **kwargs)


async def test_orders_list_stops_at_max_items_without_a_further_request() -> None:
    emulator = small_emulator(orders_per_seller=300)
    async with emulator.client(0, throttle=False) as client:
        ids = [f.id async for f in client.orders.list(page_size=100, max_items=150)]
    assert len(ids) == len(set(ids)) == 150
    assert emulator.stats.route("GET", "/order/checkout-forms") == 2


async def test_orders_list_with_max_items_at_a_page_end_sends_no_further_request() -> None:
    emulator = small_emulator(orders_per_seller=300)
    async with emulator.client(0, throttle=False) as client:
        # keyset pages overlap by one form: 50 new, then 49 new
        pages = [len(p.items) async for p in client.orders.list(page_size=50,
                                                                 max_items=99).pages()]
    assert pages == [50, 49]
    assert emulator.stats.route("GET", "/order/checkout-forms") == 2


async def test_orders_list_with_max_items_zero_sends_nothing() -> None:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail("no request may be sent"))) as client:
        assert [f async for f in client.orders.list(max_items=0)] == []


@pytest.mark.parametrize("value", [-1, True, 1.5, "10"])
async def test_a_bad_max_items_is_refused_before_any_request(value: object) -> None:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(
            lambda r: pytest.fail("no request may be sent"))) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            client.orders.list(max_items=value)  # type: ignore[arg-type]
    assert caught.value.field == "max_items"


async def test_a_server_ignoring_bounds_and_offsets_ends_the_walk_instead_of_short() -> None:
    calls: list[tuple[int, Mapping[str, Any]]] = []

    async def stuck(offset: int, limit: int, extra: Mapping[str, Any]) -> Page[Row]:
        calls.append((offset, dict(extra)))
        return Page(ROWS[:10], 30, "trace-x")  # the first page, whatever is asked

    seen: list[str] = []
    with pytest.raises(WalkStalledError) as info:
        async for row in _walk(stuck, what="GET /order/checkout-forms"):
            seen.append(row[0])
    assert seen == [r[0] for r in ROWS[:10]]  # what was yielded, once; 20 more not reached
    assert info.value.reason == "page_repeated" and info.value.yielded == 10
    assert info.value.total == 30 and info.value.trace_id == "trace-x"
    assert len(calls) == 4  # the first page, the keyset step, offsets 0 and 10
    assert "GET /order/checkout-forms" in str(info.value)


async def test_a_stale_page_behind_the_cursor_does_not_send_the_walk_back() -> None:
    calls = 0

    async def stale_once(offset: int, limit: int, extra: Mapping[str, Any]) -> Page[Row]:
        nonlocal calls
        calls += 1
        if calls == 3:  # a page behind the bound sent (a stale cache, say)
            return Page(ROWS[:10], 30)
        gte = extra.get("t.gte")
        rows = [r for r in ROWS if gte is None or r[1] >= gte]
        return Page(rows[offset:offset + limit], len(rows))

    seen: list[str] = []
    with pytest.raises(WalkStalledError) as info:
        async for row in _walk(stale_once):
            seen.append(row[0])
    assert len(seen) == len(set(seen)) == 19  # i00..i18, none twice
    assert info.value.reason == "cursor_backwards" and calls == 3


async def test_a_time_sliced_walk_has_a_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from allegro_async import _walk_guard

    monkeypatch.setattr(_walk_guard, "MAX_PAGES", 4)
    calls = 0

    async def endless(offset: int, limit: int, extra: Mapping[str, Any]) -> Page[Row]:
        nonlocal calls  # new items further on, for ever
        calls += 1
        base = (calls - 1) * 9
        return Page([(f"n{base + n}", T0 + _dt.timedelta(seconds=base + n))
                     for n in range(10)], None)

    with pytest.raises(WalkStalledError, match="page_limit"):
        async for _ in _walk(endless):
            pass
    assert calls == 4


async def test_an_offset_paginator_stops_when_the_server_ignores_offset() -> None:
    offsets: list[int] = []

    async def stuck(offset: int, limit: int, extra: Mapping[str, Any]) -> Page[Row]:
        offsets.append(offset)
        return Page(ROWS[:10], 30)

    seen: list[str] = []
    with pytest.raises(WalkStalledError) as info:
        async for row in OffsetPaginator(stuck, page_size=10):
            seen.append(row[0])
    assert len(seen) == len(set(seen)) == 10 and offsets == [0, 10]
    assert (info.value.reason, info.value.cursor) == ("page_repeated", 10)
