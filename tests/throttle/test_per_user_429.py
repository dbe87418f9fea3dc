"""Per-user 429s (S2) never close the app-wide gate (A1); a real app block still does.

Against the emulator on a scaled clock: its per-user parallel cap is not known to the client
(S2 publishes no number), which starts at 8 in parallel per seller and adapts.
"""

from __future__ import annotations

import anyio
import pytest

from allegro_async.errors import RateLimitedError
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.throttle import Throttle

SELLERS, PER_SELLER, LATENCY = 3, 60, 0.05


def scaled_throttle(emulator: Emulator, events: list[str], **kwargs: object) -> Throttle:
    """A throttle on the emulator's clock that records its event names."""
    return Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep,  # type: ignore[arg-type]
                    on_event=lambda name, data: events.append(name), **kwargs)


async def run_sellers(emulator: Emulator, throttle: Throttle, per_seller: int) -> list[str]:
    """``per_seller`` concurrent ``GET /me`` for every seller through one throttle; the
    failures' reasons (empty when every request completed)."""
    failures: list[str] = []
    async with emulator.client(0, throttle=throttle) as client:
        views = [client.with_options(access_token=emulator.mint_token(i))
                 for i in range(len(emulator.sellers))]

        async def one(seller: int) -> None:
            try:
                await views[seller].request("GET", "/me")
            except RateLimitedError as error:
                failures.append(str(error.reason))

        async with anyio.create_task_group() as tg:
            for i in range(per_seller * len(views)):
                tg.start_soon(one, i % len(views))
    return failures


@pytest.mark.parametrize("cap", range(1, 11))
async def test_sellers_at_their_parallel_caps_complete_without_closing_the_gate(
        cap: int) -> None:
    emulator = Emulator(EmulatorConfig(sellers=SELLERS, time_scale=10, limits=LimitsConfig(
        latency=LATENCY, user_parallel=cap)))
    events: list[str] = []
    throttle = scaled_throttle(emulator, events)
    start = emulator.clock.monotonic()
    failures = await run_sellers(emulator, throttle, PER_SELLER)
    elapsed = emulator.clock.monotonic() - start
    assert failures == []
    assert emulator.stats.route("GET", "/me") == (
        SELLERS * PER_SELLER + emulator.stats.rate_limited["user_parallel"])
    # The emulator never blocked the app, and the client never thought it had.
    assert set(emulator.stats.rate_limited) <= {"user_parallel"}
    assert "gate_closed" not in events
    assert throttle.gate.blocks == 0
    if cap < 8:  # the client's start; below it the seller's cap is found by its 429s
        assert emulator.stats.rate_limited["user_parallel"] >= SELLERS
        assert all(throttle.user(s.id).slots.capacity <= cap + 1 for s in emulator.sellers)
    ideal = PER_SELLER * LATENCY / cap
    print(f"cap {cap}: {elapsed:.2f} emulated s, ideal {ideal:.2f} s, "
          f"{emulator.stats.rate_limited['user_parallel']} per-user 429s")


async def test_sellers_with_many_in_flight_each_when_the_app_is_blocked_close_the_gate() -> None:
    # Every seller has several requests in flight when the block starts, so each 429 alone
    # might be its seller's cap; once none of a seller's requests is being served any more,
    # the next 429 is no seller's limit.
    emulator = Emulator(EmulatorConfig(sellers=SELLERS, time_scale=60, limits=LimitsConfig(
        latency=0.5)))
    events: list[str] = []
    throttle = scaled_throttle(emulator, events)
    async with emulator.client(0, throttle=throttle) as client:
        views = [client.with_options(access_token=emulator.mint_token(i))
                 for i in range(SELLERS)]
        async with anyio.create_task_group() as tg:
            for i in range(SELLERS * 30):
                tg.start_soon(views[i % SELLERS].request, "GET", "/me")
            await anyio.wait_all_tasks_blocked()  # 8 per seller at the emulator, the rest queued
            emulator.limits.block_app(60)
    assert events.count("gate_closed") >= 1
    assert emulator.stats.route("GET", "/me") == SELLERS * 30 + emulator.stats.responses_429
    # Each seller's requests were at most its slots (8), each 429'd once, and a retry or
    # two before the gate closed; not one a second for the whole minute (A1).
    assert emulator.stats.requests_during_block <= SELLERS * 8 * 2


async def test_an_app_over_its_s1_limit_still_closes_the_gate() -> None:
    # The emulator's S1 (60/min, bursts of 5) is far below the throttle's (9000/min): its
    # 429s are app blocks, whoever got them and however many each seller had in flight. The
    # first wave (8 per seller at once) is over the burst however slowly the machine runs.
    emulator = Emulator(EmulatorConfig(sellers=SELLERS, time_scale=10, limits=LimitsConfig(
        latency=0.2, app_rate=60, app_burst=5, block_seconds=5)))
    events: list[str] = []
    throttle = scaled_throttle(emulator, events, retry_429_for=600, block_seconds=5)
    failures = await run_sellers(emulator, throttle, 4)
    assert failures == []
    assert emulator.stats.rate_limited["app_rate"] >= 1
    assert events.count("gate_closed") >= 1
    blocks = throttle.gate.blocks
    assert blocks >= 1
    # Once the gate closed, only probes went into a block: the requests sent during blocks
    # stay within the sellers' slots and a retry each, not one per request per second.
    assert emulator.stats.requests_during_block <= SELLERS * 8 * 2 + 2 * blocks
