"""Emulator: the S1 Client-ID bucket and block (A1), per-user buckets (A2), per-user
parallel cap (S2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


@dataclass
class LimitsConfig:
    """Settings of the emulator's limits."""


class LimitsState:
    """Live state of the emulator's limits."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator


class LimitsMiddleware:
    """ASGI middleware applying the emulator's limits."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
