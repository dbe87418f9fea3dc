"""A2 rules as data and weights, and the whole throttled transport on trio."""

from __future__ import annotations

import json

import httpx
import trio

from allegro_async.throttle import DEFAULT_RULES, Rule, Throttle, ThrottledTransport, offer_count
from allegro_async.throttle.rules import find_rule

API = "https://api.allegro.pl"


def command(offers: int) -> httpx.Request:
    body = {"offerCriteria": [{"type": "CONTAINS_OFFERS",
                               "offers": [{"id": str(i)} for i in range(offers)]}]}
    return httpx.Request("PUT", f"{API}/sale/offer-price-change-commands/c1",
                         content=json.dumps(body).encode())


def test_command_put_weighs_its_offer_count() -> None:
    assert offer_count(command(250)) == 250
    rule = find_rule(DEFAULT_RULES, "PUT", "/sale/offer-price-change-commands/c1")
    assert rule is not None and rule.family == "price-commands"
    assert rule.cost(command(1000)) == 1000


def test_reports_and_product_offers_fall_in_their_families() -> None:
    families = {
        ("GET", "/sale/offer-publication-commands/c/tasks"): "command-reports",
        ("GET", "/sale/product-offers/123"): "product-offer-read",
        ("PATCH", "/sale/product-offers/123"): "product-offer-write",
        ("POST", "/messaging/threads/t1/messages"): "messages",
    }
    for (method, path), family in families.items():
        rule = find_rule(DEFAULT_RULES, method, path)
        assert rule is not None and rule.family == family, path
    assert find_rule(DEFAULT_RULES, "GET", "/me") is None


async def test_users_own_rules_replace_the_defaults() -> None:
    seen: list[str] = []
    rule = Rule("events", frozenset({"GET"}), r"/sale/offer-events", 1, 2)
    throttle = Throttle(rules=(rule,))
    transport = ThrottledTransport(httpx.MockTransport(
        lambda r: (seen.append(r.url.path), httpx.Response(200))[1]), throttle)
    async with httpx.AsyncClient(transport=transport) as http:
        await http.get(f"{API}/sale/offer-events")
        await http.get(f"{API}/sale/offer-events")
    bucket = throttle.user(throttle.user_key(httpx.Request("GET", API))).buckets["events"]
    assert bucket.level > 1.9
    assert seen == ["/sale/offer-events"] * 2


def test_throttled_transport_runs_on_trio() -> None:
    async def main() -> int:
        throttle = Throttle(rate=600, per=60, burst=3, user_parallel=2)
        transport = ThrottledTransport(httpx.MockTransport(lambda r: httpx.Response(200)),
                                       throttle)
        http = httpx.AsyncClient(transport=transport)
        async with http, trio.open_nursery() as nursery:
            for _ in range(6):
                nursery.start_soon(http.get, f"{API}/me")
        return transport.metrics.sent

    assert trio.run(main) == 6


def test_odd_command_bodies_weigh_one_and_never_crash_the_throttle() -> None:
    # The server answers a malformed body with a 422; the weight must not raise a TypeError.
    for body in ({"offerCriteria": [{"offers": 5}]}, {"offerCriteria": 7},
                 {"offerCriteria": [{"offers": "abc"}]}):
        request = httpx.Request("PUT", f"{API}/sale/offer-price-change-commands/c1",
                                content=json.dumps(body).encode())
        assert offer_count(request) == 1


def test_a_burst_below_one_request_is_refused_at_construction() -> None:
    import pytest

    from allegro_async.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError) as info:
        Throttle(burst=0.5)
    assert info.value.field == "burst"
