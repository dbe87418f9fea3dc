"""A2 adaptation: a user's family rate follows Allegro's signals when its real per-user limit
is lower than the client's rule says (AIMD on the family's first-tier bucket)."""

from __future__ import annotations

from dataclasses import replace

import anyio
import pytest

from allegro_async.errors import InvalidArgumentError, NotFoundError
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.limits import DEFAULT_USER_RULES, LimitsConfig
from allegro_async.throttle import Throttle
from allegro_async.throttle.adapt import AdaptParams, FamilyRate
from allegro_async.throttle.bucket import LeakyBucket


def family(rate: float = 10.0) -> FamilyRate:
    return FamilyRate(LeakyBucket(rate, 5, clock=lambda: 0.0), AdaptParams(), now=0.0)


def test_a_slowed_response_cuts_to_just_under_the_rate_responses_came_at() -> None:
    f = family()
    for i in range(15):  # fast answers, 8 per second: the baseline is 0.1 s
        f.answered(sent=i * 0.125 - 0.1, now=i * 0.125)
    f.answered(sent=1.0, now=2.0)  # 1 s: ten baselines, S2 says Allegro is pacing us
    assert f.bucket.rate == pytest.approx(0.95 * 15 / 2.0)  # 16 answers in 2 s


def test_a_cut_never_goes_below_decrease_of_the_rate() -> None:
    f = family()
    for i in range(15):  # 1 answer per second
        f.answered(sent=i - 0.1, now=float(i))
    f.answered(sent=14.0, now=15.0)
    assert f.bucket.rate == pytest.approx(7.0)  # 0.95 x 1/s would be a cut to a tenth


def test_one_cut_per_round_trip_and_slow_growth_back_to_the_rule() -> None:
    f = family()
    f.answered(sent=0.0, now=0.1)
    f.cut(sent=0.5, now=1.0)  # a per-user 429: x 0.7
    assert f.bucket.rate == pytest.approx(7.0)
    f.cut(sent=0.9, now=1.2)  # sent before the cut: says nothing about the new rate
    assert f.bucket.rate == pytest.approx(7.0)
    f.cut(sent=1.1, now=1.5)
    assert f.bucket.rate == pytest.approx(4.9)
    f.answered(sent=11.4, now=11.5)  # 10 s of fast answers: + 1% of the rule per second
    assert f.bucket.rate == pytest.approx(4.9 + 0.01 * 10 * 10)
    f.answered(sent=1011.4, now=1011.5)
    assert f.bucket.rate == pytest.approx(10.0)  # never above the rule's rate


def test_bad_params_are_refused_by_name() -> None:
    with pytest.raises(InvalidArgumentError, match="decrease"):
        AdaptParams(decrease=1.5)
    with pytest.raises(InvalidArgumentError, match="drain"):
        AdaptParams(drain=0)


RULE_RATE = 3500 / 60  # the client's product-offer-read rule
REAL = 0.1  # the emulator's limit for this seller, as a fraction of the rule


async def read_offers(adapt: bool) -> tuple[Emulator, Throttle]:
    """200 reads of /sale/product-offers/{id} by one seller whose real limit is 0.1x."""
    rules = tuple(replace(r, rate=r.rate * REAL, capacity=r.rate * REAL)
                  if r.family == "product-offer-read" else r for r in DEFAULT_USER_RULES)
    emulator = Emulator(EmulatorConfig(sellers=1, time_scale=20, limits=LimitsConfig(
        user_rules=rules, latency=0.05)))
    clock = emulator.clock
    throttle = Throttle(clock=clock.monotonic, sleep=clock.sleep, adapt=adapt)
    async with emulator.client(0, throttle=throttle) as client:

        async def one(i: int) -> None:
            try:
                await client.request("GET", f"/sale/product-offers/missing-{i}")
            except NotFoundError:
                pass  # no such offer; the limit applied all the same

        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(one, i)
    return emulator, throttle


async def test_the_family_rate_converges_on_the_real_limit() -> None:
    emulator, throttle = await read_offers(adapt=True)
    user = throttle._users[emulator.sellers[0].id]
    rate = user.tiers["product-offer-read"][0].rate
    assert 0.7 * REAL * RULE_RATE <= rate <= 1.3 * REAL * RULE_RATE
    assert emulator.stats.responses_429 == 0


async def test_without_adaptation_the_rule_rate_stays() -> None:
    emulator, throttle = await read_offers(adapt=False)
    user = throttle._users[emulator.sellers[0].id]
    assert user.tiers["product-offer-read"][0].rate == pytest.approx(RULE_RATE)
    assert not user.rates
