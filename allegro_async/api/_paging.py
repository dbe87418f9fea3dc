"""One paginator for every listing operation of the spec (hand-written): offset/limit pages,
``page.id`` cursors (``nextPage.id``) and event journals (``from`` the last event id).

Iterate item by item with ``async for``, page by page with :meth:`Paginator.pages`, or await
:meth:`Paginator.first_page`. Offset listings stop at Allegro's window (``offset + limit`` at
most 10 000, A9) with :class:`OffsetWindowExceeded` instead of asking for a page Allegro
refuses, so a walk never loops and never ends silently short. A server that repeats a cursor or
a page ends the walk with :class:`~allegro_async.errors.WalkStalledError` (no duplicates).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from allegro_async._walk_guard import WalkGuard
from allegro_async.api._runtime import Area, TypedAPIResponse
from allegro_async.errors import AllegroError, InvalidArgumentError

PageT = TypeVar("PageT", bound=BaseModel)
ItemT = TypeVar("ItemT")

PagingKind = Literal["offset", "page_id", "event"]
#: The largest ``offset + limit`` Allegro serves on offset listings (A9).
OFFSET_WINDOW = 10_000


class OffsetWindowExceeded(AllegroError):
    """The listing has more items than one offset walk can reach (A9). ``yielded`` items were
    delivered; narrow the query (a status, a date range) to reach the rest."""

    def __init__(self, yielded: int, total: int | None) -> None:
        self.yielded = yielded
        self.total = total
        more = f" of {total}" if total is not None else ""
        super().__init__(
            f"offset + limit would pass Allegro's window of {OFFSET_WINDOW} after {yielded}"
            f"{more} items (A9); narrow the query (filters, date ranges) to reach the rest"
        )


def _field_for(model: type[BaseModel], wire: str) -> str:
    for name, info in model.model_fields.items():
        if info.alias == wire or name == wire:
            return name
    raise AttributeError(f"{model.__name__} has no field {wire!r}")


class Paginator(Generic[PageT, ItemT]):
    """Pages of one listing operation, made by calling it with the next offset or cursor.

    ``options`` (the per-call options: ``timeout``, ``extra_headers``, ...) go to every page
    call. A server that stops moving the walk on (a cursor given twice, a page answered again)
    ends it with :class:`~allegro_async.errors.WalkStalledError` before any item comes twice;
    no walk reads more than :data:`~allegro_async._walk_guard.MAX_PAGES` pages.
    """

    def __init__(
        self,
        call: Callable[..., Awaitable[PageT]],
        kwargs: Mapping[str, Any],
        *,
        kind: PagingKind,
        items: str,
        limit: int | None,
        window: int | None = OFFSET_WINDOW,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 1):
            raise InvalidArgumentError("limit", f"{limit!r} is not a page size",
                                       "pass a positive int, or leave it out")
        if options is not None and not isinstance(options, Mapping):
            raise InvalidArgumentError("options", f"{type(options).__name__} is not a mapping",
                                       "pass the per-call options as a dict, or leave it out")
        clash = sorted(set(options or {}) & ({*kwargs, "limit", "offset", "page_id", "from_"}))
        if clash:
            raise InvalidArgumentError(f"options[{clash[0]}]", "is an argument of the listing "
                                       "or set by the walk", "pass per-call options only "
                                       "(timeout, extra_headers, extra_query, max_retries)")
        self._call = call
        # the raw twin of a generated operation gives the trace-id a stalled walk reports
        self._raw_call = _raw_twin(call)
        self._kwargs = {k: v for k, v in kwargs.items() if v is not None}
        self._options = dict(options or {})  # sent as given: timeout=None means "no bound"
        self._kind = kind
        self._items = items
        self._limit = limit
        self._window = window

    def _page_items(self, page: PageT) -> list[ItemT]:
        values = getattr(page, _field_for(type(page), self._items))
        return list(values or [])

    async def _fetch(self, kwargs: dict[str, Any]) -> tuple[PageT, str | None]:
        if self._raw_call is not None:
            raw = await self._raw_call(**kwargs, **self._options)
            return raw.parse(), raw.trace_id
        return await self._call(**kwargs, **self._options), None

    async def first_page(self) -> PageT:
        """The first page only."""
        async for page in self.pages():
            return page
        raise AssertionError("pages() yields at least one page")  # pragma: no cover

    async def pages(self) -> AsyncIterator[PageT]:
        """Each page in turn (the first one even when empty)."""
        guard = WalkGuard(_describe(self._call))
        cursor: Any = None
        yielded = 0
        last_size = 0
        first = True
        while True:
            kwargs = dict(self._kwargs)
            if self._limit is not None:
                kwargs["limit"] = self._limit
            if self._kind == "offset":
                offset = yielded
                if not first and self._window is not None:
                    size = self._limit or last_size  # the server's page size when not given
                    if offset + size > self._window:
                        raise OffsetWindowExceeded(yielded, self._total)
                kwargs["offset"] = offset
                guard.request(offset)
            else:
                if cursor is not None:
                    kwargs["page_id" if self._kind == "page_id" else "from_"] = cursor
                guard.request(cursor)
            page, trace_id = await self._fetch(kwargs)
            items = self._page_items(page)
            if self._kind == "offset":
                self._total = _total(page)
            if items:  # an empty page ends the walk; it repeats nothing
                guard.page(items, trace_id=trace_id, total=self._total)
            if self._kind == "event" and items:
                cursor = getattr(items[-1], "id", None)
                if cursor is not None:
                    # checked before yielding: a page ending at an event the walk went past
                    # holds events already yielded
                    guard.follow(cursor, label="from")
            yield page
            guard.delivered(len(items))
            first = False
            yielded += len(items)
            last_size = len(items)
            if not items:
                return
            if self._kind == "offset":
                if self._limit is not None and len(items) < self._limit:
                    return
                if self._total is not None and yielded >= self._total:
                    return
            elif self._kind == "page_id":
                cursor = _next_page_id(page)
                if cursor is None:
                    return
                # the page's items were new; only where it points is wrong
                guard.follow(cursor, label="nextPage.id")
            elif cursor is None or (self._limit is not None and len(items) < self._limit):
                return

    _total: int | None = None

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.pages():
            for item in self._page_items(page):
                yield item


def _raw_twin(call: Callable[..., Any]) -> Callable[..., Awaitable[TypedAPIResponse[Any]]] | None:
    """The same operation returning the raw response, when ``call`` is a generated one."""
    owner = getattr(call, "__self__", None)
    name = getattr(call, "__name__", None)
    if not isinstance(owner, Area) or owner._raw or not isinstance(name, str):
        return None
    twin = getattr(getattr(owner, "with_raw_response", None), name, None)
    return twin if callable(twin) else None


def _describe(call: Callable[..., Any]) -> str:
    name = getattr(call, "__name__", None)
    return f"{name}()" if isinstance(name, str) else "the listing"


def _total(page: BaseModel) -> int | None:
    value = getattr(page, "total_count", None)  # the spec types some counts as numbers
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _next_page_id(page: BaseModel) -> str | None:
    nxt = getattr(page, "next_page", None)
    value = getattr(nxt, "id", None) if nxt is not None else None
    return value if isinstance(value, str) and value else None
