"""ThrottledTransport against the emulator: the A1 gate, per-user caps, sharing, metrics."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.errors import RateLimitedError
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.throttle import Throttle, ThrottledTransport


def scaled_throttle(emulator: Emulator, **kwargs: object) -> Throttle:
    """A throttle on the emulator's clock, so its 60 s block passes as fast as the emulator's."""
    return Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep, **kwargs)  # type: ignore[arg-type]


async def test_forced_block_sends_at_most_one_request_during_it_and_all_complete() -> None:
    emulator = Emulator(time_scale=120)  # a 60 s block lasts 0.5 s
    throttle = scaled_throttle(emulator)
    events: list[str] = []
    throttle.on_event = lambda name, data: events.append(name)
    async with emulator.client(0, throttle=throttle) as client:
        emulator.limits.block_app(60)
        first = await client.request("GET", "/me")  # 429 -> gate closes -> probe -> 200
        results = []

        async def one(i: int) -> None:
            results.append(await client.request("GET", "/me"))

        emulator.limits.block_app(60)
        async with anyio.create_task_group() as tg:
            tg.start_soon(one, 0)
            await anyio.wait_all_tasks_blocked()
            for i in range(1, 20):
                tg.start_soon(one, i)
    assert first["login"] == "seller-1"
    assert len(results) == 20
    # Two forced blocks, each found by one request alone in flight: per-user limits 429 only
    # parallel requests (S2), so that 429 is the app block; nothing else is sent into it (A1).
    assert emulator.stats.requests_during_block == 2
    metrics = client.transport.metrics  # type: ignore[attr-defined]
    assert metrics.responses_429["app_block"] == 2
    assert metrics.responses_429["user_limit"] == 0
    assert events.count("gate_closed") == 2 and events.count("gate_opened") == 2
    assert metrics.gate_state == "open"


async def test_block_longer_than_the_deadline_raises_rate_limited_with_waited() -> None:
    emulator = Emulator(time_scale=120)
    throttle = scaled_throttle(emulator, retry_429_for=30)
    async with emulator.client(0, throttle=throttle) as client:
        emulator.limits.block_app(10_000)
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/me")
    assert info.value.reason == "app_block"
    assert info.value.waited is not None and info.value.waited >= 30
    assert info.value.status_code == 429


async def test_per_user_parallel_429_cuts_that_users_cap_and_completes() -> None:
    emulator = Emulator(time_scale=100, limits=LimitsConfig(user_parallel=3, latency=1.0))
    throttle = scaled_throttle(emulator, user_parallel=6)
    async with emulator.client(0, throttle=throttle) as client, anyio.create_task_group() as tg:
        for _ in range(12):
            tg.start_soon(client.request, "GET", "/me")
    metrics = client.transport.metrics  # type: ignore[attr-defined]
    assert metrics.responses_429["user_limit"] >= 1
    assert metrics.responses_429["app_block"] == 0
    assert throttle.user(emulator.sellers[0].id).slots.capacity <= 3
    assert emulator.stats.route("GET", "/me") == 12 + emulator.stats.rate_limited["user_parallel"]


async def test_default_user_cap_keeps_a_burst_of_one_seller_under_the_emulators_cap() -> None:
    emulator = Emulator(time_scale=100, limits=LimitsConfig(latency=0.5))
    async with emulator.client(0) as client, anyio.create_task_group() as tg:
        for _ in range(30):
            tg.start_soon(client.request, "GET", "/me")
    assert emulator.stats.responses_429 == 0
    assert emulator.stats.peak_parallel[emulator.sellers[0].id] <= 8


class SteppingClock:
    """Time that moves only when the throttle sleeps: the bucket's level does not depend on
    how fast the machine runs the requests."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


async def test_one_throttle_shared_by_clients_spends_one_app_bucket() -> None:
    emulator = Emulator()
    clock = SteppingClock()
    throttle = Throttle(rate=6000, per=60, burst=5, clock=clock, sleep=clock.sleep)
    a, b = emulator.client(0, throttle=throttle), emulator.client(1, throttle=throttle)
    async with a, b:
        for _ in range(3):
            await a.request("GET", "/me")
            await b.request("GET", "/me")
    assert throttle.app_bucket.level > 4  # six requests drawn from one bucket of five (drained)
    assert {k for k in throttle._users} == {emulator.sellers[0].id, emulator.sellers[1].id}


async def test_views_share_the_throttle_and_key_by_their_own_token() -> None:
    emulator = Emulator(limits=LimitsConfig(user_parallel=1, latency=0.02))
    async with emulator.client(0) as client:
        view = client.with_options(access_token=emulator.mint_token(1))
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.request, "GET", "/me")
            tg.start_soon(view.request, "GET", "/me")
    assert emulator.stats.responses_429 == 0


async def test_slot_is_held_until_the_response_is_closed() -> None:
    emulator = Emulator()
    throttle = Throttle(max_in_flight=2)
    transport = ThrottledTransport(emulator.transport(), throttle)
    request = httpx.Request("GET", "http://allegro.emulator/me", headers={
        "Authorization": f"Bearer {emulator.mint_token(0)}"})
    response = await transport.handle_async_request(request)
    assert throttle.in_flight.in_use == 1
    await response.aread()
    await response.aclose()
    assert throttle.in_flight.in_use == 0


@respx.mock
async def test_throttle_false_sends_straight_through() -> None:
    route = respx.get("https://api.allegro.pl/me").respond(429, json={"errors": []})
    async with AllegroClient("t", throttle=False, retry=False) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/me")
    assert route.call_count == 1
    assert info.value.waited is None
