"""A2 tiers on the client: hourly budgets beside per-minute ones, the app-wide customer-returns
tier, and the weight of command reports; on virtual time."""

from __future__ import annotations

import anyio
import httpx

from allegro_async.throttle import DEFAULT_RULES, Rule, ThrottledTransport
from allegro_async.throttle.rules import find_rule, report_size
from tests.throttle._virtual import BlockingServer, VirtualClock, throttle_on
from tests.throttle.test_gate_fixes import API, TOKENS, get


def rule_of(family: str) -> Rule:
    return next(r for r in DEFAULT_RULES if r.family == family)


def test_default_rules_carry_the_hourly_and_app_wide_tiers() -> None:
    assert rule_of("product-offer-write").tiers[1] == (74_700 / 3600, 74_700 / 4)
    assert rule_of("offer-commands").tiers[1][0] == 250_000 / 3600
    assert rule_of("price-commands").tiers[1][0] == 150_000 / 3600
    assert rule_of("customer-returns").app == (50, 50)


async def test_every_tier_holds_a_request_back() -> None:
    clock = VirtualClock()
    # 10/s with bursts of 10, but 1/s with bursts of 20 per "hour" tier.
    rule = Rule("x", frozenset({"GET"}), r"/x", 10, 10, more=((1, 20),))
    throttle = throttle_on(clock, rules=(rule,), burst=1000, rate=10**6)
    transport = ThrottledTransport(BlockingServer(clock), throttle)
    times: list[float] = []
    done = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive, done)
        for _ in range(30):
            response = await transport.handle_async_request(get(path="/x"))
            await response.aclose()  # gives the user's parallel slot back
            times.append(clock())
        done.set()
    # 20 go at the minute tier's pace (10 at once, then 10/s); then the slow tier's 1/s.
    assert times[9] == 0 and 0.9 < times[19] < 1.1
    assert times[29] >= 10.0 - 1e-6
    for start in range(30):
        for end in range(start, 30):
            window = times[end] - times[start]
            assert end - start + 1 <= 20 + 1 * window + 1e-6  # the slow tier's bound


def test_customer_returns_share_one_app_wide_bucket_across_users() -> None:
    throttle = throttle_on(VirtualClock())
    rule = rule_of("customer-returns")
    a = throttle.buckets_for(throttle.user(throttle.user_key(get(TOKENS[0]))), rule)
    b = throttle.buckets_for(throttle.user(throttle.user_key(get(TOKENS[1]))), rule)
    assert a[0] is not b[0]  # 25/s per user
    assert a[-1] is b[-1] and a[-1].rate == 50  # 50/s per Client ID
    assert throttle.buckets_for(throttle.user(throttle.user_key(get(TOKENS[0]))), rule) is a


def test_command_report_weighs_the_offers_it_can_report() -> None:
    base = f"{API}/sale/offer-price-change-commands/c1"
    assert report_size(httpx.Request("GET", base)) == 1
    assert report_size(httpx.Request("GET", base + "/tasks")) == 100
    assert report_size(httpx.Request("GET", base + "/tasks?limit=1000")) == 1000
    assert report_size(httpx.Request("GET", base + "/tasks?limit=5000")) == 1000
    assert report_size(httpx.Request("GET", base + "/tasks?limit=x")) == 100
    rule = find_rule(DEFAULT_RULES, "GET", "/sale/offer-price-change-commands/c1/tasks")
    assert rule is not None and rule.family == "command-reports" and rule.burst >= 1000
