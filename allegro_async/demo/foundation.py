"""Demo step: who am I, and what a typed error with a hint looks like."""

from __future__ import annotations

from allegro_async.demo.context import DemoContext
from allegro_async.errors import APIError


async def run(ctx: DemoContext) -> None:
    """Call ``/me`` for each seller; show a typed error with its hint (A6)."""
    ctx.heading("Morning: the app checks who it serves")
    for index in range(len(ctx.emulator.sellers)):
        async with ctx.client(index) as client:
            raw = await client.request_raw("GET", "/me")
            me = raw.json()
            ctx.say(f"seller {me['login']} (id {me['id']}) - trace-id {raw.trace_id}")
    async with ctx.client(None) as app_client:
        try:
            await app_client.request("GET", "/me")
        except APIError as exc:
            ctx.say(f"an app token on /me fails as on Allegro: {type(exc).__name__}")
            ctx.note(exc.hint or "")
    ctx.record("sellers", len(ctx.emulator.sellers))
