"""Demo step: a seller logs in with the device flow, the token refreshes, one app serves two
sellers."""

from __future__ import annotations

import anyio

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.flows import DeviceAuthorization
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.demo.context import DemoContext


async def run(ctx: DemoContext) -> None:
    """Device flow (auto-approved), a refresh under load, two sellers on one app."""
    emulator = ctx.emulator
    ctx.heading("Login: a seller connects the app with the device flow (A4)")
    emulator.config.oauth.device_auto_approve_after = 1  # the seller clicks after one poll

    async def fast_forward(seconds: float) -> None:
        emulator.clock.advance(seconds)  # the 5-second polling interval passes at once

    store = MemoryTokenStore()
    app = AllegroApp(emulator.client_id, emulator.client_secret, store=store,
                     environment=emulator.environment(), transport=emulator.transport(),
                     clock=lambda: emulator.clock.now().timestamp())
    app.flows._sleep = fast_forward

    def show(device: DeviceAuthorization) -> None:
        ctx.say(f"show the seller: {device.verification_uri_complete}")
        ctx.note(f"user code {device.user_code}, valid {device.expires_in // 60} min, "
                 f"poll every {device.interval} s")

    token = await app.flows.device_flow(on_prompt=show)
    first = await app.add_seller(token)
    ctx.say(f"seller {first} approved; the pair is in the store ({len(token.scope)} scopes; "
            "reprs never show tokens)")

    ctx.heading("Noon: the token is about to expire; 50 requests at once refresh it once (A5)")
    emulator.clock.advance(12 * 3600 - 120)  # inside the 5-minute refresh margin
    client = app.seller(first)
    before = emulator.oauth.counters.token_requests["refresh_token"]
    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(client.request, "GET", "/me")
    refreshes = emulator.oauth.counters.token_requests["refresh_token"] - before
    ctx.say(f"50 requests, {refreshes} refresh request; the rotated pair was saved first")
    ctx.record("auth: refreshes for 50 requests on an expiring token", refreshes)

    ctx.heading("Afternoon: one app, one connection pool, two sellers")
    emulator.oauth.approve_as(1)
    request = app.flows.authorization_url(redirect_uri=emulator.config.redirect_uris[0])
    second_token: Token = await app.flows.finish_authorization(
        await app.flows.follow_authorization(request), request
    )
    second = await app.add_seller(second_token)
    for key in (first, second):
        me = await app.seller(key).request("GET", "/me")
        ctx.say(f"app.seller({key!r}) -> {me['login']}")
    ctx.note("authorization code + PKCE S256 for the second seller, exchanged at once (S4)")
    ctx.record("auth: sellers served by one app", 2)
    emulator.oauth.approve_as(0)
    await app.aclose()
