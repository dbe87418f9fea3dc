"""Emulator: event journal, event stats, checkout forms, fulfillment, shipments, carriers
(S9-S16, A8, A9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class OrdersConfig:
    """Settings of the emulator's orders area."""


class OrdersState:
    """The emulator's orders data and behaviour."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return []
