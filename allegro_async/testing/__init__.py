"""Testing with allegro-async: the Allegro emulator and pytest fixtures.

Needs the ``emulator`` extra: ``pip install "allegro-async[emulator]"``. Importing this package
loads nothing optional: the emulator (and Starlette) load when one of its names is first used,
so the pytest plugin, registered for every project that has the library installed, costs
nothing and breaks nothing where the extra is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allegro_async.testing.emulator import (
        DropConnection,
        Emulator,
        EmulatorConfig,
        EmulatorTransport,
        Seller,
    )

__all__ = ["DropConnection", "Emulator", "EmulatorConfig", "EmulatorTransport", "Seller"]

#: The extra that brings what the emulator needs, named in every error about it.
EXTRA = "emulator"


class EmulatorNotInstalledError(ImportError):
    """The emulator was used without its dependencies (the ``emulator`` extra)."""


def load_emulator(module: str = "allegro_async.testing.emulator") -> Any:
    """Import an emulator module, or raise :class:`EmulatorNotInstalledError` saying which extra
    to install when one of its dependencies is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (exc.name or "a dependency").split(".")[0]
        if missing.startswith("allegro_async"):
            raise
        raise EmulatorNotInstalledError(
            f"the Allegro emulator needs {missing!r}, which is not installed: "
            f'pip install "allegro-async[{EXTRA}]"'
        ) from exc


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(load_emulator(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
