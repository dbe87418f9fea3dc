"""Demo step: auth (defines ``async def run(ctx)`` once the area is built)."""
