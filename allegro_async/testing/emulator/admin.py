"""Emulator: private control routes under ``/_emulator`` (stats, reset, faults).

They let a test or a script in another process read counters and inject faults over HTTP::

    GET    /_emulator/stats     all counters
    POST   /_emulator/reset     zero the counters, remove faults
    GET    /_emulator/faults    the fault rules
    POST   /_emulator/faults    add one: {"route": "GET /me", "status": 503, "probability": 0.5}
    DELETE /_emulator/faults    remove every fault
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from allegro_async.errors import InvalidArgumentError
from allegro_async.testing.emulator.http import emulator_of

_FAULT_FIELDS = ("route", "status", "drop", "timeout", "latency", "probability", "times",
                 "when", "retry_after", "delay")


async def stats(request: Request) -> Response:
    """All counters as JSON."""
    return JSONResponse(emulator_of(request).stats.snapshot())


async def reset(request: Request) -> Response:
    """Zero every counter and remove every fault (area data is kept)."""
    emulator = emulator_of(request)
    emulator.stats.reset()
    emulator.faults.clear()
    return JSONResponse({"reset": True})


async def list_faults(request: Request) -> Response:
    """The active fault rules and latency settings."""
    state = emulator_of(request).faults
    return JSONResponse({
        "latency": state.latency, "jitter": state.jitter,
        "spike_probability": state.spike_probability, "spike_latency": state.spike_latency,
        "rules": [rule.as_dict() for rule in state.rules],
    })


async def add_fault(request: Request) -> Response:
    """Add a fault rule from a JSON object of :meth:`FaultsState.add` arguments."""
    try:
        data: Any = json.loads(await request.body() or b"{}")
    except ValueError:
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    if not isinstance(data, dict) or set(data) - set(_FAULT_FIELDS):
        return JSONResponse(
            {"error": f"give a JSON object with fields among {', '.join(_FAULT_FIELDS)}"},
            status_code=400,
        )
    try:
        rule = emulator_of(request).faults.add(**data)
    except (InvalidArgumentError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(rule.as_dict(), status_code=201)


async def clear_faults(request: Request) -> Response:
    """Remove every fault."""
    emulator_of(request).faults.clear()
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    """The private routes."""
    return [
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/faults", list_faults, methods=["GET"]),
        Route("/_emulator/faults", add_fault, methods=["POST"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
    ]
