"""The app-wide probe (A1) is admitted by the shared S1 bucket like any request: it may skip
the block check (it is the one request meant to go into the block), not the budget."""

from __future__ import annotations

import httpx
import pytest

from allegro_async.throttle import ThrottledTransport
from allegro_async.throttle.redis import RedisThrottle

pytestmark = pytest.mark.redis


async def test_probe_is_admitted_by_the_shared_bucket_skipping_only_the_block(
        redis_client: object) -> None:
    throttle = RedisThrottle(redis_client, client_id="probe")
    admits: list[tuple[bool, int]] = []
    admit = throttle.shared.admit

    async def spy(interval_us: float, capacity: float, cost: float,
                  ignore_block: bool, count: int = 1) -> tuple[int, float]:
        admits.append((ignore_block, count))
        return await admit(interval_us, capacity, cost, ignore_block, count)

    throttle.shared.admit = spy  # type: ignore[method-assign]
    # A block whose time is over (in Redis and here): the next request goes as the probe.
    now_us = int((await redis_client.time())[0]) * 1_000_000  # type: ignore[attr-defined]
    await redis_client.set("allegro-async:probe:block", str(now_us - 1))  # type: ignore[attr-defined]
    throttle.gate.state = "closed"
    throttle.gate.closed_until = throttle.clock() - 1
    transport = ThrottledTransport(httpx.MockTransport(lambda r: httpx.Response(200)), throttle)
    response = await transport.handle_async_request(httpx.Request("GET", "https://x.test/me"))
    await response.aclose()
    await throttle.flush()
    assert throttle.gate.state == "open"
    # the probe spent the shared budget, past the block check, and reserved nothing more
    assert admits == [(True, 1)]
    assert await redis_client.exists("allegro-async:probe:bucket") == 1  # type: ignore[attr-defined]
