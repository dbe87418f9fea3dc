"""A client built per request gets a throttle of its own each time (S1 is per Client ID): a
second live one for the same Client ID warns, naming the fix."""

from __future__ import annotations

import warnings

import pytest

from allegro_async import AllegroClient
from allegro_async.testing import Emulator
from allegro_async.throttle import duplicates
from allegro_async.throttle.duplicates import DuplicateThrottleWarning

EMULATOR = Emulator()


@pytest.fixture(autouse=True)
def no_client_id_warned_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warning comes once per Client ID and process: start each test afresh."""
    monkeypatch.setattr(duplicates, "_warned", set())


async def test_two_live_clients_for_one_client_id_warn() -> None:
    token = EMULATOR.mint_token(0)
    async with AllegroClient(access_token=token):
        with pytest.warns(DuplicateThrottleWarning, match="one per request"):
            async with AllegroClient(access_token=EMULATOR.mint_token(1)):
                pass


async def test_clients_one_after_another_or_sharing_a_throttle_do_not_warn() -> None:
    token = EMULATOR.mint_token(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateThrottleWarning)
        for _ in range(3):
            async with AllegroClient(access_token=token):
                pass
        async with AllegroClient(access_token=token) as first:
            view = first.with_options(access_token=EMULATOR.mint_token(1))  # same throttle
            assert view is not first
        async with EMULATOR.client(0), EMULATOR.client(1):  # the emulator's own transport
            pass
        async with AllegroClient(access_token="not-a-jwt"), AllegroClient(access_token="x.y"):
            pass  # no Client ID to tell: nothing to compare
