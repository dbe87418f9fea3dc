"""The gate under cancellation, deadlines while queued, token requests, and the 429 classifier,
on virtual time with fake servers."""

from __future__ import annotations

import anyio
import httpx
import pytest

from allegro_async.errors import RateLimitedError
from allegro_async.testing import Emulator
from allegro_async.throttle import APP_KEY, ThrottledTransport
from tests.throttle._virtual import BlockingServer, Stalling, VirtualClock, throttle_on

API = "https://api.allegro.pl"
EMULATOR = Emulator()
TOKENS = [EMULATOR.mint_token(i) for i in range(3)]


def get(token: str | None = TOKENS[0], path: str = "/me") -> httpx.Request:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Request("GET", f"{API}{path}", headers=headers)


class HeldServer(httpx.AsyncBaseTransport):
    """Holds every request until ``release`` is set."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.arrived = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.arrived += 1
        await self.release.wait()
        return httpx.Response(200, json={})


async def test_probe_cancelled_while_waiting_for_its_user_slot_frees_the_gate() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, user_parallel=1)
    server = HeldServer()
    transport = ThrottledTransport(server, throttle)
    async with anyio.create_task_group() as tg:
        tg.start_soon(transport.handle_async_request, get())  # holds the user's only slot
        await anyio.wait_all_tasks_blocked()
        throttle.gate.close(0)  # block over at once: the next request becomes the probe
        with anyio.CancelScope() as scope:
            tg.start_soon(transport.handle_async_request, get())
            await anyio.wait_all_tasks_blocked()
            assert throttle.gate._probe_out  # it is the probe, queued for the user slot
            scope.cancel()
        # A cancel scope does not reach tasks started in tg: cancel the prober directly.
        tg.cancel_scope.cancel()
    assert not throttle.gate._probe_out
    server.release.set()
    with anyio.fail_after(5):  # a guard, not a synchronisation: it must go out at once
        response = await transport.handle_async_request(get(TOKENS[1]))
    assert response.status_code == 200
    assert throttle.gate.state == "open"


class FailingBody(httpx.AsyncByteStream):
    async def __aiter__(self):  # type: ignore[no-untyped-def]
        raise httpx.ReadError("connection dropped")
        yield b""  # pragma: no cover


class Broken429(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, stream=FailingBody())


async def test_probe_whose_429_body_fails_to_read_reports_the_probe() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock)
    transport = ThrottledTransport(Broken429(), throttle)
    throttle.gate.close(0)
    with pytest.raises(httpx.ReadError):
        await transport.handle_async_request(get())
    assert not throttle.gate._probe_out
    assert throttle.in_flight.in_use == 0
    assert throttle.user(throttle.user_key(get())).slots.in_use == 0


async def test_queued_requests_give_up_at_the_deadline_not_one_per_block() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, retry_429_for=180, block_seconds=60)
    server = BlockingServer(clock, blocked_until=10**9, extend=60)
    transport = ThrottledTransport(server, throttle)
    throttle.gate.close(60)
    outcomes: list[tuple[float, str | None]] = []
    done = anyio.Event()

    async def one(i: int) -> None:
        try:
            await transport.handle_async_request(get(TOKENS[i % 3]))
        except RateLimitedError as error:
            outcomes.append((clock(), error.reason))

    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive, done)
        async with anyio.create_task_group() as inner:
            for i in range(40):
                inner.start_soon(one, i)
        done.set()
    assert len(outcomes) == 40
    assert max(t for t, _ in outcomes) <= 180 + 60  # the deadline, plus one probe's block
    assert {reason for _, reason in outcomes} == {"app_block"}
    assert server.received <= 4  # only probes reached the server: one per block period


async def test_when_the_block_lifts_every_waiter_goes_through_the_bucket_at_once() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, rate=9000, per=60, burst=20, max_in_flight=100,
                           user_parallel=100)
    server = BlockingServer(clock, blocked_until=50)
    transport = ThrottledTransport(server, throttle)
    throttle.gate.close(60)
    finished: list[float] = []
    done = anyio.Event()

    async def one(i: int) -> None:
        await transport.handle_async_request(get(TOKENS[i % 3]))
        finished.append(clock())

    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive, done)
        async with anyio.create_task_group() as inner:
            for i in range(60):
                inner.start_soon(one, i)
        done.set()
    assert len(finished) == 60
    # One probe at t=60, then 59 at the S1 rate (150/s after a burst of 20): about 0.27 s,
    # where one waiter per block period would take 59 minutes.
    assert max(finished) <= 60 + (60 - 20) / 150 + 0.01
    assert server.received == 60


class TokenEndpoint(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return httpx.Response(429, json={"error": "too_many_requests"})


async def test_a_429_from_the_token_endpoint_never_closes_the_gate() -> None:
    throttle = throttle_on(VirtualClock())
    server = TokenEndpoint()
    transport = ThrottledTransport(server, throttle)
    request = httpx.Request("POST", "https://allegro.pl/auth/oauth/token",
                            headers={"Authorization": "Basic Y2xpZW50OnNlY3JldA=="})
    response = await transport.handle_async_request(request)
    assert response.status_code == 429  # handed to the auth flow as it is, not retried
    assert server.calls == 1
    assert throttle.gate.state == "open"
    assert transport.metrics.responses_429 == {"token": 1}
    # And a closed gate does not hold token requests either.
    throttle.gate.close(60)
    assert (await transport.handle_async_request(request)).status_code == 429


def test_a_lone_429_is_an_app_block_except_on_adaptive_paths() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, signal_window=5)
    a, b = (throttle.user_key(get(t)) for t in TOKENS[:2])
    # One request in flight: no parallel cap to blame (S2), so the app is blocked (A1).
    assert throttle.classify(a, 1, "/me") == "app_block"
    clock.now = 10
    # /sale/products adapts its per-user limit (A2): a lone 429 there is that seller's...
    assert throttle.classify(a, 1, "/sale/products") == "user_limit"
    clock.now = 11
    # ...until the same seller's second 429 within the window confirms a block.
    assert throttle.classify(a, 1, "/sale/products") == "app_block"
    clock.now = 30
    assert throttle.classify(a, 1, "/sale/products") == "user_limit"
    clock.now = 31
    # Another seller's lone 429 there within the window: no one seller explains both.
    assert throttle.classify(b, 1, "/sale/products") == "app_block"
    clock.now = 50
    # Several in flight: the seller's parallel cap explains it (S2), for either seller.
    assert throttle.classify(a, 3, "/order/checkout-forms") == "user_limit"
    clock.now = 51
    assert throttle.classify(b, 3, "/order/checkout-forms") == "user_limit"
    assert throttle.classify(APP_KEY, 4, "/sale/categories") == "app_block"
    clock.now = 100
    no_adaptive = throttle_on(clock, signal_window=5, adaptive_paths=())
    assert no_adaptive.classify(a, 1, "/sale/products") == "app_block"


def test_recent_429s_stay_bounded_with_many_sellers() -> None:
    clock = VirtualClock()
    throttle = throttle_on(clock, signal_window=1)
    for i in range(10_000):
        clock.now = float(i)
        throttle.classify(f"seller-{i}", 4)
    assert len(throttle._recent_user_429) <= 65


async def test_metrics_wait_seconds_are_real_seconds_per_request() -> None:
    emulator = Emulator(time_scale=1000)
    throttle = throttle_on(VirtualClock())
    async with emulator.client(0, throttle=throttle) as client:
        for _ in range(5):
            await client.request("GET", "/me")
    metrics = client.transport.metrics  # type: ignore[attr-defined]
    snap = metrics.snapshot()
    assert snap["sent"] == 5 and metrics.waited_requests == 5
    # Nothing queued: each request waited microseconds of real time, not emulated minutes.
    assert 0 <= snap["wait_seconds"] < 0.5
    assert metrics.mean_wait == pytest.approx(metrics.wait_seconds / 5)


async def test_retry_closes_a_503_whose_body_read_is_cancelled() -> None:
    from allegro_async.retry import RetryPolicy, RetryTransport

    body = Stalling()

    class Server(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(503, stream=body)

    clock = VirtualClock()
    throttle = throttle_on(clock)
    transport = RetryTransport(ThrottledTransport(Server(), throttle), RetryPolicy())
    async with anyio.create_task_group() as tg:
        tg.start_soon(transport.handle_async_request, get())
        await body.reading.wait()
        tg.cancel_scope.cancel()
    assert body.closed
    assert throttle.in_flight.in_use == 0
    assert throttle.user(throttle.user_key(get())).slots.in_use == 0
