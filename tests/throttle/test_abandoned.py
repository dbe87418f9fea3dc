"""Requests cancelled or timed out in flight: Allegro may still be serving them (the emulator
finishes them, ``LimitsConfig.finish_abandoned``), so their per-user slots stay taken for a
while, and the 429 that may still come is not mistaken for an app-wide block (A1)."""

from __future__ import annotations

import anyio
import httpx

from allegro_async.errors import RequestTimeoutError
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.throttle import Throttle
from tests.throttle._virtual import VirtualClock, throttle_on


def scaled_throttle(emulator: Emulator, events: list[str], **kwargs: object) -> Throttle:
    return Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep,  # type: ignore[arg-type]
                    on_event=lambda name, data: events.append(name), **kwargs)


def emulator_with_cap(latency: float, time_scale: float = 4) -> Emulator:
    # Emulated time runs on real time (scaled): latencies are long enough that cancelling
    # hundreds of tasks under load ends well before the emulator is done with the requests.
    return Emulator(EmulatorConfig(time_scale=time_scale, limits=LimitsConfig(
        user_parallel=3, latency=latency)))


async def cancel_many(emulator: Emulator, client: object, count: int) -> None:
    """Start ``count`` requests, and cancel them all while the emulator serves some."""
    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(client.request, "GET", "/me")  # type: ignore[attr-defined]
        # Every task is blocked: 3 at the emulator (its cap), the rest queued or backing off.
        await anyio.wait_all_tasks_blocked()
        assert emulator.limits.running(emulator.sellers[0].id) == 3
        tg.cancel_scope.cancel()


async def test_after_many_cancelled_requests_the_next_ones_complete_with_the_gate_open() -> None:
    # The emulator is done 6 s (3 s real) after the cancelled requests came in: time enough
    # to start and cancel 800 tasks on a loaded machine; their slots are held 7 s.
    emulator = emulator_with_cap(latency=6.0, time_scale=2)
    events: list[str] = []
    throttle = scaled_throttle(emulator, events, abandoned_busy_for=7)
    async with emulator.client(0, throttle=throttle) as client:
        await cancel_many(emulator, client, 800)
        seller = emulator.sellers[0].id
        assert emulator.limits.running(seller) == 3  # the emulator still serves them
        refused = emulator.stats.rate_limited["user_parallel"]
        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(client.request, "GET", "/me")
    assert "gate_closed" not in events and throttle.gate.blocks == 0
    metrics = client.transport.metrics  # type: ignore[attr-defined]
    assert metrics.responses_429["app_block"] == 0
    # The abandoned requests' slots were held until the emulator was done with them: the
    # new requests waited for them instead of being refused.
    assert emulator.stats.rate_limited["user_parallel"] == refused
    assert emulator.stats.rate_limited.keys() <= {"user_parallel"}


async def test_a_lone_429_just_after_abandoned_slots_are_given_back_is_the_users() -> None:
    # The slots are given back (0.5 s) before the emulator is done (1.5 s, real time): the
    # next request alone gets a per-user 429, which is that user's, not the app's; its retry
    # (2 s later) comes after the emulator is done.
    emulator = emulator_with_cap(latency=1.5, time_scale=1)
    events: list[str] = []
    throttle = scaled_throttle(emulator, events, abandoned_busy_for=0.5, user_backoff=2)
    async with emulator.client(0, throttle=throttle) as client:
        await cancel_many(emulator, client, 50)
        refused = emulator.stats.rate_limited["user_parallel"]
        me = await client.request("GET", "/me")
    assert me["login"] == "seller-1"
    assert emulator.stats.rate_limited["user_parallel"] > refused  # the lone 429 came
    assert "gate_closed" not in events
    assert client.transport.metrics.responses_429["app_block"] == 0  # type: ignore[attr-defined]


async def test_a_timed_out_request_keeps_its_slot_for_abandoned_busy_for() -> None:
    emulator = emulator_with_cap(latency=5.0, time_scale=20)
    throttle = scaled_throttle(emulator, [], abandoned_busy_for=30)
    async with emulator.client(0, throttle=throttle, retry=0) as client:
        try:
            await client.request("GET", "/me", timeout=0.01)  # real seconds: 0.2 emulated
        except RequestTimeoutError:
            pass
        user = throttle.user(emulator.sellers[0].id)
        assert user.slots.in_use == 1 and len(user.ghosts) == 1
        emulator.clock.advance(31)  # the throttle runs on this clock too
        throttle.reap(user)
    assert user.slots.in_use == 0 and not user.ghosts


class ConnectFails(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")


async def test_a_request_that_never_left_gives_its_slot_back_at_once() -> None:
    from allegro_async.throttle import ThrottledTransport

    throttle = throttle_on(VirtualClock())
    transport = ThrottledTransport(ConnectFails(), throttle)
    request = httpx.Request("GET", "https://api.allegro.pl/me")
    try:
        await transport.handle_async_request(request)
    except httpx.ConnectError:
        pass
    user = throttle.user(throttle.user_key(request))
    assert user.slots.in_use == 0 and not user.ghosts
