"""A response read whole is freed as soon as nothing refers to it: its body (a page of
1000 events is most of a megabyte) does not wait for the cycle collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest
import respx

from allegro_async import AllegroClient


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@respx.mock
async def test_a_read_response_is_freed_without_the_cycle_collector(
        no_cycle_collector: None) -> None:
    respx.get("https://api.allegro.pl/order/events").mock(
        return_value=httpx.Response(200, json={"events": []}))
    async with AllegroClient(access_token="token", retry=False, throttle=False) as client:
        raw = await client.request_raw("GET", "/order/events")
        assert raw.json() == {"events": []}
        freed = weakref.ref(raw.http_response)
        del raw
        assert freed() is None
