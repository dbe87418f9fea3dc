"""Per-call deadlines (the ``allegro_deadline`` request extension): they bound the whole
call, waiting at a closed app gate (A1), in the throttle's queues and between 429 retries
included; a block known to outlast the deadline fails the call at once."""

from __future__ import annotations

import anyio
import httpx
import pytest

from allegro_async.errors import DeadlineExceededError, InvalidArgumentError, RateLimitedError
from allegro_async.testing import Emulator
from allegro_async.throttle import Throttle, ThrottledTransport
from allegro_async.throttle.transport import DEADLINE
from tests.throttle._virtual import BlockingServer, VirtualClock, throttle_on

EMULATOR = Emulator()
TOKEN = EMULATOR.mint_token(0)


def get(deadline: object = None) -> httpx.Request:
    extensions = {} if deadline is None else {DEADLINE: deadline}
    return httpx.Request("GET", "https://api.allegro.pl/me", extensions=extensions,
                         headers={"Authorization": f"Bearer {TOKEN}"})


def scaled_throttle(emulator: Emulator, **kwargs: object) -> Throttle:
    return Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep, **kwargs)  # type: ignore[arg-type]


async def test_a_block_that_outlasts_the_deadline_fails_the_call_at_once() -> None:
    emulator = Emulator(time_scale=120)  # a 60 s block lasts 0.5 s
    throttle = scaled_throttle(emulator)
    async with emulator.client(0, throttle=throttle) as client:
        emulator.limits.block_app(60)
        first = await client.request("GET", "/me")  # finds the block, waits it out
        emulator.limits.block_app(60)
        with pytest.raises(RateLimitedError):  # finds the block, gives up at once
            await client.request("GET", "/me", extensions={DEADLINE: 1})
        sent = emulator.stats.requests
        start = emulator.clock.monotonic()
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/me", extensions={DEADLINE: 10})
        took = emulator.clock.monotonic() - start
    assert first["login"] == "seller-1"
    assert emulator.stats.requests == sent  # nothing more was sent into the block
    assert info.value.reason == "app_block"
    assert info.value.blocked_for is not None and 50 < info.value.blocked_for <= 60
    assert info.value.waited is not None and info.value.waited < 5
    assert took < 5  # emulated seconds; without the deadline it waited out the block


async def test_a_deadline_longer_than_the_block_waits_and_succeeds() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, block_seconds=60)
    server = BlockingServer(clock, blocked_until=60)
    transport = ThrottledTransport(server, throttle)
    throttle.gate.close(60)
    done = anyio.Event()
    results: list[int] = []

    async def one() -> None:
        results.append((await transport.handle_async_request(get(deadline=90))).status_code)

    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive, done)
        await one()
        done.set()
    assert results == [200]
    assert clock() == pytest.approx(60)


async def test_a_deadline_bounds_waiting_for_the_users_slot() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, user_parallel=1)
    release = anyio.Event()

    class Held(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await release.wait()
            return httpx.Response(200, json={})

    transport = ThrottledTransport(Held(), throttle)
    outcome: list[tuple[float, str, bool | None]] = []
    done = anyio.Event()

    async def second() -> None:
        try:
            await transport.handle_async_request(get(deadline=5))
        except DeadlineExceededError as error:
            outcome.append((clock(), error.waiting_for, error.sent))

    async def first() -> None:
        response = await transport.handle_async_request(get())  # holds the only slot
        await response.aclose()

    async with anyio.create_task_group() as tg:
        tg.start_soon(first)
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(clock.drive, done)
        await second()
        done.set()
        release.set()
    assert outcome == [(5, "a place in the client's throttle (per-user slots or buckets)",
                        False)]
    user = throttle.user(throttle.user_key(get()))
    assert user.slots.in_use == 0 and not user.slots._waiters


async def test_a_deadline_stops_retrying_per_user_429s_before_retry_429_for() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, retry_429_for=180, signal_window=0.1,
                           adaptive_paths=(r"/me",))  # every lone 429 here is the user's

    class Refusing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(429, json={"errors": [{"code": "RateLimitExceedException"}]})

    transport = ThrottledTransport(Refusing(), throttle)
    done = anyio.Event()
    errors: list[RateLimitedError] = []

    async def one() -> None:
        try:
            await transport.handle_async_request(get(deadline=7))
        except RateLimitedError as error:
            errors.append(error)

    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive, done)
        await one()
        done.set()
    assert len(errors) == 1 and errors[0].reason == "user_limit"
    assert clock() == pytest.approx(7)
    assert throttle.gate.state == "open"


@pytest.mark.parametrize("bad", [-1, "soon", True])
async def test_a_bad_deadline_is_refused_before_anything_is_sent(bad: object) -> None:
    clock = VirtualClock()
    server = BlockingServer(clock)
    transport = ThrottledTransport(server, throttle_on(clock))
    with pytest.raises(InvalidArgumentError, match="allegro_deadline"):
        await transport.handle_async_request(get(deadline=bad))
    assert server.received == 0


async def test_a_per_call_timeout_is_the_calls_deadline_at_a_closed_gate() -> None:
    # A web handler passing timeout=5 must not hang for retry_429_for (180 s) in an app block.
    emulator = Emulator(time_scale=120)
    throttle = scaled_throttle(emulator)
    async with emulator.client(0, throttle=throttle) as client:
        emulator.limits.block_app(60)
        await client.request("GET", "/me")  # finds the block and waits it out (no deadline)
        emulator.limits.block_app(60)
        sent = emulator.stats.requests
        start = emulator.clock.monotonic()
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/me", timeout=5)
        took = emulator.clock.monotonic() - start
    assert emulator.stats.requests == sent + 1  # the one request that found the new block
    assert info.value.reason == "app_block"
    assert info.value.blocked_for is not None and info.value.blocked_for > 5
    assert took < 5
