"""The in-process transport: a bug in an emulator route answers a 500 the client understands
(not a raw exception), unless ``raise_app_exceptions`` asks for the original."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from allegro_async.errors import ServerError
from allegro_async.testing import Emulator


async def _buggy(request: Request) -> Response:
    return Response({}["missing"])  # a KeyError, as a route bug would raise


def _with_buggy_route() -> Emulator:
    emulator = Emulator()
    emulator.starlette.router.routes.append(Route("/sale/buggy", _buggy, methods=["GET"]))
    return emulator


async def test_route_bug_is_a_500_server_error(caplog: pytest.LogCaptureFixture) -> None:
    emulator = _with_buggy_route()
    with caplog.at_level(logging.ERROR, logger="allegro_async.testing.emulator"):
        async with emulator.client(0, retry=None) as client:
            with pytest.raises(ServerError) as info:
                await client.request("GET", "/sale/buggy")
    assert info.value.status_code == 500
    assert "KeyError" in str(info.value)
    assert any("emulator route failed" in r.getMessage() for r in caplog.records)


async def test_route_bug_body_is_allegro_shaped() -> None:
    emulator = _with_buggy_route()
    async with httpx.AsyncClient(transport=emulator.transport(),
                                 base_url="http://allegro.emulator") as raw:
        response = await raw.get("/sale/buggy")
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "InternalServerErrorException"
    assert response.headers.get("trace-id")


async def test_raise_app_exceptions_gives_the_original() -> None:
    emulator = _with_buggy_route()
    transport = emulator.transport(raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://allegro.emulator") as raw:
        with pytest.raises(KeyError):
            await raw.get("/sale/buggy")
