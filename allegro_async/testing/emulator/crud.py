"""Per-seller state for the CRUD-like areas (filled in below)."""

from __future__ import annotations

from allegro_async.api._operation import Operation
from allegro_async.testing.emulator.spec_validation import Endpoint


def endpoint_for(operation: Operation) -> Endpoint | None:
    """The stateful endpoint for ``operation``, if its area keeps state."""
    return None
