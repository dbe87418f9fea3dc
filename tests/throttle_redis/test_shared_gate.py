"""The shared A1 gate and the Redis-down fallback, with two throttles (two "processes") in
one event loop against the in-process emulator with a fast clock."""

from __future__ import annotations

import asyncio
import logging

import anyio
import pytest

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.redis_server import free_port
from allegro_async.throttle import metrics_of
from allegro_async.throttle.redis import RedisThrottle

pytestmark = pytest.mark.redis

SCALE = 300.0  # the emulator's 60 s block lasts 0.2 s of real time


async def test_block_seen_by_one_stops_the_other_and_one_probe_in_total(
        redis_client: object) -> None:
    emulator = Emulator(EmulatorConfig(time_scale=SCALE, sellers=2))
    # The throttles run on real time (Redis TIME): block a little longer than the emulator.
    closed = asyncio.Event()
    a, b = (RedisThrottle(redis_client, client_id="gate", block_seconds=0.3,
                          on_event=lambda name, _: closed.set() if name == "gate_closed" else None)
            for _ in range(2))
    # A uses an app token: its 429 is an app block at once (a seller's lone 429 needs a
    # second signal, see Throttle.classify).
    async with emulator.client(None, throttle=a) as ca, emulator.client(1, throttle=b) as cb:
        # Blocked right before A's request, which then extends the block (A1) to 60 s from it.
        emulator.limits.block_app()
        first = asyncio.ensure_future(ca.request_raw("GET", "/sale/delivery-methods"))
        with anyio.move_on_after(10):  # a guard against a hang, not a synchronisation
            await closed.wait()  # A saw its 429 ...
        assert closed.is_set(), (emulator.stats.snapshot(), metrics_of(ca).snapshot(), first)
        await a.flush()  # ... and told Redis
        assert b.gate.state == "open"  # B has not heard yet; its next admission tells it
        calls = [cb.request_raw("GET", "/me") for _ in range(5)]
        calls += [ca.request_raw("GET", "/sale/delivery-methods") for _ in range(5)]
        responses = await asyncio.gather(first, *calls)
        await a.flush()
        await b.flush()
    assert [r.status_code for r in responses] == [200] * 11
    # B never sent into the block: it learned of it from Redis, not from a 429.
    assert dict(metrics_of(cb).responses_429) == {}
    assert b.gate.blocks == 1
    # Only A's first request hit the block; exactly one probe (A's or B's) reopened it.
    assert emulator.stats.responses_429 == 1
    assert emulator.stats.requests_during_block == 1
    assert await redis_client.exists("allegro-async:gate:block") == 0  # type: ignore[attr-defined]


async def test_redis_down_fails_open_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    emulator = Emulator(EmulatorConfig(time_scale=SCALE))
    throttle = RedisThrottle(f"redis://127.0.0.1:{free_port()}/0", processes=2,
                             redis_retry_after=60)
    with caplog.at_level(logging.WARNING, logger="allegro_async.throttle.redis"):
        async with emulator.client(0, throttle=throttle) as client:
            responses = await asyncio.gather(*(client.request_raw("GET", "/me")
                                               for _ in range(20)))
    await throttle.aclose()
    assert [r.status_code for r in responses] == [200] * 20
    assert throttle.shared.down and throttle.shared.errors == 1  # one try, then local
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "falling back" in warnings[0].getMessage()
    assert "redis://" not in warnings[0].getMessage()


async def test_redis_down_fail_closed_holds_requests() -> None:
    emulator = Emulator(EmulatorConfig(time_scale=SCALE))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= 3:
            raise asyncio.CancelledError  # stop the test's wait here, deterministically
        await asyncio.sleep(0)

    throttle = RedisThrottle(f"redis://127.0.0.1:{free_port()}/0", on_redis_error="closed",
                             redis_retry_after=5, sleep=sleep)
    async with emulator.client(0, throttle=throttle) as client:
        with pytest.raises(asyncio.CancelledError):
            await client.request_raw("GET", "/me")
    await throttle.aclose()
    assert emulator.stats.requests == 0  # nothing was sent while Redis was down
    assert slept and slept[0] == pytest.approx(5, abs=0.5)
