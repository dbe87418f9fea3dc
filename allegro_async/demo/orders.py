"""Demo step: orders (defines ``async def run(ctx)`` once the area is built)."""
