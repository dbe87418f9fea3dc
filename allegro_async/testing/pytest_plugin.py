"""pytest fixtures for testing apps against the Allegro emulator (registered automatically)."""

from __future__ import annotations
