"""Demo step: a seller's order day. Follow the event journal from a file cursor, read each
checkout form once per revision, ship it, mark it SENT with the revision, and never overwrite a
buyer's cancellation (S9-S16, A8, A9)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from allegro_async.cursors import FileCursorStore
from allegro_async.demo.context import DemoContext
from allegro_async.errors import NotFoundError
from allegro_async.models.orders import CheckoutForm
from allegro_async.services.orders import StaleRevisionError


async def _no_wait(seconds: float) -> None:
    return None  # the demo's emulator has nothing more to say once caught up


async def process_orders(client: Any, store: FileCursorStore,
                         done: dict[str, str]) -> dict[str, int]:
    """The recipe: consume events, read the form, handle each form once per revision, ship,
    set fulfillment with the revision. ``done`` maps form id -> last handled revision."""
    counts = {"events": 0, "shipped": 0, "cancelled": 0, "combined": 0, "skipped": 0}
    stream = client.orders.events(store=store, read_forms=True, follow=False, sleep=_no_wait)
    async with stream:
        async for delivery in stream:
            counts["events"] += 1
            if delivery.gone is not None:  # S12: combined into another form
                counts["combined"] += 1
                continue
            form: CheckoutForm | None = delivery.form
            if form is None or done.get(form.id) == form.revision:
                counts["skipped"] += 1  # S10/A8: this revision is handled already
                continue
            if form.status != "READY_FOR_PROCESSING" or (
                    form.fulfillment and form.fulfillment.status != "NEW"):
                done[form.id] = form.revision or ""
                counts["cancelled" if form.status == "CANCELLED" else "skipped"] += 1
                continue
            try:
                # S13: the revision we read guards both steps: a form the buyer changed or
                # cancelled since gets no waybill and is never marked SENT.
                await client.orders.add_shipment(form.id, "INPOST",
                                                 f"6200{form.id[-8:]}",
                                                 set_sent=True, revision=form.revision)
                counts["shipped"] += 1
            except StaleRevisionError as exc:  # S13: the buyer changed something meanwhile
                fresh = await client.orders.get(exc.form_id)
                counts["cancelled" if fresh.status == "CANCELLED" else "skipped"] += 1
            latest = await client.orders.get(form.id)
            done[form.id] = latest.revision or ""
    return counts


async def run(ctx: DemoContext) -> None:
    """New orders arrive; the integration ships them from the event stream."""
    ctx.heading("Orders: from the event journal to SENT")
    emulator = ctx.emulator
    with tempfile.TemporaryDirectory() as folder:
        store = FileCursorStore(Path(folder) / "order-events.cursor")
        done: dict[str, str] = {}
        async with ctx.client(0) as client:
            total = await client.orders.list().count()
            ctx.say(f"seller-1 has {total} checkout forms from the last 30 days "
                    "(list() walks all of them, past the 10 000 offset cap, A9)")
            # Start at "now": the first read of the stream asks /order/event-stats (A8).
            first = await process_orders(client, store, done)
            ctx.say(f"started the stream at 'now': {first['events']} events so far")
            ctx.note(f"cursor saved in a file: {store.path.name} -> {(await store.load()).cursor}")

            made = [emulator.orders.new_order(0) for _ in range(5)]
            made.append(emulator.orders.new_order(0, lone_ready=True))  # S9
            replacement = emulator.orders.combine(made[1])  # S12: buyer merged two purchases
            ctx.say(f"morning: {len(made)} new orders; the buyer of one combined it into "
                    f"{replacement[:8]}...")
            form = await client.orders.get(made[2])
            emulator.orders.buyer_cancels(made[2])  # between our read and our write (S13)
            try:
                await client.orders.set_fulfillment(made[2], "PROCESSING",
                                                    revision=form.revision)
            except StaleRevisionError as exc:
                ctx.say(f"S13: a stale revision was refused ({exc.status_code}); re-read: "
                        f"{(await client.orders.get(exc.form_id)).status}")

            counts = await process_orders(client, store, done)
            ctx.say(f"processed {counts['events']} events: shipped {counts['shipped']}, "
                    f"cancelled {counts['cancelled']}, combined away {counts['combined']}, "
                    f"already handled {counts['skipped']}")
            again = await process_orders(client, store, done)
            ctx.note(f"a restart from the file cursor re-delivers {again['events']} events")
            try:
                await client.orders.get(made[1])
            except NotFoundError:
                ctx.note("the combined form answers 404; its events pointed at the new one")
            sent = await client.orders.list(line_items_sent="ALL").count()
            ctx.say(f"S16: {sent} forms have every line item on a waybill")
    ctx.record("orders shipped from events", counts["shipped"])
