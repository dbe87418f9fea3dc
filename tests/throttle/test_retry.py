"""The retry layer: what is retried, how long it waits, and Retry-After."""

from __future__ import annotations

import email.utils

import httpx
import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.errors import ConnectError, ProtocolError, ServerError
from allegro_async.retry import RetryPolicy
from allegro_async.testing import Emulator

API = "https://api.allegro.pl"


def policy(waits: list[float], **kwargs: object) -> RetryPolicy:
    async def record(seconds: float) -> None:
        waits.append(seconds)

    return RetryPolicy(sleep=record, random=lambda: 1.0, **kwargs)  # type: ignore[arg-type]


@respx.mock
async def test_get_is_retried_on_503_with_capped_exponential_backoff() -> None:
    route = respx.get(f"{API}/me").mock(side_effect=[httpx.Response(503)] * 3 + [
        httpx.Response(200, json={"id": "1"})])
    waits: list[float] = []
    async with AllegroClient("t", retry=policy(waits, backoff=1, max_backoff=3)) as client:
        assert await client.request("GET", "/me") == {"id": "1"}
    assert route.call_count == 4
    assert waits == [1, 2, 3]
    assert client.transport.metrics.retries == 3  # type: ignore[attr-defined]


@respx.mock
async def test_command_put_is_retried_with_the_same_command_id_on_connect_error() -> None:
    path = f"{API}/sale/offer-price-change-commands/cmd-1"
    route = respx.put(path).mock(side_effect=[httpx.ConnectError("refused"),
                                              httpx.Response(201, json={"id": "cmd-1"})])
    async with AllegroClient("t", retry=policy([])) as client:
        await client.request("PUT", "/sale/offer-price-change-commands/cmd-1", json={})
    assert route.call_count == 2
    assert all(c.request.url.path.endswith("cmd-1") for c in route.calls)


@respx.mock
async def test_post_is_not_retried_unless_marked_safe() -> None:
    route = respx.post(f"{API}/sale/product-offers").mock(
        side_effect=[httpx.Response(502), httpx.Response(502), httpx.Response(201, json={})])
    async with AllegroClient("t", retry=policy([])) as client:
        with pytest.raises(ServerError):
            await client.request("POST", "/sale/product-offers", json={})
        assert route.call_count == 1
        await client.request("POST", "/sale/product-offers", json={},
                             extensions={"allegro_retry_safe": True})
    assert route.call_count == 3


@respx.mock
async def test_retry_after_seconds_and_http_date_are_honoured_and_capped() -> None:
    later = email.utils.formatdate(usegmt=True)  # "now": waits ~0
    respx.get(f"{API}/me").mock(side_effect=[
        httpx.Response(503, headers={"Retry-After": "7"}),
        httpx.Response(503, headers={"Retry-After": "3600"}),
        httpx.Response(503, headers={"Retry-After": later}),
        httpx.Response(200, json={}),
    ])
    waits: list[float] = []
    async with AllegroClient("t", retry=policy(waits, max_retry_after=30)) as client:
        await client.request("GET", "/me")
    assert waits[:2] == [7, 30]
    assert 0 <= waits[2] <= 1


@respx.mock
async def test_max_retries_zero_turns_retries_off() -> None:
    route = respx.get(f"{API}/me").mock(side_effect=httpx.ConnectError("refused"))
    async with AllegroClient("t", retry=0) as client:
        with pytest.raises(ConnectError):
            await client.request("GET", "/me")
    assert route.call_count == 1


def test_full_jitter_stays_within_the_ceiling() -> None:
    p = RetryPolicy(backoff=0.5, max_backoff=4)
    assert all(0 <= p.backoff_for(a) <= min(4, 0.5 * 2 ** a) for a in range(10) for _ in range(20))


def test_retry_after_date_without_zone_is_utc_whatever_the_local_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 9110 dates are GMT; "-0000" parses to a naive datetime, which must not be taken as
    # local time (here UTC+9: the wait would be 9 hours off, then clamped to 0).
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        now = 1_700_000_000.0
        header = email.utils.formatdate(now + 20).replace("+0000", "-0000")
        assert header.endswith("-0000")
        response = httpx.Response(503, headers={"Retry-After": header})
        assert RetryPolicy().retry_after(response, now=now) == pytest.approx(20)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_backoff_for_a_late_attempt_is_the_cap_not_an_overflow() -> None:
    p = RetryPolicy(max_retries=5000, backoff=0.5, max_backoff=8, random=lambda: 1.0)
    assert p.backoff_for(1100) == 8


class Resetting(httpx.AsyncBaseTransport):
    """Raises ``errors[i]`` on request ``i`` (``None``: pass to ``inner``); counts requests."""

    def __init__(self, inner: httpx.AsyncBaseTransport, errors: dict[int, Exception]) -> None:
        self.inner = inner
        self.errors = errors
        self.calls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        error = self.errors.get(len(self.calls) - 1)
        if error is not None:
            raise error
        return await self.inner.handle_async_request(request)


class Answer(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "cmd-1"})


@pytest.mark.parametrize("error", [httpx.ReadError("reset by peer"),
                                   httpx.WriteError("broken pipe")])
async def test_get_and_put_are_retried_after_a_connection_reset(error: Exception) -> None:
    transport = Resetting(Answer(), {0: error, 2: error})
    async with AllegroClient("t", transport=transport, throttle=False,
                             retry=policy([])) as client:
        assert await client.request("GET", "/me") == {"id": "cmd-1"}
        await client.request("PUT", "/sale/offer-price-change-commands/cmd-1", json={})
    assert transport.calls == ["GET /me"] * 2 + ["PUT /sale/offer-price-change-commands/cmd-1"] * 2


async def test_post_is_retried_only_when_nothing_was_sent() -> None:
    transport = Resetting(Answer(), {0: httpx.ConnectError("refused"),
                                     2: httpx.ReadError("reset by peer")})
    async with AllegroClient("t", transport=transport, throttle=False,
                             retry=policy([])) as client:
        await client.request("POST", "/sale/product-offers", json={})  # refused, then sent
        with pytest.raises(ProtocolError):  # reset after sending: it may have been applied
            await client.request("POST", "/sale/product-offers", json={})
    assert len(transport.calls) == 3


async def test_an_orders_walk_survives_connection_resets() -> None:
    emulator = Emulator(time_scale=100)
    transport = Resetting(emulator.transport(), {1: httpx.ReadError("reset by peer"),
                                                 3: httpx.ReadError("reset by peer")})
    async with emulator.client(0, transport=transport,
                               retry=policy([], max_retries=2)) as client:
        walked = [form.id async for form in client.orders.list(page_size=10)]
        assert len(walked) == await client.orders.list().count()
    assert len(walked) > 20  # several pages, two of them reset once
    assert len(set(walked)) == len(walked)


class FailingBody(httpx.AsyncByteStream):
    async def __aiter__(self):  # type: ignore[no-untyped-def]
        raise httpx.ReadError("reset while reading the body")
        yield b""  # pragma: no cover


@respx.mock
async def test_a_503_whose_body_cannot_be_read_is_retried_like_any_503() -> None:
    route = respx.get(f"{API}/me").mock(side_effect=[
        httpx.Response(503, stream=FailingBody()), httpx.Response(200, json={"id": "1"})])
    waits: list[float] = []
    async with AllegroClient("t", retry=policy(waits)) as client:
        assert await client.request("GET", "/me") == {"id": "1"}
    assert route.call_count == 2
    assert len(waits) == 1
    assert client.transport.metrics.retries == 1  # type: ignore[attr-defined]


class _FakeTime:
    """A clock its sleep moves: waits take no real time, and the deadline sees them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@respx.mock
async def test_a_retry_after_past_the_calls_timeout_is_not_waited_for() -> None:
    # A 503 asking for 30 s while the call has 5: the 503 is the answer now, not after 30 s.
    route = respx.get(f"{API}/me").mock(side_effect=[
        httpx.Response(503, headers={"Retry-After": "30"}),
        httpx.Response(503, headers={"Retry-After": "30"}),
        httpx.Response(200, json={"id": "1"})])
    fake = _FakeTime()
    retry = RetryPolicy(sleep=fake.sleep, clock=fake.clock, random=lambda: 1.0)
    async with AllegroClient("t", retry=retry) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "/me", timeout=5)
        assert caught.value.status_code == 503
        assert route.call_count == 1 and fake.waits == []
        # with time enough, the same answer is waited out and retried
        assert await client.request("GET", "/me", timeout=60) == {"id": "1"}
    assert fake.waits == [30] and route.call_count == 3


@respx.mock
async def test_backoff_after_a_lost_connection_stops_at_the_calls_timeout() -> None:
    route = respx.get(f"{API}/me").mock(side_effect=httpx.ConnectError("refused"))
    fake = _FakeTime()
    retry = RetryPolicy(sleep=fake.sleep, clock=fake.clock, random=lambda: 1.0, backoff=2,
                        max_backoff=8, max_retries=10)
    async with AllegroClient("t", retry=retry) as client:
        with pytest.raises(ConnectError):
            await client.request("GET", "/me", timeout=7)
    # waits of 2 and 4 fit in 7 s; the next (8) would end past it, so it is not made
    assert fake.waits == [2, 4] and route.call_count == 3



@pytest.mark.parametrize(("extension", "attempts"), [(0, 1), (2, 3)])
async def test_the_retry_layer_reads_max_retries_per_request(extension: int,
                                                             attempts: int) -> None:
    from allegro_async._deadline import MAX_RETRIES
    from allegro_async.retry import RetryTransport

    sent: list[httpx.Request] = []

    class Unavailable(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(503, stream=httpx.ByteStream(b""))  # as a network answer

    waits: list[float] = []
    transport = RetryTransport(Unavailable(), policy(waits, max_retries=5))
    request = httpx.Request("GET", f"{API}/me", extensions={MAX_RETRIES: extension})
    response = await transport.handle_async_request(request)
    assert response.status_code == 503
    assert len(sent) == attempts and len(waits) == attempts - 1


@pytest.mark.parametrize("bad", [-1, True, "2"])
async def test_a_bad_max_retries_extension_is_refused_before_sending(bad: object) -> None:
    from allegro_async._deadline import MAX_RETRIES
    from allegro_async.errors import InvalidArgumentError
    from allegro_async.retry import RetryTransport

    class Refuse(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise AssertionError("sent")

    transport = RetryTransport(Refuse(), policy([]))
    with pytest.raises(InvalidArgumentError, match="allegro_max_retries"):
        await transport.handle_async_request(
            httpx.Request("GET", f"{API}/me", extensions={MAX_RETRIES: bad}))
