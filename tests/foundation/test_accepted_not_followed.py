"""A change Allegro accepted (202) whose operation cannot be followed is not reported as bad
input (which would mean nothing was sent): the error says the change was accepted, carries
what was accepted, and why the operation is not followed."""

from __future__ import annotations

import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.errors import InvalidArgumentError
from allegro_async.services.offers import OperationNotFollowedError

TOKEN = "token-that-must-stay-home"
FOREIGN = "https://evil.example/sale/product-offers/77/operations/op-1"
CHANGES = {"name": "Blue kettle 1.7 l, steel"}


async def test_an_accepted_patch_with_a_foreign_location_says_it_was_accepted() -> None:
    with respx.mock(assert_all_called=False) as router:
        patch = router.patch("https://api.allegro.pl/sale/product-offers/77").respond(
            202, headers={"Location": FOREIGN, "Retry-After": "0", "trace-id": "t-202"})
        anything_else = router.route().respond(200, json={"id": "77"})
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            with pytest.raises(OperationNotFollowedError) as info:
                await client.offers.patch("77", CHANGES)
    error = info.value
    assert not isinstance(error, InvalidArgumentError)  # that would mean "nothing was sent"
    assert patch.call_count == 1 and not anything_else.called  # the token went nowhere else
    assert error.method == "PATCH" and error.path == "/sale/product-offers/77"
    assert error.offer_id == "77" and error.accepted == CHANGES
    assert error.location == FOREIGN and "evil.example" in error.problem
    assert error.trace_id == "t-202"
    text = str(error)
    assert "Allegro accepted the change (202)" in text and "may be applied" in text
    assert "offers.get('77')" in text and "nothing was sent" not in text


async def test_a_303_without_location_after_an_accepted_patch_is_not_followed() -> None:
    operation = "https://api.allegro.pl/sale/product-offers/77/operations/op-1"
    with respx.mock(assert_all_called=True) as router:
        router.patch("https://api.allegro.pl/sale/product-offers/77").respond(
            202, headers={"Location": operation, "Retry-After": "0"})
        router.get(operation).respond(303)
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            with pytest.raises(OperationNotFollowedError) as info:
                await client.offers.patch("77", CHANGES)
    assert "without a Location" in info.value.problem


async def test_a_foreign_location_given_by_the_caller_is_still_bad_input() -> None:
    with respx.mock(assert_all_called=False) as router:
        anything = router.route().respond(200, json={})
        async with AllegroClient(TOKEN, throttle=False, retry=False) as client:
            with pytest.raises(InvalidArgumentError) as info:
                await client.offers.wait_for_operation(FOREIGN)
    assert info.value.field == "location" and not anything.called
