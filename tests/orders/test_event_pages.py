"""How the event stream reads a page: the events kept as JSON, each checked for what the
stream reads (id, type, occurredAt, order); a page failing that check raises, naming the
place, before any of its events is delivered (single pages, so respx)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from allegro_async import AllegroClient, ResponseValidationError
from allegro_async.cursors import MemoryCursorStore
from allegro_async.models.events import RawOrderEventsList

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
