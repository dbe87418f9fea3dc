"""Demo step: offers (defines ``async def run(ctx)`` once the area is built)."""
