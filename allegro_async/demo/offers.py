"""Demo step: a seller's offers on a busy day: a price change for every active offer through
commands, publishing drafts, and a bulk rename with progress."""

from __future__ import annotations

from allegro_async.demo.context import DemoContext
from allegro_async.errors import InvalidArgumentError
from allegro_async.services.bulk import BulkProgress


async def run(ctx: DemoContext) -> None:
    """Reprice, publish and rename offers of the first seller against the emulator."""
    emulator = ctx.emulator

    async def emulated_sleep(seconds: float) -> None:
        # waiting for command reports: the emulator's clock jumps instead of the demo waiting
        emulator.clock.advance(seconds)

    async with ctx.client(0) as client:
        client.offers.sleep = emulated_sleep
        ctx.heading("Offers: reprice, publish, rename")
        active = [o.id async for o in client.offers.list(publication_status="ACTIVE")]
        drafts = [o.id async for o in client.offers.list(publication_status="INACTIVE")]
        ctx.say(f"seller-1 has {len(active)} active offers and {len(drafts)} drafts "
                f"({await client.offers.count_drafts()} counted by GET /sale/offers, S19)")

        before = emulator.stats.requests
        result = await client.offers.change_price(active, increase_percent="4")
        sent = emulator.stats.requests - before
        ctx.say(f"+4% on {len(active)} offers: {len(result.command_ids)} price command(s), "
                f"{sent} requests, {len(result.succeeded)} changed, {len(result.failed)} failed")
        ctx.note("10 000 offers would take 10 commands of 1000 (S20), not 10 000 PATCHes")

        # A price command reaches Allegro but its answer is lost, and so is the report read:
        # the offers are UNKNOWN (never "failed"), and resuming reads what really happened.
        command = "/sale/offer-price-change-commands/{commandId}"
        emulator.faults.add(route=f"PUT {command}", drop=True, when="after", times=4)
        emulator.faults.add(route=f"GET {command}", status=503, times=8)
        engine = client.offers.commands(put_attempts=1)
        lost = await client.offers.change_price(active[:3], increase_percent="1", engine=engine)
        emulator.faults.clear()
        ctx.say(f"answer lost after the PUT: {len(lost.unknown)} offers UNKNOWN, "
                f"{len(lost.failed)} failed (re-running +1% on them would apply it twice)")
        resumed = await engine.resume()
        ctx.note(f"resume read command {resumed.command_ids[0][:8]}...: "
                 f"{len(resumed.succeeded)} changed once")

        try:
            past = emulator.clock.now().replace(year=emulator.clock.now().year - 1)
            await client.offers.publish(drafts, scheduled_for=past, now=emulator.clock.now())
        except InvalidArgumentError as exc:
            ctx.say("publishing with a past scheduledFor is refused before sending (S17)")
            ctx.note(exc.fix)
        published = await client.offers.publish(drafts)
        ctx.say(f"published {len(published.succeeded)} drafts in "
                f"{len(published.command_ids)} publication command(s)")

        copy = await client.offers.copy_as_draft(active[0], changes={"name": "Copy for July"})
        ctx.say(f"copied offer {active[0]} as draft {copy.id} (S18: no id, dates, publication)")

        marks: list[int] = []

        def progress(p: BulkProgress) -> None:
            if p.done % 10 == 0 or p.done == p.total:
                marks.append(p.done)

        renames = {offer_id: {"name": f"Summer sale {n + 1}"}
                   for n, offer_id in enumerate(active[:20])}
        bulk = await client.offers.bulk_update(renames, concurrency=4, progress=progress)
        ctx.say(f"bulk rename (no command can change a title): {len(bulk.succeeded)} PATCHes, "
                f"progress at {marks}, {len(bulk.failed)} failed")
        ctx.note("bulk_update keeps under 2490 PATCH/min per seller (A2) and can resume from "
                 "a journal after a crash")
    ctx.record("offers repriced by command", len(result.succeeded))
    ctx.record("offers of unknown outcome resumed", len(resumed.succeeded))
    ctx.record("drafts published", len(published.succeeded))
    ctx.record("offers renamed by bulk PATCH", len(bulk.succeeded))
