"""Demo step: the typed layer on answers nobody here wrote, deadlines, and walks that end."""

from __future__ import annotations

import logging

import httpx

from allegro_async import AllegroClient, RateLimitedError, RequestTimeoutError, WalkStalledError
from allegro_async.api.models.users_offer_information import (
    OfferArchivedEvent,
    SellerOfferBaseEvent,
    SellerOfferEventsResponse,
)
from allegro_async.demo.context import DemoContext
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.throttle import Throttle

_EVENT = {"id": "1", "occurredAt": "2026-12-05T10:00:00Z", "offer": {"id": "123"}}


async def run(ctx: DemoContext) -> None:
    """Empty pages, mapped and unknown tags, a deadline during an app block, a stalled walk."""
    ctx.heading("Trust: lenient answers, exact classes, deadlines, walks that end")
    async with ctx.client(0) as client:
        empty = await client.api.order_management.get_list_of_orders(
            buyer_login="nobody-bought-this")
        ctx.say(f"An empty order page parses: {type(empty).__name__} with "
                f"{len(empty.checkout_forms or [])} forms, count {empty.count}.")

    # an answer with a tag the spec maps and one Allegro may add tomorrow (logged, kept)
    logger = logging.getLogger("allegro_async")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the demo knows the tag is new: no warning printed
    try:
        page = SellerOfferEventsResponse.model_validate({"offerEvents": [
            {**_EVENT, "type": "OFFER_ARCHIVED"}, {**_EVENT, "type": "OFFER_TELEPORTED"}]})
    finally:
        logger.setLevel(level)
    archived, unknown = page.offer_events or []
    ctx.say(f"OFFER_ARCHIVED lands in {type(archived).__name__}; a type the spec does not "
            f"know yet (OFFER_TELEPORTED) in {type(unknown).__name__}, its data kept.")
    ctx.record("trust: mapped tag class", isinstance(archived, OfferArchivedEvent))
    ctx.record("trust: unknown tag kept", isinstance(unknown, SellerOfferBaseEvent)
               and unknown.type == "OFFER_TELEPORTED")

    # a per-call deadline bounds all of a typed call, even during a one-minute app block (on
    # an emulator of its own, so the block does not hold up the demo's other steps)
    blocked = Emulator()
    blocked.limits.block_app(60)
    async with blocked.client(0) as client:
        started = blocked.clock.monotonic()
        try:
            await client.user.me(timeout=2)
        except (RateLimitedError, RequestTimeoutError) as exc:
            waited = blocked.clock.monotonic() - started
            ctx.say(f"During a 60 s app block, user.me(timeout=2) gave up after {waited:.2f} s "
                    f"({type(exc).__name__}) instead of waiting the block out.")
            ctx.record("trust: deadline during a block (s)", round(waited, 2))
    # without a deadline the call waits at the app's gate: on an emulator whose minute passes
    # in a tenth of a second, with the client's throttle on the same clock
    scaled = Emulator(EmulatorConfig(time_scale=600))
    scaled.limits.block_app(60)
    throttle = Throttle(clock=scaled.clock.monotonic, sleep=scaled.clock.sleep)
    async with scaled.client(0, throttle=throttle) as client:
        started = scaled.clock.monotonic()
        me = await client.user.me()
        waited = scaled.clock.monotonic() - started
        ctx.note(f"Without a deadline the same call waits at the app's gate: {me.login} after "
                 f"{waited:.0f} emulated s, {scaled.stats.requests} request(s) sent.")
        ctx.record("trust: wait without a deadline (emulated s)", round(waited))

    # a server that keeps answering the same cursor: the walk ends, saying what it delivered
    def same_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={
            "offerEvents": [{**_EVENT, "id": "42", "type": "OFFER_ARCHIVED"}]})

    async with AllegroClient(access_token="demo-token",
                             transport=httpx.MockTransport(same_page)) as stuck:
        try:
            async for _ in stuck.api.users_offer_information.iter_get_offer_events(limit=1):
                pass
        except WalkStalledError as exc:
            ctx.say(f"A journal whose cursor never moves ends the walk: {exc.reason} after "
                    f"{exc.yielded} event(s), {exc.pages} page(s).")
            ctx.record("trust: stalled walk ended", exc.reason)

