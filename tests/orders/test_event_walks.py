"""The order event stream ends when the server stops moving it on (``from`` ignored, cursors
going round), instead of re-reading the same pages without end."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient, WalkStalledError, _walk_guard

from .conftest import FakeSleep


def _event(n: int) -> dict[str, Any]:
    return {"id": f"e{n}", "type": "BOUGHT", "occurredAt": f"2026-01-01T00:00:{n:02d}.000Z",
            "order": {"checkoutForm": {"id": f"f{n}"}}}


class Journal:
    """Answers GET /order/events from a script of pages keyed by ``from``; gives up (with a
    500) after ``limit`` requests, so a stream that loops fails instead of hanging."""

    def __init__(self, pages: dict[str | None, list[int]], limit: int = 50) -> None:
        self.pages = pages
        self.limit = limit
        self.calls: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("from")
        self.calls.append(cursor)
        if len(self.calls) > self.limit:
            return httpx.Response(418, json={"errors": [{"message": "the stream loops"}]})
        events = [_event(n) for n in self.pages.get(cursor, [])]
        return httpx.Response(200, headers={"trace-id": f"t{len(self.calls)}"},
                              json={"events": events})


async def _read(journal: Journal, **options: Any) -> tuple[list[str], WalkStalledError]:
    ids: list[str] = []
    async with AllegroClient(access_token="t", throttle=False, retry=False,
                             transport=httpx.MockTransport(journal)) as client:
        stream = client.orders.events(start="beginning", sleep=FakeSleep(), **options)
        with pytest.raises(WalkStalledError) as caught:
            async for delivery in stream:
                ids.append(delivery.id)
    return ids, caught.value


@pytest.mark.parametrize("follow", [False, True])
async def test_cursors_going_round_end_the_stream(follow: bool) -> None:
    # from=e4 hands back the first page again: e2 -> e4 -> e2 -> ... for ever
    journal = Journal({None: [1, 2], "e2": [3, 4], "e4": [1, 2]})
    ids, error = await _read(journal, follow=follow)
    assert ids == ["e1", "e2", "e3", "e4"]
    assert journal.calls == [None, "e2", "e4"]
    assert (error.reason, error.cursor, error.pages, error.yielded) == (
        "cursor_cycle", "e4", 3, 4)
    assert error.trace_id == "t3" and "GET /order/events" in str(error)


async def test_a_page_ending_at_the_start_event_ends_the_stream() -> None:
    journal = Journal({"e7": [6, 7]})  # from=e7 answered with e7 last: no way on
    ids: list[str] = []
    async with AllegroClient(access_token="t", throttle=False, retry=False,
                             transport=httpx.MockTransport(journal)) as client:
        with pytest.raises(WalkStalledError) as caught:
            async for delivery in client.orders.events(start="e7", follow=False,
                                                       sleep=FakeSleep()):
                ids.append(delivery.id)
    assert ids == [] and journal.calls == ["e7"]
    assert caught.value.reason == "cursor_repeated"


async def test_reading_a_journal_to_its_end_has_a_page_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_walk_guard, "MAX_PAGES", 3)
    journal = Journal({None: [1], "e1": [2], "e2": [3], "e3": [4], "e4": [5]})
    ids, error = await _read(journal, follow=False)
    assert ids == ["e1", "e2", "e3"] and journal.calls == [None, "e1", "e2"]
    assert error.reason == "page_limit"
