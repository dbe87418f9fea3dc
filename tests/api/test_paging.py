"""The one paginator of the generated listings: offsets with Allegro's window (A9), page.id
cursors and event journals. Fed by fake operations, so every request is counted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from allegro_async import InvalidArgumentError
from allegro_async.api import OffsetWindowExceeded, Paginator


class Item(BaseModel):
    id: str


class NextPage(BaseModel):
    id: str | None = None


class Page(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    items: list[Item] = Field(alias="checkoutForms")
    total_count: int | None = Field(default=None, alias="totalCount")
    next_page: NextPage | None = Field(default=None, alias="nextPage")


class Listing:
    """An offset listing of ``total`` items that records every call."""

    def __init__(self, total: int, default_limit: int = 20) -> None:
        self.total = total
        self.default_limit = default_limit
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> Page:
        self.calls.append(kwargs)
        offset, limit = kwargs.get("offset", 0), kwargs.get("limit", self.default_limit)
        assert offset + limit <= 10_000, "Allegro answers 422 past the window"
        ids = range(offset, min(offset + limit, self.total))
        return Page(checkoutForms=[Item(id=str(i)) for i in ids], totalCount=self.total)


async def test_offset_walk_yields_each_item_once_and_stops_at_the_total() -> None:
    listing = Listing(total=95)
    paginator: Paginator[Page, Item] = Paginator(
        listing, {"status": "READY", "ignored": None}, kind="offset", items="checkoutForms",
        limit=10,
    )
    ids = [item.id async for item in paginator]
    assert ids == [str(i) for i in range(95)]
    assert len(listing.calls) == 10
    assert listing.calls[3] == {"status": "READY", "limit": 10, "offset": 30}


async def test_offset_walk_stops_at_allegros_window_with_what_it_delivered() -> None:
    listing = Listing(total=25_000)
    paginator: Paginator[Page, Item] = Paginator(
        listing, {}, kind="offset", items="checkoutForms", limit=100
    )
    seen = 0
    with pytest.raises(OffsetWindowExceeded) as info:
        async for _ in paginator:
            seen += 1
    assert seen == 10_000 and info.value.yielded == 10_000 and info.value.total == 25_000
    assert len(listing.calls) == 100
    assert "A9" in str(info.value)


async def test_window_holds_with_the_servers_default_page_size() -> None:
    listing = Listing(total=50_000, default_limit=30)  # 10 000 is not a multiple of 30
    paginator: Paginator[Page, Item] = Paginator(
        listing, {}, kind="offset", items="checkoutForms", limit=None
    )
    with pytest.raises(OffsetWindowExceeded) as info:
        async for _ in paginator:
            pass
    assert info.value.yielded == 9_990


async def test_empty_listing_gives_one_empty_page() -> None:
    listing = Listing(total=0)
    paginator: Paginator[Page, Item] = Paginator(
        listing, {}, kind="offset", items="checkoutForms", limit=10
    )
    pages = [p async for p in paginator.pages()]
    assert len(pages) == 1 and pages[0].items == []
    assert (await paginator.first_page()).total_count == 0


async def test_page_id_cursor_follows_next_page_until_it_ends() -> None:
    calls: list[dict[str, Any]] = []

    async def bundles(**kwargs: Any) -> Page:
        calls.append(kwargs)
        cursor = kwargs.get("page_id")
        number = 0 if cursor is None else int(cursor)
        nxt = NextPage(id=str(number + 1)) if number < 2 else None
        return Page(checkoutForms=[Item(id=f"{number}-{i}") for i in range(3)], nextPage=nxt)

    paginator: Paginator[Page, Item] = Paginator(
        bundles, {}, kind="page_id", items="checkoutForms", limit=3
    )
    ids = [item.id async for item in paginator]
    assert len(ids) == 9 and ids[-1] == "2-2"
    assert [c.get("page_id") for c in calls] == [None, "1", "2"]


async def test_event_journal_continues_from_the_last_event_until_a_short_page() -> None:
    journal = [Item(id=f"e{i}") for i in range(7)]
    calls: list[dict[str, Any]] = []

    async def events(**kwargs: Any) -> Page:
        calls.append(kwargs)
        start = 0 if "from_" not in kwargs else int(kwargs["from_"][1:]) + 1
        return Page(checkoutForms=journal[start:start + kwargs["limit"]])

    paginator: Paginator[Page, Item] = Paginator(
        events, {}, kind="event", items="checkoutForms", limit=3
    )
    assert [e.id async for e in paginator] == [e.id for e in journal]
    assert [c.get("from_") for c in calls] == [None, "e2", "e5"]


def test_a_bad_page_size_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="limit"):
        Paginator(Listing(1), {}, kind="offset", items="checkoutForms", limit=0)
