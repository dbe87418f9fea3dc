"""Emulator: authorize, token (every grant), device endpoint (A3-A6, S4-S8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class OAuthConfig:
    """Settings of the emulator's oauth area."""


class OAuthState:
    """The emulator's oauth data and behaviour."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return []
