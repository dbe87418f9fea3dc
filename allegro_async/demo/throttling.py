"""Demo step: a bulk burst at the app's limit across sellers, then a forced block and the gate."""

from __future__ import annotations

import time

import anyio

from allegro_async.demo.context import DemoContext
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.throttle import Throttle, metrics_of


async def run(ctx: DemoContext) -> None:
    """One app, five sellers, a thousand requests fired at once: spaced to the limit, no 429."""
    ctx.heading("Throttling: a bulk job at the Client-ID limit (S1, A1, S2)")
    # A separate emulator with fast time (20 emulated s per real s) and a small S1 limit, so
    # the limit is reached in a demo; the client's throttle runs on the same emulated clock.
    emulator = Emulator(EmulatorConfig(time_scale=20, sellers=5, limits=LimitsConfig(
        app_rate=1200, app_per=60, app_burst=30, latency=0.5)))
    events: list[str] = []
    throttle = Throttle(rate=1200, per=60, burst=20, clock=emulator.clock.monotonic,
                        sleep=emulator.clock.sleep,
                        on_event=lambda name, data: events.append(name))
    count = 200 if ctx.quick else 1000
    ctx.say(f"The app serves 5 sellers; a nightly job sends {count} requests from 200 tasks.")
    ctx.note("S1 here: 1200 requests per emulated minute for the whole app (Allegro: 9000).")
    async with emulator.client(0, throttle=throttle) as client:
        sellers = [client.with_options(access_token=emulator.mint_token(i)) for i in range(5)]
        jobs = iter(range(count))

        async def worker() -> None:
            for i in jobs:
                await sellers[i % 5].request("GET", "/me")

        started, real = emulator.clock.monotonic(), time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(200):
                tg.start_soon(worker)
        minutes = (emulator.clock.monotonic() - started) / 60
        rate = count / minutes
        ctx.say(f"{count} requests in {minutes:.2f} emulated minutes ({rate:.0f}/min; limit "
                f"1200/min), {emulator.stats.responses_429} responses with 429, "
                f"{time.perf_counter() - real:.1f} s real.")
        ctx.record("throttling: bulk 429s", emulator.stats.responses_429)
        ctx.record("throttling: bulk rate / limit", round(rate / 1200, 3))

        ctx.say("Now Allegro blocks the Client ID for a minute (forced in the emulator).")
        emulator.limits.block_app(60)
        before = emulator.stats.requests_during_block
        async with anyio.create_task_group() as tg:
            for i in range(50):
                tg.start_soon(sellers[i % 5].request, "GET", "/me")
                if i == 0:
                    await anyio.wait_all_tasks_blocked()  # the first one meets the block
        during = emulator.stats.requests_during_block - before
        metrics = metrics_of(client)
        ctx.say(f"One request met the 429, alone in flight, so the block is app-wide (S2 "
                f"gives 429 only to parallel requests); the gate closed "
                f"({events.count('gate_closed')}x), "
                f"the other 49 waited, one probe went out after the block, then all 50 "
                f"completed. Requests that reached Allegro during the block: {during}.")
        ctx.note(f"Client counters: {metrics.snapshot()}")
        ctx.record("throttling: requests during block", during)
