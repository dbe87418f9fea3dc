"""``allegro-async login``: obtain a seller's token and save it to a file store."""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Add the ``login`` command to the typer app."""
