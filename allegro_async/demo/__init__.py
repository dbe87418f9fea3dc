"""The demo: a seller's day against the built-in emulator, no credentials or network needed.

Each area adds a step module here (``steps``); :func:`main` runs them in order against one
emulator and prints what happens.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Awaitable, Callable

import anyio

from allegro_async.demo.context import DemoContext

#: Step modules in the order a seller's day runs; each defines ``async def run(ctx)``.
STEPS = (
    "allegro_async.demo.foundation",
    "allegro_async.demo.auth",
    "allegro_async.demo.orders",
    "allegro_async.demo.fleet",
    "allegro_async.demo.catalogue",
    "allegro_async.demo.api",
    "allegro_async.demo.trust",
    "allegro_async.demo.offers",
    "allegro_async.demo.throttling",
)


async def run_demo(ctx: DemoContext) -> None:
    """Run every step against ``ctx``."""
    for name in STEPS:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # a step whose optional dependency is not installed
            if (exc.name or "allegro_async").startswith("allegro_async"):
                raise
            needed = exc.name.split(".")[0] if exc.name else "a dependency"
            ctx.heading(f"({name.rsplit('.', 1)[-1]}: skipped, it needs {needed}: "
                        'python -m pip install "allegro-async[all]")')
            continue
        step: Callable[[DemoContext], Awaitable[None]] | None = getattr(module, "run", None)
        if step is None:
            continue
        started = time.perf_counter()
        await step(ctx)
        name = module.__name__.rsplit(".", 1)[-1]
        ctx.note(f"({name} took {time.perf_counter() - started:.1f} s)")


def main(*, seed: int = 1, quick: bool = False) -> int:
    """Run the demo and return a process exit code."""
    ctx = DemoContext(seed=seed, quick=quick)
    anyio.run(run_demo, ctx)
    ctx.heading("Done")
    ctx.say(ctx.summary())
    return 0
