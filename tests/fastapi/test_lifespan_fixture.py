"""The ``allegro_asgi`` fixture: a user's FastAPI app is tested with its own lifespan, which
then runs on the emulator's ``allegro_app`` instead of ``AllegroApp.from_env()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from allegro_async import AllegroApp
from allegro_async.auth.app import ENV_VARIABLES
from allegro_async.fastapi import (
    AllegroState,
    SellerClient,
    allegro_lifespan,
    install_error_handlers,
)
from allegro_async.testing import Emulator


def _shop() -> FastAPI:
    app = FastAPI(lifespan=allegro_lifespan())  # from_env(), as the docs' backend does
    install_error_handlers(app)

    @app.get("/sellers/{seller_id}/me")
    async def me(seller: SellerClient) -> dict[str, Any]:
        return dict(await seller.request("GET", "/me"))

    @app.get("/app")
    async def which(allegro: AllegroState) -> dict[str, int]:
        return {"id": id(allegro)}

    return app


async def test_the_apps_lifespan_runs_on_the_emulator_without_variables(
    allegro_asgi: Callable[..., Any], allegro_app: AllegroApp, allegro_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    shop = _shop()
    async with allegro_asgi(shop) as http:
        assert (await http.get("/app")).json() == {"id": id(allegro_app)}
        for seller in allegro_emulator.sellers:
            answer = await http.get(f"/sellers/{seller.id}/me")
            assert answer.status_code == 200 and answer.json()["id"] == seller.id
        assert (await http.get("/sellers/nobody/me")).status_code == 404
    assert shop.state.allegro is None and shop.state.allegro_override is None
    # the fixture's app outlives the lifespan: its owner closes it
    me = await allegro_app.seller(allegro_emulator.sellers[0].id).request("GET", "/me")
    assert me["id"] == allegro_emulator.sellers[0].id


async def test_without_the_fixture_the_lifespan_still_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from allegro_async.errors import InvalidArgumentError

    monkeypatch.delenv("ALLEGRO_CLIENT_ID", raising=False)
    shop = _shop()
    with pytest.raises(InvalidArgumentError, match="ALLEGRO_CLIENT_ID"):
        async with shop.router.lifespan_context(shop):
            pass


async def test_a_client_given_for_the_app_is_a_500_naming_the_fix(
    allegro_client: Any,
) -> None:
    import httpx

    from allegro_async.fastapi import get_allegro

    shop = _shop()
    shop.dependency_overrides[get_allegro] = lambda: allegro_client  # the docs' old mistake
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(shop),
                                     base_url="http://test") as http:
            answer = await http.get("/sellers/anyone/me")
    finally:
        shop.dependency_overrides.clear()
    assert answer.status_code == 500
    body = answer.json()
    assert body["error"] == "invalid_argument" and "AllegroApp" in body["hint"]
    assert "AllegroClient" in body["message"]
