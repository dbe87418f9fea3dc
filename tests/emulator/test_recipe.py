"""The docs/testing.md recipe: an ASGI app whose Allegro client is overridden in tests."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from allegro_async import AllegroClient
from allegro_async.testing import Emulator


def build_app(make_client: Callable[[], AllegroClient]) -> Starlette:
    async def whoami(request: Request) -> JSONResponse:
        async with make_client() as allegro:
            me = await allegro.request("GET", "/me")
        return JSONResponse({"seller": me["login"]})

    return Starlette(routes=[Route("/whoami", whoami)])


async def test_app_uses_the_overridden_client(allegro_emulator: Emulator) -> None:
    app = build_app(lambda: allegro_emulator.client(0))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/whoami")
    assert response.json() == {"seller": "seller-1"}
    assert allegro_emulator.stats.route("GET", "/me") == 1
