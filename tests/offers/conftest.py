"""Fixtures for the offers tests: an emulator with fast emulated time and a sleep that moves
emulated time forward instead of waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from allegro_async import AllegroClient
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.offers import OffersConfig
from allegro_async.throttle import Throttle


def make_emulator(**offers: object) -> Emulator:
    """An emulator with one seller and the given OffersConfig fields."""
    return Emulator(EmulatorConfig(sellers=2, offers=OffersConfig(**offers)))  # type: ignore[arg-type]


def advancing_sleep(emulator: Emulator) -> Callable[[float], Awaitable[None]]:
    """A sleep that jumps emulated time instead of waiting (no real sleeping in tests)."""

    async def sleep(seconds: float) -> None:
        emulator.clock.advance(seconds)

    return sleep


def fast_client(emulator: Emulator, seller: int = 0, **kwargs: Any) -> AllegroClient:
    """A client whose throttle and offer waits run on the emulator's time, jumping it forward
    instead of sleeping (the limits still apply, in emulated time)."""
    sleep = advancing_sleep(emulator)
    kwargs.setdefault("throttle", Throttle(clock=emulator.clock.monotonic, sleep=sleep))
    client = emulator.client(seller, **kwargs)
    client.offers.sleep = sleep
    return client


@pytest.fixture
def offers_emulator() -> Emulator:
    """Small default data: 30 active, 10 drafts, 10 ended per seller."""
    return make_emulator()


@pytest.fixture
async def offers_client(offers_emulator: Emulator) -> AsyncIterator[AllegroClient]:
    """A client for the first seller whose offers service sleeps on emulated time."""
    async with fast_client(offers_emulator) as client:
        yield client
