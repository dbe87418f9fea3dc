"""The project's own suite parses answers strictly (``tests/conftest.py``), so a model that does
not fit what the emulator or a mock answers fails the test instead of being kept quietly."""

from __future__ import annotations

import httpx
import pytest
import respx

from allegro_async import AllegroClient, ResponseValidationError
from allegro_async.api import _runtime


def test_the_suite_runs_with_strict_parsing() -> None:
    assert _runtime.STRICT_PARSING is True


@respx.mock
async def test_a_model_mismatch_fails_the_suite() -> None:
    client = AllegroClient(access_token="token", retry=False, throttle=False)
    respx.get("https://api.allegro.pl/sale/offer-tags").mock(
        return_value=httpx.Response(200, json={"tags": [{"id": "t", "name": "x", "hidden": []}]}))
    with pytest.raises(ResponseValidationError):
        await client.api.offer_tags.list_seller_tags()
