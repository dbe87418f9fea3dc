"""Fixtures for the auth tests: OAuth flows wired to the in-process emulator on its clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
