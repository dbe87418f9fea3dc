"""Testing with allegro-async: the Allegro emulator and pytest fixtures.

Needs the ``emulator`` extra: ``pip install "allegro-async[emulator]"``.
"""

from allegro_async.testing.emulator import (
    DropConnection,
    Emulator,
    EmulatorConfig,
    EmulatorTransport,
    Seller,
)

__all__ = ["DropConnection", "Emulator", "EmulatorConfig", "EmulatorTransport", "Seller"]
