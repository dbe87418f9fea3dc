"""The one paginator of the generated listings: offsets with Allegro's window (A9), page.id
cursors and event journals. Fed by fake operations, so every request is counted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from allegro_async import InvalidArgumentError, WalkStalledError, _walk_guard
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


# -- a server that does not move the walk on ------------------------------------------------


async def _drain(paginator: Paginator[Page, Item], seen: list[str]) -> WalkStalledError:
    with pytest.raises(WalkStalledError) as info:
        async for item in paginator:
            seen.append(item.id)
    return info.value


async def test_a_next_page_id_given_again_ends_the_walk_without_duplicates() -> None:
    calls: list[dict[str, Any]] = []

    async def stuck(**kwargs: Any) -> Page:
        calls.append(kwargs)
        number = 0 if kwargs.get("page_id") is None else int(kwargs["page_id"])
        # page 1 points at itself: a walk following it would read page 1 for ever
        return Page(checkoutForms=[Item(id=f"{number}-{i}") for i in range(3)],
                    nextPage=NextPage(id=str(min(number + 1, 1))))

    seen: list[str] = []
    error = await _drain(Paginator(stuck, {}, kind="page_id", items="checkoutForms",
                                   limit=3), seen)
    assert seen == ["0-0", "0-1", "0-2", "1-0", "1-1", "1-2"]
    assert len(calls) == 2
    assert (error.reason, error.pages, error.yielded, error.cursor) == (
        "cursor_repeated", 2, 6, "1")
    assert "6 items" in str(error) and "trace-id" in str(error) and "narrow" in str(error)


async def test_a_cycle_of_next_page_ids_ends_the_walk() -> None:
    calls: list[Any] = []

    async def cycling(**kwargs: Any) -> Page:
        calls.append(kwargs.get("page_id"))
        number = 0 if kwargs.get("page_id") is None else int(kwargs["page_id"])
        # 0 -> 1 -> 2 -> 1 -> 2 ...: no cursor comes twice in a row, yet the walk goes round
        return Page(checkoutForms=[Item(id=f"{number}")],
                    nextPage=NextPage(id="1" if number == 2 else str(number + 1)))

    seen: list[str] = []
    error = await _drain(Paginator(cycling, {}, kind="page_id", items="checkoutForms",
                                   limit=1), seen)
    assert seen == ["0", "1", "2"] and calls == [None, "1", "2"]
    assert (error.reason, error.yielded, error.cursor) == ("cursor_cycle", 3, "2")


async def test_a_page_answered_again_under_a_new_cursor_is_not_yielded() -> None:
    calls = 0

    async def ignores_cursor(**kwargs: Any) -> Page:
        nonlocal calls
        calls += 1
        return Page(checkoutForms=[Item(id="a"), Item(id="b")], nextPage=NextPage(
            id=f"fresh-{calls}"))

    seen: list[str] = []
    error = await _drain(Paginator(ignores_cursor, {}, kind="page_id", items="checkoutForms",
                                   limit=2), seen)
    assert seen == ["a", "b"] and calls == 2
    assert (error.reason, error.pages, error.yielded) == ("page_repeated", 2, 2)


async def test_an_offset_the_server_ignores_yields_each_item_once_then_stops() -> None:
    calls: list[int] = []

    async def ignores_offset(**kwargs: Any) -> Page:
        calls.append(kwargs["offset"])
        return Page(checkoutForms=[Item(id=str(i)) for i in range(100)], totalCount=300)

    seen: list[str] = []
    error = await _drain(Paginator(ignores_offset, {}, kind="offset", items="checkoutForms",
                                   limit=100), seen)
    assert len(seen) == len(set(seen)) == 100
    assert calls == [0, 100]
    assert (error.reason, error.cursor, error.total) == ("page_repeated", 100, 300)


async def test_items_without_ids_are_compared_by_content() -> None:
    class Row(BaseModel):
        name: str

    class Rows(BaseModel):
        rows: list[Row]
        total_count: int | None = Field(default=None, alias="totalCount")

    calls = 0

    async def ignores_offset(**kwargs: Any) -> Rows:
        nonlocal calls
        calls += 1
        return Rows(rows=[Row(name="x"), Row(name="y")], totalCount=10)

    with pytest.raises(WalkStalledError, match="page_repeated"):
        async for _ in Paginator(ignores_offset, {}, kind="offset", items="rows", limit=2):
            pass
    assert calls == 2


async def test_an_event_journal_that_ignores_from_ends_the_walk() -> None:
    calls: list[Any] = []

    async def ignores_from(**kwargs: Any) -> Page:
        calls.append(kwargs.get("from_"))
        return Page(checkoutForms=[Item(id="e1"), Item(id="e2")])

    seen: list[str] = []
    error = await _drain(Paginator(ignores_from, {}, kind="event", items="checkoutForms",
                                   limit=2), seen)
    assert seen == ["e1", "e2"] and calls == [None, "e2"]
    assert error.reason in ("page_repeated", "cursor_repeated") and error.cursor == "e2"


async def test_every_walk_has_a_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_walk_guard, "MAX_PAGES", 5)
    calls = 0

    async def endless(**kwargs: Any) -> Page:  # new items, new cursors, never an end
        nonlocal calls
        calls += 1
        return Page(checkoutForms=[Item(id=str(calls))], nextPage=NextPage(id=str(calls)))

    seen: list[str] = []
    error = await _drain(Paginator(endless, {}, kind="page_id", items="checkoutForms",
                                   limit=1), seen)
    assert calls == 5 and len(seen) == 5 and error.reason == "page_limit"


async def test_options_go_to_every_page_call_as_given() -> None:
    listing = Listing(total=25)
    options = {"timeout": None, "extra_headers": {"X-A": "1"}}
    paginator: Paginator[Page, Item] = Paginator(
        listing, {"status": None}, kind="offset", items="checkoutForms", limit=10,
        options=options)
    assert len([i async for i in paginator]) == 25
    assert len(listing.calls) == 3
    assert all(c["timeout"] is None and c["extra_headers"] == {"X-A": "1"}
               for c in listing.calls)
    assert "status" not in listing.calls[0]


def test_options_naming_a_walk_argument_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"options\[offset\]"):
        Paginator(Listing(1), {}, kind="offset", items="checkoutForms", limit=1,
                  options={"offset": 5})


def test_options_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="options"):
        Paginator(Listing(1), {}, kind="offset", items="checkoutForms", limit=1,
                  options=[("timeout", 1)])  # type: ignore[arg-type]


def test_stalled_walk_error_is_exported_and_survives_pickling() -> None:
    import pickle

    import allegro_async
    from allegro_async import errors

    assert allegro_async.WalkStalledError is errors.WalkStalledError is WalkStalledError
    assert issubclass(WalkStalledError, allegro_async.IncompleteListingError)
    error = WalkStalledError("GET /x", reason="page_repeated", detail="d", yielded=3,
                             pages=2, cursor="c", total=9, trace_id="t-1")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.yielded, copy.pages, copy.cursor, copy.trace_id) == (
        "page_repeated", 3, 2, "c", "t-1")
    assert str(copy) == str(error) and "trace-id t-1" in str(error)


async def test_a_generated_walk_reports_the_trace_id_of_the_repeated_page() -> None:
    import httpx

    from allegro_async import AllegroClient

    sent: list[httpx.Request] = []

    def threads(request: httpx.Request) -> httpx.Response:
        sent.append(request)  # offset ignored: the same threads every time
        return httpx.Response(200, headers={"trace-id": f"trace-{len(sent)}"}, json={
            "threads": [{"id": "t1", "read": True}, {"id": "t2", "read": False}],
            "offset": 0, "limit": 2})

    async with AllegroClient(access_token="t", transport=httpx.MockTransport(threads)) as client:
        walk = client.api.message_center.iter_list_threads(limit=2)
        ids = []
        with pytest.raises(WalkStalledError) as info:
            async for thread in walk:
                ids.append(thread.id)
    assert ids == ["t1", "t2"]
    assert len(sent) == 2 and sent[1].url.params["offset"] == "2"
    assert info.value.trace_id == "trace-2" and "trace-id trace-2" in str(info.value)
    assert "list_threads" in str(info.value)


async def test_an_event_page_ending_at_an_event_already_passed_is_not_yielded() -> None:
    calls: list[Any] = []

    async def stale(**kwargs: Any) -> Page:
        calls.append(kwargs.get("from_"))
        if kwargs.get("from_") == "e4":  # ends at e2, where the walk already went past
            return Page(checkoutForms=[Item(id="e0"), Item(id="e2")])
        if kwargs.get("from_") == "e2":
            return Page(checkoutForms=[Item(id="e3"), Item(id="e4")])
        return Page(checkoutForms=[Item(id="e1"), Item(id="e2")])

    seen: list[str] = []
    error = await _drain(Paginator(stale, {}, kind="event", items="checkoutForms", limit=2),
                         seen)
    assert seen == ["e1", "e2", "e3", "e4"] and calls == [None, "e2", "e4"]
    assert (error.reason, error.cursor) == ("cursor_cycle", "e4")
