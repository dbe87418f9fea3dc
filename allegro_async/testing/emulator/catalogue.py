"""Emulator: products by phrase and GTIN (S21), legacy offer variants (S22), shipping rates (S3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class CatalogueConfig:
    """Settings of the emulator's catalogue area."""


class CatalogueState:
    """The emulator's catalogue data and behaviour."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return []
