"""What keeps every walk over pages finite when the server misbehaves (shared by the generated
paginator, :mod:`allegro_async.pagination` and the services' own walks).

A walk asks for the next page by a cursor (``nextPage.id``, the last event id) or an offset.
A server that hands back a cursor it gave before, or ignores the cursor or offset and answers
the same page again, would make the walk repeat pages for ever, yielding duplicates.
:class:`WalkGuard` remembers the cursors sent and a digest of each page (bounded memory),
raises :class:`~allegro_async.errors.WalkStalledError` before a repeated page is yielded, and
caps the number of pages of any walk.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any

from pydantic import BaseModel

from allegro_async.errors import WalkStalledError

#: The most pages one walk reads (100 million items at 1000 a page): a backstop for a server
#: that invents new cursors and new items without end.
MAX_PAGES = 100_000
#: How many cursors and page digests one walk remembers (oldest forgotten first); a cycle
#: longer than this is still ended by :data:`MAX_PAGES`.
MEMORY = 10_000


def _item_key(item: Any) -> str:
    """An item's id when it has one, else a digest of its content."""
    ident = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
    if isinstance(ident, (str, int)) and not isinstance(ident, bool):
        return f"id:{ident}"
    if isinstance(item, BaseModel):
        return "json:" + item.model_dump_json(by_alias=True)
    try:
        return "json:" + json.dumps(item, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return "repr:" + repr(item)


def page_digest(items: Iterable[Any]) -> bytes:
    """A short digest of a page: equal for pages holding the same items in the same order."""
    digest = hashlib.blake2b(digest_size=16)
    for item in items:
        digest.update(_item_key(item).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.digest()


class WalkGuard:
    """Counts one walk's pages and items and stops it, with
    :class:`~allegro_async.errors.WalkStalledError`, when the server stops moving it on.

    ``what`` names the listing in the error (``"GET /sale/offers"``); ``max_pages`` defaults
    to :data:`MAX_PAGES` (``None``: no limit, for a stream that follows a journal for ever).
    Call :meth:`request` before each request (with the cursor or offset it sends), :meth:`page`
    with each non-empty page before yielding it, and :meth:`delivered` with the number of
    items yielded.
    """

    def __init__(self, what: str, *, max_pages: int | None = -1,
                 memory: int | None = None) -> None:
        self.what = what
        # read at each walk's start (not bound at import), so a deployment may change them
        self.max_pages = MAX_PAGES if max_pages == -1 else max_pages
        self.memory = MEMORY if memory is None else memory
        self.pages = 0
        self.yielded = 0
        self.cursor: object = None
        self.total: int | None = None
        self.trace_id: str | None = None
        self._cursors: OrderedDict[Hashable, None] = OrderedDict()
        self._digests: OrderedDict[bytes, int] = OrderedDict()  # digest -> page number

    def stalled(self, reason: str, detail: str) -> WalkStalledError:
        """The error for this walk as it stands."""
        return WalkStalledError(self.what, reason=reason, detail=detail, yielded=self.yielded,
                                pages=self.pages, cursor=self.cursor, total=self.total,
                                trace_id=self.trace_id)

    def request(self, cursor: object = None) -> None:
        """Before a request: refuse one past the page limit; note the cursor it sends."""
        if self.max_pages is not None and self.pages >= self.max_pages:
            raise self.stalled("page_limit", f"{self.pages} pages were read, the most one "
                               "walk reads")
        if cursor is not None:
            self.cursor = cursor

    def follow(self, cursor: Hashable, *, label: str = "cursor") -> None:
        """Before following ``cursor`` (one the server gave): refuse one followed before."""
        if cursor in self._cursors:
            if cursor == self.cursor:
                raise self.stalled("cursor_repeated", f"the server answered {label} "
                                   f"{cursor!r} with the same {label} again")
            raise self.stalled("cursor_cycle", f"{label} {cursor!r} points back to a page "
                               "already read")
        self._remember(self._cursors, cursor, None)

    def page(self, items: Iterable[Any], *, trace_id: str | None = None,
             total: int | None = None, compare: bool = True) -> None:
        """A page was read: count it, and refuse it when it repeats an earlier page (unless
        ``compare`` is false: a walk whose pages may rightly repeat checks progress itself)."""
        self.pages += 1
        if trace_id is not None:
            self.trace_id = trace_id
        if total is not None:
            self.total = total
        if not compare:
            return
        digest = page_digest(items)
        earlier = self._digests.get(digest)
        if earlier is not None:
            raise self.stalled("page_repeated", f"page {self.pages} holds the same items as "
                               f"page {earlier} (the server ignored the cursor or offset)")
        self._remember(self._digests, digest, self.pages)

    def restart(self) -> None:
        """A new phase of the walk (another way of paging): forget cursors and pages, keep
        the counts."""
        self._cursors.clear()
        self._digests.clear()
        self.cursor = None

    def delivered(self, count: int) -> None:
        """``count`` more items were yielded."""
        self.yielded += count

    def _remember(self, seen: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        seen[key] = value
        seen.move_to_end(key)
        if len(seen) > self.memory:
            seen.popitem(last=False)
