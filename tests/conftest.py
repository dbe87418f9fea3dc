"""Shared fixtures: an emulator and a client wired to it, the spec files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from allegro_async import AllegroClient
from allegro_async.testing import Emulator

SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "spec"
SPEC = SPEC_DIR / "allegro-openapi.yaml"
LEGACY_SPEC = SPEC_DIR / "allegro-openapi-2020-legacy.yaml"


@pytest.fixture
def emulator() -> Emulator:
    """A fresh production-mode emulator with real-time limits."""
    return Emulator()


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[AllegroClient]:
    """A client for the emulator's first seller, in-process."""
    async with emulator.client(0) as c:
        yield c


def require_spec(path: Path = SPEC) -> Path:
    """The spec file, or skip the test with the reason."""
    if not path.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {path} (it lives in ../shared/spec)")
    return path
