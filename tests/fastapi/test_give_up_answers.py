"""The web answers of the client's own give-ups: a call's deadline that passes in the
throttle's queue is a 503 with the expected wait (not a 504 blaming Allegro, nor a fixed
minute), and carries no Allegro status."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from allegro_async import AllegroApp, Throttle
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.fastapi import SellerClient, allegro_lifespan, install_error_handlers
from allegro_async.testing import Emulator


async def test_a_queue_deadline_is_503_with_the_expected_wait() -> None:
    emulator = Emulator()
    store = MemoryTokenStore()
    now = emulator.clock.now().timestamp
    pair = emulator.oauth.issue_pair(emulator.sellers[0].id)
    await store.save(emulator.sellers[0].id,
                     Token.from_response(pair, now=now(), environment="custom"))

    def allegro() -> AllegroApp:
        # Six requests a minute, one at a time: a second request waits 10 s in the queue.
        return AllegroApp(emulator.client_id, emulator.client_secret, store=store,
                          environment=emulator.environment(), transport=emulator.transport(),
                          clock=now, retry=False, throttle=Throttle(rate=6, burst=1))

    app = FastAPI(lifespan=allegro_lifespan(allegro))
    install_error_handlers(app)

    @app.get("/sellers/{seller_id}/quick")
    async def quick(seller: SellerClient) -> dict[str, object]:
        return dict(await seller.request("GET", "/me", timeout=0.3))

    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        assert (await http.get(f"/sellers/{emulator.sellers[0].id}/quick")).status_code == 200
        sent = emulator.stats.requests
        response = await http.get(f"/sellers/{emulator.sellers[0].id}/quick")
    assert emulator.stats.requests == sent  # held in the queue: nothing sent
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "rate_limited" and body["allegro_status"] is None
    assert "nothing was sent" in body["message"]
    assert 9 <= int(response.headers["Retry-After"]) <= 10  # the bucket's 10 s, less the wait
    assert body["hint"] and response.headers["Retry-After"] in body["hint"]


def test_an_accepted_change_not_followed_is_502_saying_it_was_accepted() -> None:
    from allegro_async.fastapi import error_body
    from allegro_async.services.offers import OperationNotFollowedError

    error = OperationNotFollowedError(
        method="PATCH", path="/sale/product-offers/77", offer_id="77",
        accepted={"name": "Blue kettle"}, location="https://evil.example/op/1",
        problem="https://evil.example is not one of this environment's hosts")
    status, body, _ = error_body(error)
    assert (status, body["error"], body["allegro_status"]) == (502, "operation_not_followed",
                                                               None)
    assert "accepted the change" in body["message"]
    assert "offers.get('77')" in body["hint"]
