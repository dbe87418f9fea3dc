"""Paginators shared by the services: plain offset/limit pages, and a time-keyed walk that goes
past Allegro's offset + limit caps (A9) without duplicates or gaps.

Both are async-iterable over items, offer :meth:`pages` for page-wise work and :meth:`count` for
the server's total. They know nothing about orders or offers: a service hands them a
``fetch(offset, limit, extra_params)`` coroutine that returns a :class:`Page`.

Both end when the server stops moving them on (a page answered again for another offset, a
page behind the bound the request sent) with :class:`~allegro_async.errors.WalkStalledError`,
before any item comes twice, and neither reads more than
:data:`~allegro_async._walk_guard.MAX_PAGES` pages.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from allegro_async import _args
from allegro_async._walk_guard import WalkGuard
from allegro_async.errors import IncompleteListingError, InvalidArgumentError

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page: its items, the server's total count for the query (if it says) and the
    response's ``trace-id`` (if known)."""

    items: list[T]
    total_count: int | None = None
    trace_id: str | None = None


FetchPage = Callable[[int, int, Mapping[str, Any]], Awaitable[Page[T]]]


class OffsetPaginator(Generic[T]):
    """Offset/limit pages until a short page, optionally stopping at a window cap.

    ``max_window`` is the largest ``offset + limit`` the endpoint accepts (e.g. 10 000 for
    checkout forms): no request goes past it (it would earn a 422), and when a full page ends
    there, with more items counted or possible, :class:`~allegro_async.errors.
    IncompleteListingError` says so instead of ending as if the list were complete.
    """

    def __init__(self, fetch: FetchPage[T], *, page_size: int,
                 max_window: int | None = None, what: str = "the listing") -> None:
        self._fetch = fetch
        self._page_size = _args.count(page_size, "page_size", minimum=1)
        self._max_window = _args.optional(
            max_window, lambda m: _args.count(m, "max_window", minimum=1))
        self._what = what

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Each page in turn."""
        guard = WalkGuard(self._what)
        offset = 0
        total: int | None = None
        while True:
            limit = self._page_size
            if self._max_window is not None:
                limit = min(limit, self._max_window - offset)
                if limit <= 0:
                    raise _capped(offset, total, self._max_window, "")
            guard.request(offset)
            page = await self._fetch(offset, limit, {})
            total = page.total_count
            if page.items:
                guard.page(page.items, trace_id=page.trace_id, total=total)
                yield page
                guard.delivered(len(page.items))
            offset += len(page.items)
            if len(page.items) < limit or (total is not None and offset >= total):
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def count(self) -> int | None:
        """The server's total for the query (one request for one item)."""
        return (await self._fetch(0, 1, {})).total_count


class TimeSlicedPaginator(Generic[T]):
    """Walks a listing sorted by a timestamp with keyset pages: each request asks for items at
    or past the last timestamp seen (``gte_param``/``lte_param``), skipping the few already
    yielded at exactly that timestamp (dropped by id, so items vanishing there cannot make it
    skip others). Offsets stay tiny, so the endpoint's offset cap never bites, however long
    the list.

    Guarantee: when the sort key of an item never changes (e.g. ``lineItems.boughtAt``), every
    item that matches the query for the whole walk is yielded exactly once, even while other
    items are added or removed. Items added during the walk are yielded when their key lies
    ahead of the cursor; items that stop matching (or disappear) before the cursor reaches them
    are not. When the key can change (``updatedAt``), an item changed during the walk moves
    ahead and could come again: set ``mutable_key=True`` and ids already yielded are skipped
    (memory then grows with the number of items). With a changing key, walk ascending for a
    complete walk: descending, an item not yet reached that changes moves behind the cursor
    and is never yielded.

    Args:
        fetch: ``fetch(offset, limit, extra_params)`` returning a :class:`Page`.
        key: the item's sort timestamp (timezone-aware).
        ident: the item's unique id.
        gte_param / lte_param: the query parameters bounding the key.
        lower / upper: the caller's own bounds, kept throughout.
        descending: the listing is sorted newest first.
        page_size: items per request; at least 2 are asked for (one overlaps the cursor).
        max_items: stop after this many items (no request past them); ``None``: all.
        what: the listing's name in errors (``"GET /order/checkout-forms"``).
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        key: Callable[[T], _dt.datetime | None],
        ident: Callable[[T], str],
        gte_param: str,
        lte_param: str,
        lower: _dt.datetime | None = None,
        upper: _dt.datetime | None = None,
        descending: bool = False,
        page_size: int = 100,
        max_window: int = 10_000,
        mutable_key: bool = False,
        max_items: int | None = None,
        what: str = "the listing",
    ) -> None:
        self._fetch = fetch
        self._key = key
        self._ident = ident
        self._gte_param = gte_param
        self._lte_param = lte_param
        self._lower = lower
        self._upper = upper
        self._descending = descending
        # Each request re-asks from the cursor, so its first item is one already seen: a page
        # of one would be all overlap and the walk would stop after the first item.
        self._page_size = max(2, _args.count(page_size, "page_size", minimum=1))
        self._max_window = _args.count(max_window, "max_window", minimum=1)
        self._mutable_key = mutable_key
        self._max_items = _args.optional(max_items, lambda m: _args.count(m, "max_items"))
        self._what = what

    def _bounds(self, cursor: _dt.datetime | None) -> dict[str, Any]:
        lower, upper = self._lower, self._upper
        if cursor is not None:
            if self._descending:
                upper = cursor
            else:
                lower = cursor
        params: dict[str, Any] = {}
        if lower is not None:
            params[self._gte_param] = lower
        if upper is not None:
            params[self._lte_param] = upper
        return params

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Each server page, with items already yielded removed (and, past ``max_items``,
        the rest of the page too)."""
        left = self._max_items
        if left == 0:
            return
        async with aclosing(self._walk()) as walk:  # no request once max_items are out
            async for page in walk:
                if left is not None and len(page.items) >= left:
                    yield Page(page.items[:left], page.total_count, page.trace_id)
                    return
                if left is not None:
                    left -= len(page.items)
                yield page

    async def _walk(self) -> AsyncGenerator[Page[T], None]:
        guard = WalkGuard(self._what)
        cursor: _dt.datetime | None = None
        at_cursor: set[str] = set()  # ids yielded whose key equals the cursor
        everything: set[str] = set()  # only with mutable_key
        yielded = 0
        first_total: int | None = None  # the whole query's count, from the first page
        while True:
            # Ask from the cursor's timestamp again and drop the ids already yielded there: an
            # offset past them would skip unseen items whenever seen ones at that timestamp
            # vanished meanwhile (combined away, S12). Only when a full page's worth share the
            # timestamp is an offset needed to make progress; it overlaps by one.
            offset = len(at_cursor) - 1 if len(at_cursor) >= self._page_size else 0
            if offset + self._page_size > self._max_window:
                raise InvalidArgumentError(
                    "page_size", f"more than {offset} items share the timestamp {cursor}",
                    "narrow the query with other filters",
                )
            guard.request(_place(cursor, offset))
            page = await self._fetch(offset, self._page_size, self._bounds(cursor))
            while offset > 0 and (not page.items
                                  or self._ident(page.items[0]) not in at_cursor):
                # The overlap is gone, so seen items vanished and unseen ones may have moved
                # before the offset: step back until the page starts with a seen one.
                offset = max(0, offset - self._page_size)
                guard.request(_place(cursor, offset))
                page = await self._fetch(offset, self._page_size, self._bounds(cursor))
            # Keyset pages may rightly hold items seen before (they moved ahead, or overlap
            # the cursor): progress is checked below, by the cursor, not by page contents.
            guard.page(page.items, trace_id=page.trace_id, total=page.total_count,
                       compare=False)
            if cursor is None:
                first_total = page.total_count
            if any(self._key(item) is None for item in page.items):
                # The spec lets the key be missing. An item without one gives the cursor
                # nowhere to go (re-asking from it returned the same page forever) and
                # matches no range bound: walk the caller's query by offset instead.
                async for rest in self._offset_walk(
                        self._walked(cursor, at_cursor, everything), guard):
                    yield rest
                return
            fresh: list[T] = []
            for item in page.items:
                ident, key = self._ident(item), self._key(item)
                if ident in at_cursor or ident in everything:
                    continue
                if cursor is not None and key is not None and (
                        key > cursor if self._descending else key < cursor):
                    # behind the bound this request sent: a server that ignored it would
                    # hand back the walked part again, and the walk would go round forever
                    continue
                fresh.append(item)
                if self._mutable_key:
                    everything.add(ident)
                if key != cursor:
                    cursor, at_cursor = key, set()
                at_cursor.add(ident)
            if fresh:
                yielded += len(fresh)
                yield Page(fresh, page.total_count, page.trace_id)
                guard.delivered(len(fresh))
            if len(page.items) < self._page_size:
                if first_total is not None and yielded < first_total:
                    # Fewer than counted: items without the key sort past the last bounded
                    # page (no bound matches them), or some vanished. Within the offset cap,
                    # an offset walk over what was not yielded finds the former.
                    total = (await self._fetch(0, 1, self._bounds(None))).total_count
                    if total is not None and yielded < total <= self._max_window:
                        async for rest in self._offset_walk(
                                self._walked(cursor, at_cursor, everything), guard):
                            yield rest
                return
            if not fresh:
                # A full page of items seen before (they moved ahead, mutable_key): jump the
                # cursor to its end; when that is no progress, ending here would be silent.
                last = self._key(page.items[-1])
                if last == cursor:
                    async for rest in self._offset_walk(
                            self._walked(cursor, at_cursor, everything), guard):
                        yield rest
                    return
                if cursor is not None and last is not None and (
                        last > cursor if self._descending else last < cursor):
                    # the whole page lies behind the bound sent: jumping back to its end
                    # would walk the same part again, round and round
                    raise guard.stalled("cursor_backwards", f"a full page ends at {last}, "
                                        f"behind the bound {cursor} the request sent")
                cursor = last
                at_cursor = {self._ident(i) for i in page.items if self._key(i) == last}

    def _walked(self, cursor: _dt.datetime | None, at_cursor: set[str], everything: set[str]
                ) -> Callable[[T], bool]:
        """Whether the keyset walk so far has yielded an item (for the offset walk after it)."""
        def walked(item: T) -> bool:
            ident = self._ident(item)
            if self._mutable_key:
                return ident in everything
            key = self._key(item)
            if key is None or cursor is None:
                return False
            # a key that never changes: everything behind the cursor was walked already
            return ident in at_cursor or (key > cursor if self._descending else key < cursor)
        return walked

    async def _offset_walk(self, walked: Callable[[T], bool], guard: WalkGuard
                           ) -> AsyncIterator[Page[T]]:
        """The caller's query page by page from offset 0, skipping what was yielded, up to the
        offset cap; past a full page at the cap, :class:`IncompleteListingError`."""
        seen: set[str] = set()  # ids of this walk: offset pages overlap when items shift
        guard.restart()  # its first page may rightly equal the keyset walk's first
        yielded = guard.yielded
        offset = 0
        total: int | None = None
        while True:
            limit = min(self._page_size, self._max_window - offset)
            if limit <= 0:
                raise _capped(yielded, total, self._max_window,
                              self._gte_param.removesuffix(".gte"))
            guard.request(offset)
            page = await self._fetch(offset, limit, self._bounds(None))
            total = page.total_count
            if page.items:  # the same page for another offset: the server ignored it
                guard.page(page.items, trace_id=page.trace_id, total=total)
            fresh: list[T] = []
            for item in page.items:
                ident = self._ident(item)
                if ident not in seen and not walked(item):
                    seen.add(ident)
                    fresh.append(item)
            if fresh:
                yielded += len(fresh)
                yield Page(fresh, total, page.trace_id)
                guard.delivered(len(fresh))
            offset += len(page.items)
            if len(page.items) < limit or (total is not None and offset >= total):
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def count(self) -> int | None:
        """The server's total for the query, past any cap (one request for one item)."""
        return (await self._fetch(0, 1, self._bounds(None))).total_count


def _place(cursor: _dt.datetime | None, offset: int) -> str:
    """Where a keyset request starts, for errors."""
    at = cursor.isoformat() if cursor is not None else "the start"
    return f"{at} + offset {offset}" if offset else at


def _capped(yielded: int, total: int | None, window: int, key: str) -> IncompleteListingError:
    counted = f" of the {total} counted" if total is not None else ""
    why = (f"items without {key} cannot be walked past it, " if key else "")
    return IncompleteListingError(
        f"the listing stops at offset + limit = {window}: {why}so {yielded} items{counted} "
        "were yielded and the walk cannot reach the rest. Narrow the query (a status, a "
        "date range) and walk each part.", yielded=yielded, total=total)
