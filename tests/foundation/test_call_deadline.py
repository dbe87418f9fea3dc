"""``timeout=`` in seconds as a deadline for the whole of a call, and the other per-call options
(``extra_headers``, ``extra_query``, ``max_retries``), on the client and on the services.

The timing tests run on trio's virtual clock (``MockClock(autojump_threshold=0)``): time moves
only when every task waits, so "ends at 2 s" is exact and nothing sleeps for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx
import pytest
import trio
import trio.testing

from allegro_async import AllegroClient, RetryPolicy
from allegro_async.errors import (
    DeadlineExceededError,
    InvalidArgumentError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from allegro_async.testing import Emulator
from allegro_async.throttle import Throttle
from allegro_async.throttle.transport import DEADLINE

T = TypeVar("T")
TOKEN = Emulator().mint_token(0)
ME = b'{"id": "1", "login": "seller-1"}'


def on_virtual_clock(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` on trio with a clock that jumps whenever every task waits; a call left
    unbounded fails after an hour of that time instead of hanging the suite."""

    async def bounded() -> T:
        with trio.fail_after(3600):
            return await main()

    return trio.run(bounded, clock=trio.testing.MockClock(autojump_threshold=0))


class Scripted(httpx.AsyncBaseTransport):
    """Answers every request with ``answer(request)``; counts and keeps what it was sent."""

    def __init__(self, answer: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.answer(request)


class Trickle(httpx.AsyncByteStream):
    """A body that comes one byte every half second."""

    def __init__(self, size: int) -> None:
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.size):
            await anyio.sleep(0.5)
            yield b" "


async def hang(request: httpx.Request) -> httpx.Response:
    await anyio.sleep_forever()
    raise AssertionError("unreachable")


async def me(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=ME, headers={"Content-Type": "application/json"})


def client_for(transport: httpx.AsyncBaseTransport, **kwargs: Any) -> AllegroClient:
    return AllegroClient(access_token=TOKEN, transport=transport, **kwargs)


# -- the deadline bounds every part of a call --------------------------------------------------
def test_a_trickled_body_ends_at_the_deadline() -> None:
    async def trickled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle(60))  # 30 s of body, 0.5 s per read

    async def main() -> tuple[float, DeadlineExceededError]:
        async with client_for(Scripted(trickled)) as client:
            with pytest.raises(DeadlineExceededError) as info:
                await client.request("GET", "/me", timeout=2)
        return trio.current_time(), info.value

    took, error = on_virtual_clock(main)
    assert took == pytest.approx(2.0)  # not the 30 s the body takes, nor 0.5 s per read
    assert isinstance(error, RequestTimeoutError)
    assert error.waiting_for == "the rest of the response body" and error.sent is True
    assert "2 s deadline" in str(error) and "may or may not have been processed" in str(error)


def test_slow_503s_stop_at_the_deadline() -> None:
    async def slow_503(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(1.5)
        return httpx.Response(503, json={"errors": [{"code": "ServiceUnavailable"}]})

    transport = Scripted(slow_503)
    policy = RetryPolicy(max_retries=10, backoff=0.0, clock=trio.current_time)

    async def main() -> tuple[float, DeadlineExceededError]:
        async with client_for(transport, retry=policy) as client:
            with pytest.raises(DeadlineExceededError) as info:
                await client.request("GET", "/me", timeout=4)
        return trio.current_time(), info.value

    took, error = on_virtual_clock(main)
    assert took == pytest.approx(4.0)  # the third attempt, in flight at 4 s, is cut there
    assert len(transport.requests) == 3  # answered at 1.5 and 3.0; none started after 4 s
    assert error.waiting_for == "Allegro's answer" and error.sent is True


def test_no_retry_starts_at_the_deadline() -> None:
    async def slow_503(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(2.0)
        return httpx.Response(503)

    transport = Scripted(slow_503)
    policy = RetryPolicy(max_retries=10, backoff=0.0, clock=trio.current_time)

    async def main() -> float:
        async with client_for(transport, retry=policy) as client:
            with pytest.raises((ServerError, DeadlineExceededError)):
                await client.request("GET", "/me", timeout=4)
        return trio.current_time()

    assert on_virtual_clock(main) == pytest.approx(4.0)
    assert len(transport.requests) == 2  # the answer at 4 s is the call's: no third attempt


def test_a_hanging_token_refresh_is_bounded_and_sees_the_deadline() -> None:
    seen: list[object] = []

    class Refreshing(httpx.Auth):
        async def async_auth_flow(self, request: httpx.Request) -> Any:
            seen.append(request.extensions.get(DEADLINE))
            await anyio.sleep_forever()  # a token endpoint that never answers
            yield request

    transport = Scripted(me)

    async def main() -> tuple[float, DeadlineExceededError]:
        async with AllegroClient(auth=Refreshing(), transport=transport) as client:
            with pytest.raises(DeadlineExceededError) as info:
                await client.request("GET", "/me", timeout=3)
        return trio.current_time(), info.value

    took, error = on_virtual_clock(main)
    assert took == pytest.approx(3.0)
    assert seen == [3.0]  # the auth flow can bound its own refresh by it
    assert error.sent is False and "authentication" in error.waiting_for
    assert "nothing was sent" in str(error)
    assert transport.requests == []


def test_user_me_with_a_timeout_is_bounded() -> None:
    async def main() -> float:
        async with client_for(Scripted(hang)) as client:
            with pytest.raises(DeadlineExceededError):
                await client.user.me(timeout=5)
        return trio.current_time()

    assert on_virtual_clock(main) == pytest.approx(5.0)


def test_a_walk_bounds_each_page_by_the_timeout() -> None:
    async def main() -> float:
        async with client_for(Scripted(hang)) as client:
            with pytest.raises(DeadlineExceededError):
                async for _ in client.orders.list(timeout=1.5):
                    pass
        return trio.current_time()

    assert on_virtual_clock(main) == pytest.approx(1.5)


@pytest.mark.parametrize("how", ["constructor", "with_options"])
def test_seconds_as_the_clients_timeout_are_every_calls_deadline(how: str) -> None:
    async def main() -> float:
        if how == "constructor":
            client = client_for(Scripted(hang), timeout=3)
        else:
            client = client_for(Scripted(hang)).with_options(timeout=3)
        async with client:
            with pytest.raises(DeadlineExceededError) as info:
                await client.user.me()
        assert info.value.timeout == 3
        return trio.current_time()

    assert on_virtual_clock(main) == pytest.approx(3.0)


def test_an_httpx_timeout_bounds_http_phases_only() -> None:
    client = client_for(Scripted(me), timeout=httpx.Timeout(3))
    assert DEADLINE not in client.build_request("GET", "/me").extensions
    per_call = client.build_request("GET", "/me", timeout=4).extensions
    assert per_call[DEADLINE] == 4
    seconds = client_for(Scripted(me), timeout=3)
    assert seconds.build_request("GET", "/me").extensions[DEADLINE] == 3
    assert DEADLINE not in seconds.build_request(
        "GET", "/me", timeout=None).extensions  # None: no deadline for this call


async def test_user_me_with_a_timeout_returns_within_it_during_an_app_block() -> None:
    # A FastAPI handler's client.user.me(timeout=5) must not wait out a 60 s block (A1).
    emulator = Emulator(time_scale=120)
    throttle = Throttle(clock=emulator.clock.monotonic, sleep=emulator.clock.sleep)
    async with emulator.client(0, throttle=throttle) as client:
        emulator.limits.block_app(60)
        await client.request("GET", "/me")  # finds the block and waits it out
        emulator.limits.block_app(60)
        sent = emulator.stats.requests
        start = emulator.clock.monotonic()
        with pytest.raises(RateLimitedError) as info:
            await client.user.me(timeout=5)
        took = emulator.clock.monotonic() - start
    assert took < 5  # emulated seconds
    assert emulator.stats.requests == sent + 1  # only the request that found the block
    assert info.value.blocked_for is not None and info.value.blocked_for > 5


# -- max_retries, extra_headers, extra_query -----------------------------------------------------
async def _no_sleep(seconds: float) -> None:
    return None


@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (1, 2)])
async def test_max_retries_per_call(max_retries: int, attempts: int) -> None:
    async def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    transport = Scripted(unavailable)
    async with client_for(transport, retry=RetryPolicy(max_retries=3, sleep=_no_sleep)) as c:
        with pytest.raises(ServerError):
            await c.request("GET", "/me", max_retries=max_retries)
        assert len(transport.requests) == attempts
        with pytest.raises(ServerError):
            await c.user.me(max_retries=max_retries)
        assert len(transport.requests) == 2 * attempts


async def test_extra_headers_and_query_reach_the_wire() -> None:
    transport = Scripted(me)
    async with client_for(transport, accept_language="pl-PL") as client:
        await client.request("GET", "/me", params={"a": "1"}, extra_query={"b": 2},
                             extra_headers={"X-Trace": "t1", "accept-language": None,
                                            "User-Agent": None})
        found = await client.user.me(extra_headers={"X-Trace": "t2"},
                                     extra_query={"new.param": "x"})
    first, second = transport.requests
    assert dict(first.url.params) == {"a": "1", "b": "2"}
    assert first.headers["X-Trace"] == "t1"
    assert "accept-language" not in first.headers and "user-agent" not in first.headers
    assert second.headers["X-Trace"] == "t2" and second.url.params["new.param"] == "x"
    assert second.headers["accept-language"] == "pl-PL"
    assert found.login == "seller-1"


async def test_options_pass_to_every_page_of_a_walk() -> None:
    emulator = Emulator()
    seen: list[httpx.Request] = []
    inner = emulator.transport()

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return await inner.handle_async_request(request)

    async with emulator.client(0, transport=Spy()) as client:
        forms = [f async for f in client.orders.list(page_size=1, extra_headers={"X-Walk": "w"},
                                                     max_retries=0)]
    pages = [r for r in seen if r.url.path.endswith("/order/checkout-forms")]
    assert len(pages) >= 2 and len(pages) > len(forms) // 2
    assert all(r.headers.get("X-Walk") == "w" for r in pages)


@pytest.mark.parametrize(("options", "field"), [
    ({"timeout": -1}, "timeout"),
    ({"timeout": True}, "timeout"),
    ({"timeout": float("nan")}, "timeout"),
    ({"max_retries": -1}, "max_retries"),
    ({"extra_headers": {"X-A": 1}}, "extra_headers"),
    ({"extra_query": ["a"]}, "extra_query"),
])
async def test_bad_options_are_refused_before_anything_is_sent(
        options: dict[str, Any], field: str) -> None:
    transport = Scripted(me)
    async with client_for(transport) as client:
        with pytest.raises(InvalidArgumentError) as direct:
            await client.request("GET", "/me", **options)
        with pytest.raises(InvalidArgumentError) as service:
            await client.user.me(**options)
    assert direct.value.field == field and service.value.field == field
    assert transport.requests == []


async def test_an_unknown_option_of_a_service_is_named() -> None:
    transport = Scripted(me)
    async with client_for(transport) as client:
        with pytest.raises(InvalidArgumentError) as info:
            await client.user.me(timout=5)  # type: ignore[call-arg]
    assert info.value.field == "timout" and "timeout" in info.value.fix
    assert transport.requests == []


def test_a_layer_below_can_ask_how_much_of_the_deadline_is_left() -> None:
    from allegro_async._deadline import remaining

    left: list[float | None] = []

    async def answer_late(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(1.25)
        left.append(remaining(request))
        return httpx.Response(200, content=ME)

    async def main() -> None:
        async with client_for(Scripted(answer_late)) as client:
            await client.request("GET", "/me", timeout=5)
            await client.request("GET", "/me")

    on_virtual_clock(main)
    assert left == [pytest.approx(3.75), None]


def test_the_deadline_error_pickles_with_what_it_says() -> None:
    import pickle

    error = DeadlineExceededError(method="GET", path="/me", timeout=2.5,
                                  waiting_for="Allegro's answer", sent=None)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and "may or may not have reached Allegro" in str(copy)
    assert (copy.timeout, copy.waiting_for, copy.sent) == (2.5, "Allegro's answer", None)
