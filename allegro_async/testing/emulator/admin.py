"""Emulator: private control routes under ``/_emulator`` (stats, settings)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator.http import emulator_of


async def stats(request: Request) -> Response:
    """All counters as JSON."""
    return JSONResponse(emulator_of(request).stats.snapshot())


def routes() -> list[BaseRoute]:
    """The private routes."""
    return [Route("/_emulator/stats", stats, methods=["GET"])]
