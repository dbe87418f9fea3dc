"""How the event stream reads a page: the events kept as JSON, each checked for what the
stream reads (id, type, occurredAt, order); a page failing that check raises, naming the
place, before any of its events is delivered (single pages, so respx)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pydantic_core
import pytest
import respx

from allegro_async import AllegroClient, ResponseValidationError, cursors
from allegro_async.cursors import CursorState, CursorStore, FileCursorStore, MemoryCursorStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.events import RawOrderEventsList
from allegro_async.services.events import EventDelivery

EVENTS = "https://api.allegro.pl/order/events"
FORM_ID = "29738e61-7f6a-11e8-ac45-09db60ede9d6"


def _event(number: int, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": f"{number:020d}", "type": "READY_FOR_PROCESSING",
        "occurredAt": f"2024-05-01T10:00:{number:02d}.000Z",
        "order": {"checkoutForm": {"id": FORM_ID}, "seller": {"id": "1"}},
    }
    event.update(changes)
    return event


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def pages() -> Iterator[list[dict[str, Any]]]:
    """The pages /order/events answers, in order; an empty page after the last."""
    answers: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0) if answers else {"events": []})

    with respx.mock:
        respx.get(EVENTS).mock(side_effect=answer)
        yield answers


async def _read_all(client: AllegroClient) -> list[str]:
    stream = client.orders.events(start="beginning", store=MemoryCursorStore(),
                                  follow=False, sleep=_no_sleep)
    async with stream:
        return [delivery.id async for delivery in stream]


async def test_a_page_is_read_without_validating_it_as_a_model(
        pages: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a well-formed page went through the model")

    monkeypatch.setattr(RawOrderEventsList, "model_validate_json", refuse)
    monkeypatch.setattr(RawOrderEventsList, "model_validate", refuse)
    pages.append({"events": [_event(1), _event(2)]})
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        delivered = await _read_all(client)
    assert delivered == [_event(1)["id"], _event(2)["id"]]


@pytest.mark.parametrize(("broken", "place"), [
    ({"id": None}, "events.1"), ({"occurredAt": 5}, "events.1"),
    ({"order": "gone"}, "events.1"),
])
async def test_a_page_with_a_malformed_event_names_it_and_delivers_nothing(
        pages: list[dict[str, Any]], broken: dict[str, Any], place: str) -> None:
    pages.append({"events": [_event(1), _event(2, **broken)]})
    delivered: list[str] = []
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        stream = client.orders.events(start="beginning", store=MemoryCursorStore(),
                                      follow=False, sleep=_no_sleep)
        with pytest.raises(ResponseValidationError, match=place):
            async with stream:
                async for delivery in stream:
                    delivered.append(delivery.id)
    assert delivered == []


async def test_a_page_that_is_not_an_object_of_events_is_refused(
        pages: list[dict[str, Any]]) -> None:
    pages.append({"events": {"id": "1"}})
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        with pytest.raises(ResponseValidationError, match="events"):
            await _read_all(client)


@pytest.mark.parametrize("kind", ["memory", "file"])
async def test_the_stream_commits_its_events_without_checking_them_again(
        pages: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        kind: str) -> None:
    checked: list[object] = []
    real_check = cursors._check_commit

    def count(cursor: object, keys: object) -> None:
        checked.append(cursor)
        real_check(cursor, keys)

    monkeypatch.setattr(cursors, "_check_commit", count)
    pages.append({"events": [_event(1), _event(2), _event(3)]})
    store: CursorStore = (MemoryCursorStore() if kind == "memory"
                          else FileCursorStore(tmp_path / "cursor"))
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        stream = client.orders.events(start="beginning", store=store, follow=False,
                                      sleep=_no_sleep)
        async with stream:
            keys = [delivery.key async for delivery in stream]
    assert checked == []  # the ids and keys were checked as the page was read
    assert await store.load() == CursorState(_event(3)["id"], keys)
    with pytest.raises(InvalidArgumentError, match="cursor"):
        await store.commit("", [])  # a caller's own commit is still checked


async def test_a_store_overriding_commit_is_committed_through_its_override(
        pages: list[dict[str, Any]]) -> None:
    class Audited(MemoryCursorStore):
        def __init__(self) -> None:
            super().__init__()
            self.cursors: list[str] = []

        async def commit(self, cursor: str, keys: Sequence[str]) -> None:
            self.cursors.append(cursor)
            await super().commit(cursor, keys)

    pages.append({"events": [_event(1), _event(2)]})
    store = Audited()
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        stream = client.orders.events(start="beginning", store=store, follow=False,
                                      sleep=_no_sleep)
        async with stream:
            delivered = [delivery.id async for delivery in stream]
    assert store.cursors == delivered == [_event(1)["id"], _event(2)["id"]]


@pytest.mark.parametrize("enabled", [True, False])
async def test_a_page_is_parsed_with_the_collector_paused_then_left_as_it_was(
        pages: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    collecting: list[bool] = []
    real_from_json = pydantic_core.from_json

    def from_json(data: bytes, **options: Any) -> Any:
        collecting.append(gc.isenabled())
        return real_from_json(data, **options)

    monkeypatch.setattr(pydantic_core, "from_json", from_json)
    pages.append({"events": [_event(1)]})
    (gc.enable if enabled else gc.disable)()
    try:
        async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
            delivered = await _read_all(client)
        after = gc.isenabled()
    finally:
        gc.enable()
    assert delivered == [_event(1)["id"]]
    assert collecting == [False, False]  # the page, then the empty page that ends the read
    assert after is enabled


def test_a_delivery_made_by_hand_has_the_key_the_stream_gives() -> None:
    from allegro_async.models.events import dedup_key

    event = _event(1, occurredAt="2024-05-01T12:00:01+02:00")
    assert EventDelivery(event).key == dedup_key(FORM_ID, "READY_FOR_PROCESSING",
                                                 "2024-05-01T10:00:01.000Z")
    assert EventDelivery(_event(2)).key == f"{FORM_ID}|READY_FOR_PROCESSING|" \
        f"{_event(2)['occurredAt']}"
    assert EventDelivery({"id": "1"}).key == "None|None|None"  # incomplete, yet a key


async def test_a_duplicate_spelling_its_instant_otherwise_is_dropped(
        pages: list[dict[str, Any]]) -> None:
    original = _event(1, occurredAt="2024-05-01T10:00:01.000Z")
    pages.append({"events": [original, _event(2, occurredAt="2024-05-01T12:00:01+02:00")]})
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        stream = client.orders.events(start="beginning", store=MemoryCursorStore(),
                                      follow=False, sleep=_no_sleep)
        async with stream:
            delivered = [delivery.id async for delivery in stream]
    assert delivered == [original["id"]] and stream.duplicates == 1
