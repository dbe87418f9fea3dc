"""The emulator's limits: S1 bucket and block (A1), per-user parallel cap and buckets (S2, A2)."""

from __future__ import annotations

import json

import anyio
import httpx

from allegro_async.testing import Emulator
from allegro_async.testing.conformance import EXPECT_INVALID_HEADER
from allegro_async.testing.emulator.limits import LimitsConfig

URL = "http://allegro.emulator"
ACCEPT = {"Accept": "application/vnd.allegro.public.v1+json"}
#: A body sent the way Allegro wants it (A11): its media type, not application/json.
VND_BODY = {"Content-Type": ACCEPT["Accept"]}


def raw_client(emulator: Emulator, seller: int | None = 0) -> httpx.AsyncClient:
    """Plain httpx (no throttle) straight into the emulator."""
    headers = {**ACCEPT, "Authorization": f"Bearer {emulator.mint_token(seller)}"}
    return httpx.AsyncClient(transport=emulator.transport(), base_url=URL, headers=headers)


async def test_app_over_its_rate_is_blocked_with_the_a1_429() -> None:
    emulator = Emulator(limits=LimitsConfig(app_rate=60, app_per=60, app_burst=5))
    async with raw_client(emulator) as http:
        statuses = [(await http.get("/me")).status_code for _ in range(6)]
        blocked = await http.get("/me")
    assert statuses == [200] * 5 + [429]
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/json"
    assert "retry-after" not in blocked.headers
    assert blocked.json()["errors"][0]["code"] == "RateLimitExceedException"
    assert emulator.stats.rate_limited["app_rate"] == 1
    assert emulator.stats.rate_limited["app_block"] == 1


async def test_block_lifts_after_its_time_and_requests_during_it_extend_it() -> None:
    emulator = Emulator()
    emulator.limits.block_app(60)
    async with raw_client(emulator) as http:
        emulator.clock.advance(50)
        assert (await http.get("/me")).status_code == 429  # extends to t=110
        emulator.clock.advance(30)
        assert (await http.get("/me")).status_code == 429  # still blocked (A1), now to t=140
        emulator.clock.advance(61)
        assert (await http.get("/me")).status_code == 200
    assert emulator.stats.requests_during_block == 2
    start, end = emulator.stats.block_windows[0]
    assert end - start >= 80 + 60 - 1


async def test_app_token_and_user_tokens_share_the_client_id_bucket() -> None:
    emulator = Emulator(limits=LimitsConfig(app_rate=60, app_per=60, app_burst=2))
    async with raw_client(emulator, 0) as a, raw_client(emulator, 1) as b:
        assert (await a.get("/me")).status_code == 200
        assert (await b.get("/me")).status_code == 200
        assert (await a.get("/me")).status_code == 429


async def test_too_many_parallel_requests_for_one_user_get_429() -> None:
    emulator = Emulator(limits=LimitsConfig(user_parallel=3, latency=0.05))
    async with raw_client(emulator) as http:
        results: list[int] = []

        async def one() -> None:
            results.append((await http.get("/me")).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(one)
    assert sorted(results) == [200] * 3 + [429] * 3
    assert emulator.stats.rate_limited["user_parallel"] == 3
    assert emulator.stats.peak_parallel[emulator.sellers[0].id] == 3


async def test_other_users_are_not_affected_by_one_users_parallel_cap() -> None:
    emulator = Emulator(limits=LimitsConfig(user_parallel=1, latency=0.05))
    async with raw_client(emulator, 0) as a, raw_client(emulator, 1) as b:
        results = []

        async def one(http: httpx.AsyncClient) -> None:
            results.append((await http.get("/me")).status_code)

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, a)
            tg.start_soon(one, b)
    assert results == [200, 200]


async def test_command_put_weighs_its_offer_count_and_over_the_rate_is_slower() -> None:
    emulator = Emulator(time_scale=1000, limits=LimitsConfig(max_user_delay=100))
    body = {"offerCriteria": [{"type": "CONTAINS_OFFERS",
                               "offers": [{"id": str(i)} for i in range(1000)]}]}
    path = "/sale/offer-price-change-commands/{}"
    async with raw_client(emulator) as http:
        before = emulator.clock.monotonic()
        for i in range(2):  # 2000 offers vs capacity 1500 at 150/s: the second waits ~3.3 s
            await http.put(path.format(f"c{i}"), content=json.dumps(body), headers=VND_BODY)
        elapsed = emulator.clock.monotonic() - before
    assert elapsed >= 3.0


async def test_far_over_a_user_bucket_gives_user_rate_429() -> None:
    emulator = Emulator(limits=LimitsConfig(max_user_delay=0.5))
    async with raw_client(emulator) as http:
        message = {"recipient": {"login": "buyer-1"}, "text": "Is it still available?",
                   "order": {"id": "88ae369b-8f65-4fc4-9c77-bedf604a2e2"}}
        statuses = [(await http.post("/messaging/messages", content=json.dumps(message),
                                     headers=VND_BODY)).status_code
                    for _ in range(12)]
    assert 429 in statuses
    assert emulator.stats.rate_limited["user_rate"] >= 1


async def test_bad_token_passes_limits_and_gets_the_routes_401() -> None:
    emulator = Emulator()
    async with httpx.AsyncClient(transport=emulator.transport(), base_url=URL) as http:
        response = await http.get("/me", headers={**ACCEPT, "Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_hourly_tier_slows_a_user_the_minute_tier_alone_would_let_through() -> None:
    from allegro_async.testing.emulator.limits import _r

    emulator = Emulator()
    state = emulator.limits
    # 10/s (capacity 10) per minute-tier, but 360/h (0.1/s, capacity 90) per hour.
    rule = _r("x", "GET", "/x", 600, 10, per_hour=360)
    minute_only = _r("y", "GET", "/y", 600, 10)
    delays, free = [], []
    for _ in range(200):
        emulator.clock.advance(0.1)
        delays.append(state.user_delay("u1", rule, 1))
        free.append(state.user_delay("u1", minute_only, 1))
    assert all(d == 0 for d in free)
    assert delays[:80] == [0] * 80  # the hour's burst of 90
    assert None in delays or max(d for d in delays if d is not None) > 1


def test_customer_returns_tier_is_shared_by_all_users_of_the_client_id() -> None:
    from allegro_async.testing.emulator.limits import DEFAULT_USER_RULES

    emulator = Emulator()
    state = emulator.limits
    rule = next(r for r in DEFAULT_USER_RULES if r.family == "customer-returns")
    assert rule.app_rate == 50
    # 50 users, one request each, at the same instant: the 50/s app tier is full...
    assert all(state.user_delay(f"user-{i}", rule, 1) == 0 for i in range(50))
    # ...so the 51st user, fresh in its own 25/s tier, waits for the app-wide one.
    wait = state.user_delay("user-51", rule, 1)
    assert wait is not None and wait > 0


async def test_a_malformed_command_body_reaches_the_route_not_a_500() -> None:
    emulator = Emulator()
    path = "/sale/offer-price-change-commands/5d2f1f3c-3d1e-4a8e-9b8a-0c7f7a1e2b3c"
    async with raw_client(emulator) as http:
        for criteria in ([{"type": "CONTAINS_OFFERS", "offers": 5}], 7):
            # the right media type, so the body (wrong on purpose, hence marked) is what fails
            response = await http.put(path, content=json.dumps({"offerCriteria": criteria}),
                                      headers={**VND_BODY, EXPECT_INVALID_HEADER: "1"})
            assert 400 <= response.status_code < 500, response.text
