"""TimeSlicedPaginator against an in-memory listing: ties at the cursor, items vanishing."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import pytest

from allegro_async.errors import IncompleteListingError
from allegro_async.pagination import OffsetPaginator, Page, TimeSlicedPaginator

T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)


class Listing:
    """Items ``(id, time)`` sorted by time then id, answering offset/limit with a ``gte``."""

    def __init__(self, items: list[tuple[str, _dt.datetime]]) -> None:
        self.items = items
        self.calls: list[tuple[int, int]] = []
        self.after_page: Any = None

    async def fetch(self, offset: int, limit: int, extra: Mapping[str, Any]
                    ) -> Page[tuple[str, _dt.datetime]]:
        self.calls.append((offset, limit))
        gte = extra.get("t.gte")
        rows = sorted((i for i in self.items if gte is None or i[1] >= gte),
                      key=lambda i: (i[1], i[0]))
        page = Page(rows[offset:offset + limit], len(rows))
        if self.after_page is not None:
            self.after_page(len(self.calls))
        return page

    def paginator(self, page_size: int) -> TimeSlicedPaginator[tuple[str, _dt.datetime]]:
        return TimeSlicedPaginator(self.fetch, key=lambda i: i[1], ident=lambda i: i[0],
                                   gte_param="t.gte", lte_param="t.lte", page_size=page_size)


async def test_tied_items_vanishing_between_pages_do_not_hide_unseen_ones() -> None:
    later = T0 + _dt.timedelta(seconds=1)
    listing = Listing([(x, T0) for x in "ABCDE"] + [("F", later)])

    def combine_away(calls: int) -> None:
        if calls == 1:  # after the first page (A, B, C): A and B are combined away (S12)
            listing.items = [i for i in listing.items if i[0] not in "AB"]

    listing.after_page = combine_away
    seen = [i[0] async for i in listing.paginator(page_size=3)]
    assert seen == ["A", "B", "C", "D", "E", "F"]


async def test_more_ties_than_a_page_with_vanishing_ones_still_yield_every_item() -> None:
    later = T0 + _dt.timedelta(seconds=1)
    ties = [f"t{n:02d}" for n in range(12)]
    listing = Listing([(x, T0) for x in ties] + [("z", later)])

    def vanish(calls: int) -> None:
        if calls == 2:  # the five yielded so far disappear (and t05, not yet reached)
            listing.items = [i for i in listing.items if i[0] not in ties[:6]]

    listing.after_page = vanish
    seen = [i[0] async for i in listing.paginator(page_size=3)]
    assert seen == [*ties[:5], *ties[6:], "z"]


async def test_ties_without_changes_cost_no_repeated_requests() -> None:
    listing = Listing([(f"i{n:03d}", T0 + _dt.timedelta(seconds=n // 2)) for n in range(100)])
    seen = [i[0] async for i in listing.paginator(page_size=10)]
    assert seen == [f"i{n:03d}" for n in range(100)]
    assert all(offset == 0 for offset, _ in listing.calls)
    assert len(listing.calls) <= 13


async def test_page_size_one_walks_every_item() -> None:
    # A page of one is all overlap: re-asking from the cursor returned the item already seen
    # and the walk stopped after the first item.
    listing = Listing([(f"i{n}", T0 + _dt.timedelta(seconds=n // 2)) for n in range(5)])
    seen = [i[0] async for i in listing.paginator(page_size=1)]
    assert seen == [f"i{n}" for n in range(5)]


async def test_offset_walk_reaching_the_window_cap_with_more_counted_raises() -> None:
    # Reaching the cap used to end the walk as if the list were complete.

    items = [str(n) for n in range(30)]

    async def fetch(offset: int, limit: int, extra: Mapping[str, Any]) -> Page[str]:
        assert offset + limit <= 20  # never a request past the cap (a 422 on Allegro)
        return Page(items[offset:offset + limit], len(items))

    seen: list[str] = []
    with pytest.raises(IncompleteListingError) as caught:
        async for item in OffsetPaginator(fetch, page_size=8, max_window=20):
            seen.append(item)
    assert seen == items[:20] and caught.value.yielded == 20 and caught.value.total == 30


async def test_offset_walk_ending_exactly_at_the_cap_is_complete() -> None:
    items = [str(n) for n in range(20)]

    async def fetch(offset: int, limit: int, extra: Mapping[str, Any]) -> Page[str]:
        return Page(items[offset:offset + limit], len(items))

    assert [i async for i in OffsetPaginator(fetch, page_size=8, max_window=20)] == items


@pytest.mark.parametrize("mutable_key", [False, True])
async def test_a_server_ignoring_the_time_bound_neither_loops_nor_stops_early(
        mutable_key: bool) -> None:
    # Re-served from the start, the walk yielded the first page again and again (immutable
    # key), or stopped silently after it (mutable key).
    rows = [(f"i{n}", T0 + _dt.timedelta(seconds=n)) for n in range(10)]
    calls: list[tuple[int, int]] = []

    async def fetch(offset: int, limit: int, extra: Mapping[str, Any]
                    ) -> Page[tuple[str, _dt.datetime]]:
        calls.append((offset, limit))
        assert len(calls) < 50, "the walk does not end"
        return Page(rows[offset:offset + limit], len(rows))  # every bound ignored

    walk = TimeSlicedPaginator(fetch, key=lambda i: i[1], ident=lambda i: i[0],
                               gte_param="t.gte", lte_param="t.lte", page_size=3,
                               mutable_key=mutable_key)
    seen = [i[0] async for i in walk]
    assert seen == [r[0] for r in rows]
