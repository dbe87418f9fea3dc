"""Give-ups inside the client's own throttle are told apart from Allegro's answers: no
``allegro_status`` when Allegro answered nothing, exactly whether anything was sent, and the
real wait (for the web answer's ``Retry-After`` too)."""

from __future__ import annotations

import math

import anyio
import httpx
import pytest

from allegro_async.errors import DeadlineExceededError, RateLimitedError, ThrottleGiveUpError
from allegro_async.fastapi import error_body
from allegro_async.testing import Emulator
from allegro_async.throttle import ThrottledTransport
from allegro_async.throttle.transport import DEADLINE
from tests.throttle._virtual import BlockingServer, VirtualClock, throttle_on

TOKEN = Emulator().mint_token(0)


def get(deadline: float | None = None) -> httpx.Request:
    extensions = {} if deadline is None else {DEADLINE: deadline}
    return httpx.Request("GET", "https://api.allegro.pl/me", extensions=extensions,
                         headers={"Authorization": f"Bearer {TOKEN}"})


async def _run(clock: VirtualClock, transport: ThrottledTransport,
               request: httpx.Request) -> BaseException:
    caught: list[BaseException] = []
    done = anyio.Event()

    async def one() -> None:
        try:
            await transport.handle_async_request(request)
        except Exception as error:  # the test inspects it
            caught.append(error)
        finally:
            done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive, done)
        await one()
    assert caught, "the request was expected to give up"
    return caught[0]


async def test_a_give_up_at_the_gate_with_nothing_sent_has_no_allegro_status() -> None:
    clock = VirtualClock()
    server = BlockingServer(clock, blocked_until=60)
    transport = ThrottledTransport(server, throttle_on(clock))
    transport.throttle.gate.close(60)  # a block found by an earlier request
    error = await _run(clock, transport, get(deadline=10))
    assert isinstance(error, ThrottleGiveUpError)
    assert isinstance(error, RateLimitedError)  # handlers of RateLimitedError keep working
    assert server.received == 0
    assert error.allegro_status is None and error.sent is False and error.attempts == 0
    assert "nothing was sent to Allegro" in str(error)
    assert "client's own throttle" in str(error)
    assert "RateLimitExceedException" not in str(error)  # not dressed as Allegro's answer
    assert error.retry_after == pytest.approx(60)
    status, body, headers = error_body(error)
    assert (status, body["error"], body["allegro_status"]) == (503, "rate_limited", None)
    assert headers["Retry-After"] == "60"


async def test_a_give_up_after_a_sent_attempt_says_it_was_sent_and_answered() -> None:
    clock = VirtualClock()
    server = BlockingServer(clock, blocked_until=100)
    transport = ThrottledTransport(server, throttle_on(clock, block_seconds=60))
    error = await _run(clock, transport, get(deadline=30))
    assert server.received == 1  # the first attempt found the block
    assert isinstance(error, ThrottleGiveUpError)
    assert error.attempts == 1 and error.sent is True and error.allegro_status == 429
    assert "sent once and Allegro answered 429; it was not sent again" in str(error)
    assert "nothing was sent" not in str(error) and "it was not sent;" not in str(error)
    assert error_body(error)[1]["allegro_status"] == 429


async def test_a_give_up_after_retry_429_for_reports_the_real_wait() -> None:
    clock = VirtualClock()
    server = BlockingServer(clock, blocked_until=60)
    transport = ThrottledTransport(server, throttle_on(clock, retry_429_for=5))
    transport.throttle.gate.close(60)
    error = await _run(clock, transport, get())
    assert isinstance(error, ThrottleGiveUpError)
    assert error.waited == pytest.approx(5) and "after waiting 5.0 s" in str(error)
    assert "retry_429_for (5 s)" in str(error)
    assert error.retry_after == pytest.approx(55)
    assert error_body(error)[2]["Retry-After"] == "55"


async def test_a_queue_timeout_with_no_block_answers_the_expected_wait() -> None:
    clock = VirtualClock()
    # 6 requests a minute, one at a time: the second waits 10 s for the app bucket.
    transport = ThrottledTransport(BlockingServer(clock),
                                   throttle_on(clock, rate=6, burst=1))
    first = await transport.handle_async_request(get())
    await first.aclose()
    error = await _run(clock, transport, get(deadline=2))
    assert isinstance(error, DeadlineExceededError) and error.sent is False
    assert transport.throttle.gate.state == "open"
    assert error.retry_after == pytest.approx(8)  # 10 s for the bucket, 2 of them waited
    status, body, headers = error_body(error)
    assert status == 503 and body["error"] == "rate_limited"
    assert body["allegro_status"] is None
    assert headers["Retry-After"] == str(math.ceil(error.retry_after)) != "60"


async def test_a_deadline_in_the_queue_after_a_sent_attempt_says_it_was_sent() -> None:
    clock = VirtualClock()
    server = BlockingServer(clock, blocked_until=1)
    # Every lone 429 on /me is the user's here: a pause, then the queue.
    throttle = throttle_on(clock, rate=6, burst=1, signal_window=0.1, adaptive_paths=(r"/me",))
    transport = ThrottledTransport(server, throttle)
    error = await _run(clock, transport, get(deadline=3))
    assert server.received == 1
    assert isinstance(error, DeadlineExceededError)
    assert error.sent is True  # the first attempt went out and was answered 429
