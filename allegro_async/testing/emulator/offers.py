"""Emulator: product offers, offer listing, commands, products, legacy variants, shipping
rates (S3, S17-S22, A10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class OffersConfig:
    """Settings of the emulator's offers area."""


class OffersState:
    """The emulator's offers data and behaviour."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return []
