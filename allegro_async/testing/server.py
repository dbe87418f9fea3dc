"""Serving the emulator over HTTP with uvicorn (``allegro-async emulator``)."""

from __future__ import annotations

from typing import Any


def run_cli(**settings: Any) -> None:
    """Run the emulator server in the foreground until Ctrl-C."""
    raise NotImplementedError("the emulator server is being built")
