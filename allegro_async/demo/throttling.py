"""Demo step: throttling (defines ``async def run(ctx)`` once the area is built)."""
