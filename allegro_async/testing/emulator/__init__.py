"""The Allegro emulator (ASGI)."""

from allegro_async.testing.emulator.core import (
    DropConnection,
    Emulator,
    EmulatorConfig,
    EmulatorTransport,
    Seller,
)

__all__ = ["DropConnection", "Emulator", "EmulatorConfig", "EmulatorTransport", "Seller"]
