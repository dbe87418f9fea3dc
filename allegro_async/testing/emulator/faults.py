"""Emulator: injected 5xx, latency, dropped connections and timeouts, reproducible from a seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class FaultsConfig:
    """Settings of the emulator's faults."""


class FaultsState:
    """Live state of the emulator's faults."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator


class FaultsMiddleware:
    """ASGI middleware applying the emulator's faults."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
