"""Emulator: private control routes under ``/_emulator`` (stats, reset, faults).

They let a test or a script in another process read counters and inject faults over HTTP::

    GET    /_emulator/stats     all counters
    POST   /_emulator/reset     zero the counters, remove faults
    GET    /_emulator/faults    the fault rules
    POST   /_emulator/faults    add one: {"route": "GET /me", "status": 503, "probability": 0.5}
    DELETE /_emulator/faults    remove every fault
    POST   /_emulator/tokens    access + refresh token pairs: {"seller": 0} for one, {} for all
    POST   /_emulator/device    answer a device code (A4): {"user_code": "AB12CD34",
                                "action": "approve" or "deny", "seller": 0}
    GET    /_emulator/sellers   every seller: [{"id", "login", "email"}]
    POST   /_emulator/sellers   create a seller: {"id": "42424242", "login": "my-shop"}
    PUT    /_emulator/authorize-as   who the authorize page logs in as: {"seller": "42424242"}
                                (index, id or login; a new numeric id creates the seller)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from allegro_async.errors import InvalidArgumentError
from allegro_async.testing.emulator.http import emulator_of
from allegro_async.testing.emulator.verification import seller_of

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


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        data: Any = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def mint_tokens(request: Request) -> Response:
    """Token pairs with refresh tokens, as the token endpoint gives them, for one seller
    (``{"seller": index, id or login}``) or every seller (``{}``); ``scopes`` optional."""
    emulator = emulator_of(request)
    data = await _json_object(request)
    if data is None or set(data) - {"seller", "scopes"}:
        return JSONResponse({"error": "give a JSON object with 'seller' and/or 'scopes'"},
                            status_code=400)
    scopes = data.get("scopes")
    if scopes is not None and not (
            isinstance(scopes, list) and all(isinstance(x, str) for x in scopes)):
        return JSONResponse({"error": "'scopes' must be a list of strings"}, status_code=400)
    try:
        chosen = seller_of(emulator, data.get("seller"))
    except KeyError:
        return JSONResponse({"error": f"no seller {data.get('seller')!r}"}, status_code=404)
    sellers = [chosen] if chosen is not None else emulator.sellers
    pairs = [{"seller_id": s.id, "login": s.login,
              **emulator.oauth.issue_pair(s.id, tuple(scopes) if scopes else None)}
             for s in sellers]
    return JSONResponse({"tokens": pairs}, status_code=201)


async def answer_device(request: Request) -> Response:
    """Approve (as ``seller``, default the authorize page's seller) or deny a device code,
    as the user would on the verification page (A4)."""
    emulator = emulator_of(request)
    data = await _json_object(request)
    if data is None or not isinstance(data.get("user_code"), str) or set(data) - {
            "user_code", "action", "seller"}:
        return JSONResponse({"error": "give a JSON object with 'user_code' (and 'action': "
                             "approve or deny, 'seller')"}, status_code=400)
    action = data.get("action", "approve")
    if action not in ("approve", "deny"):
        return JSONResponse({"error": "'action' is approve or deny"}, status_code=400)
    try:
        seller = seller_of(emulator, data.get("seller"))
    except KeyError:
        return JSONResponse({"error": f"no seller {data.get('seller')!r}"}, status_code=404)
    code = data["user_code"].strip().upper()
    try:
        if action == "deny":
            emulator.oauth.deny_device(code)
        else:
            emulator.oauth.approve_device(code, seller)
    except KeyError:
        return JSONResponse({"error": f"no device code with user_code {code!r}"},
                            status_code=404)
    return JSONResponse({"user_code": code, "status": "approved" if action == "approve"
                         else "denied"})


def _seller_json(seller: Any) -> dict[str, str]:
    return {"id": seller.id, "login": seller.login, "email": seller.email}


async def list_sellers(request: Request) -> Response:
    """Every seller of the emulator."""
    return JSONResponse({"sellers": [_seller_json(s) for s in emulator_of(request).sellers]})


async def create_seller(request: Request) -> Response:
    """A new seller with the given numeric ``id`` (and ``login``); 200 if it exists."""
    emulator = emulator_of(request)
    data = await _json_object(request)
    seller_id = None if data is None else data.get("id")
    login = None if data is None else data.get("login")
    if (data is None or set(data) - {"id", "login"} or not isinstance(seller_id, str)
            or not seller_id.isdigit() or not isinstance(login, (str, type(None)))):
        return JSONResponse({"error": "give a JSON object with 'id' (digits, as a string) "
                             "and optionally 'login'"}, status_code=400)
    known = any(s.id == seller_id for s in emulator.sellers)
    seller = emulator.add_seller(seller_id, login)
    return JSONResponse(_seller_json(seller), status_code=200 if known else 201)


async def authorize_as(request: Request) -> Response:
    """Pick the seller the authorize page (and auto-approved device codes) log in as."""
    emulator = emulator_of(request)
    data = await _json_object(request)
    ref = None if data is None else data.get("seller")
    if (data is None or set(data) != {"seller"} or isinstance(ref, bool)
            or not isinstance(ref, (int, str)) or ref == ""):
        return JSONResponse({"error": "give a JSON object with 'seller' (index, id or login)"},
                            status_code=400)
    try:
        emulator.oauth.approve_as(ref)
    except KeyError:
        return JSONResponse({"error": f"no seller {ref!r}; a new seller needs a numeric id"},
                            status_code=404)
    return JSONResponse(_seller_json(emulator.seller_or_new(ref)))


def routes() -> list[BaseRoute]:
    """The private routes."""
    return [
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/faults", list_faults, methods=["GET"]),
        Route("/_emulator/faults", add_fault, methods=["POST"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/tokens", mint_tokens, methods=["POST"]),
        Route("/_emulator/device", answer_device, methods=["POST"]),
        Route("/_emulator/sellers", list_sellers, methods=["GET"]),
        Route("/_emulator/sellers", create_seller, methods=["POST"]),
        Route("/_emulator/authorize-as", authorize_as, methods=["PUT"]),
    ]
