"""The lifespan's app runs the recovery sweep: a web worker holding a seller's pair takes over a
refresh that another process abandoned, and shutdown stops the sweep."""

from __future__ import annotations

import anyio
import httpx
from fastapi import FastAPI

from allegro_async import AllegroApp
from allegro_async.auth.tokens import Token
from allegro_async.fastapi import SellerClient, allegro_lifespan
from allegro_async.testing import Emulator
from tests.auth.conftest import Ticker, emulated_flows
from tests.auth.test_recovery_sweep import IntentStore

GUARD = 10.0  # seconds: only bounds a test that would otherwise hang


async def test_a_web_worker_takes_over_an_abandoned_refresh_until_shutdown(
    emulator: Emulator
) -> None:
    store, ticker = IntentStore(), Ticker()
    key = emulator.sellers[0].id
    old = Token.from_response(emulator.oauth.issue_pair(key),
                              now=emulator.clock.now().timestamp(), environment="custom")
    await store.save(key, old)
    allegro = AllegroApp(emulator.client_id, emulator.client_secret, store=store,
                         environment=emulator.environment(), transport=emulator.transport(),
                         clock=lambda: emulator.clock.now().timestamp(),
                         recover_sleep=ticker.sleep)
    web = FastAPI(lifespan=allegro_lifespan(lambda: allegro))

    @web.get("/sellers/{seller_id}/me")
    async def me(seller: SellerClient) -> dict[str, object]:
        return dict(await seller.request("GET", "/me"))

    async with web.router.lifespan_context(web), httpx.AsyncClient(
            transport=httpx.ASGITransport(web), base_url="http://backend") as http:
        assert (await http.get(f"/sellers/{key}/me")).json()["id"] == key  # held in memory
        with anyio.fail_after(GUARD):
            await ticker.tick()  # ends the pass begun at startup; the next one holds the seller
            store.intents.add(key)  # another worker began a refresh, Allegro answered, it died
            async with emulated_flows(emulator) as dead_holder:
                await dead_holder.refresh(str(old.refresh_token))
            await ticker.tick()
            assert allegro.recovery is not None
            await allegro.recovery.wait_idle()
        assert allegro.recovery.taken_over == 1
        emulator.clock.advance(13 * 3600)  # past the grace and the access token's life
        assert (await http.get(f"/sellers/{key}/me")).json()["id"] == key
    assert ticker.cancelled == 1  # shutdown stopped the sweep
    assert emulator.oauth.counters.token_requests["refresh_token"] == 3
