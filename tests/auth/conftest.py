"""Fixtures for the auth tests: OAuth flows wired to the in-process emulator on its clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from allegro_async.auth.flows import OAuthFlows
from allegro_async.testing import Emulator

REDIRECT = "http://127.0.0.1/callback"


def emulated_flows(emulator: Emulator, **kwargs: object) -> OAuthFlows:
    """Flows for the emulator's app; waiting advances the emulated clock instead of sleeping."""

    async def advance(seconds: float) -> None:
        emulator.clock.advance(seconds)

    options: dict[str, object] = {
        "environment": emulator.environment(),
        "redirect_uri": REDIRECT,
        "transport": emulator.transport(),
        "sleep": advance,
        "clock": lambda: emulator.clock.now().timestamp(),
    }
    options.update(kwargs)
    return OAuthFlows(emulator.client_id, emulator.client_secret, **options)  # type: ignore[arg-type]


@pytest.fixture
async def flows(emulator: Emulator) -> AsyncIterator[OAuthFlows]:
    """OAuth flows against the emulator."""
    async with emulated_flows(emulator) as f:
        yield f


class Ticker:
    """A fake sleep for the app's recovery sweep: each :meth:`tick` lets one wait end and
    returns once the sweep waits again (its read is done, its takeovers started)."""

    def __init__(self) -> None:
        #: The seconds of every wait asked for, in order.
        self.asked: list[float] = []
        #: Waits cancelled (the sweep stopped while waiting).
        self.cancelled = 0
        self._waiting = anyio.Event()
        self._wake = anyio.Event()

    async def sleep(self, seconds: float) -> None:
        """The sweep's wait: until the next tick."""
        self.asked.append(seconds)
        wake = self._wake
        self._waiting.set()
        try:
            await wake.wait()
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise

    async def waiting(self) -> None:
        """Return once the sweep is waiting."""
        await self._waiting.wait()

    async def tick(self) -> None:
        """End the current wait and return when the sweep waits again."""
        await self._waiting.wait()
        self._waiting = anyio.Event()
        wake, self._wake = self._wake, anyio.Event()
        wake.set()
        await self._waiting.wait()
