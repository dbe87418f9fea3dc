"""Demo step: listing a new product by its EAN (S21), and the shipping price lists (S3)."""

from __future__ import annotations

from allegro_async.demo.context import DemoContext


async def run(ctx: DemoContext) -> None:
    """Find every product behind one EAN and tell them apart; count the price lists."""
    ctx.heading("Catalogue: a new product arrives with only its EAN")
    shared = ctx.emulator.catalogue.shared_gtins()
    ean = max(shared, key=lambda gtin: (shared[gtin], gtin))
    async with ctx.client(0) as client:
        matches = await client.products.by_ean(ean)
        ctx.say(f"EAN {ean} matches {len(matches)} products (S21); the parameters tell them "
                "apart, so the integration asks which one before listing:")
        for product in matches:
            ctx.note(f"{product.id}: {product.name} {product.identifying_parameters()}")
        held = await client.shipping_rates.count()
        limit = client.shipping_rates.limit
        ctx.say(f"shipping price lists: {held} of {limit} (S3); they cannot be deleted, so "
                "create() refuses locally at the cap instead of letting Allegro say no")
    ctx.record("catalogue: products behind one EAN", len(matches))
