"""A2 adaptation: each user's family rate, found from the server's signals.

A2's numbers differ by account and change, so a rule's rate is a ceiling, not the truth. Over
its real per-minute rate Allegro answers slower (S2), and past a point with a per-user 429.
:class:`FamilyRate` runs AIMD on the first-tier bucket of one user's family, at most one cut
per round trip:

- a response well above the family's baseline latency means Allegro is pacing the user: it
  then answers at its real rate, so the rate is cut to just under the rate responses arrive
  at (never below ``decrease`` of the current one), which drains Allegro's queue without
  leaving its rate unused;
- a per-user 429 cuts the rate by ``decrease``;
- while responses are fast the rate grows back additively (``growth`` of the rule's rate per
  second) toward the rule's, probing whether the real limit went up.
"""

from __future__ import annotations

from collections import deque

from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle.bucket import LeakyBucket


class FamilyRate:
    """AIMD state of one user's endpoint family (see the module docs).

    ``baseline`` is the lowest latency seen recently (it creeps up 1% per fast response, so a
    route that got slower for good is relearnt); a response counts as slowed when its latency
    exceeds ``slow_factor`` times the baseline and the baseline by ``slow_margin`` seconds.
    """

    __slots__ = ("answers", "baseline", "bucket", "ceiling", "cut_at", "grown_at", "params")

    def __init__(self, bucket: LeakyBucket, params: AdaptParams, now: float) -> None:
        self.bucket = bucket
        self.ceiling = bucket.rate
        self.params = params
        self.baseline = float("inf")
        self.cut_at = float("-inf")
        self.grown_at = now
        #: When the last responses came: their rate is Allegro's while it paces the user.
        self.answers: deque[float] = deque(maxlen=16)

    def delivery(self) -> float | None:
        """Responses per second over the last few, or ``None`` before there are enough."""
        answers = self.answers
        if len(answers) < answers.maxlen or answers[-1] <= answers[0]:  # type: ignore[operator]
            return None
        return (len(answers) - 1) / (answers[-1] - answers[0])

    def answered(self, sent: float, now: float) -> None:
        """A response (not 429) to a request sent at ``sent`` came at ``now``."""
        latency = now - sent
        p = self.params
        self.answers.append(now)
        if latency < self.baseline:
            self.baseline = latency
        elif latency > self.baseline * p.slow_factor and latency - self.baseline > p.slow_margin:
            self.cut(sent, now, self.delivery())
            return
        else:
            self.baseline += (latency - self.baseline) * 0.01
        rate = self.bucket.rate
        if rate < self.ceiling:
            grown = rate + p.growth * self.ceiling * (now - self.grown_at)
            self.bucket.set_rate(min(self.ceiling, grown))
        self.grown_at = now

    def cut(self, sent: float, now: float, delivered: float | None = None) -> None:
        """Cut the rate for a request sent at ``sent`` that was slowed (``delivered``: the
        rate responses came at, if known) or refused; once per round trip: requests sent
        before the last cut say nothing about the new rate."""
        self.grown_at = now
        if sent <= self.cut_at:
            return
        self.cut_at = now
        p = self.params
        rate = self.bucket.rate
        new = rate * p.decrease
        if delivered is not None:
            new = max(new, min(rate, delivered * p.drain))
        self.bucket.set_rate(max(self.ceiling * p.floor, new))


class AdaptParams:
    """The AIMD knobs of :class:`~allegro_async.throttle.Throttle` (``adapt=``).

    Args:
        decrease: the factor a cut multiplies the rate by.
        growth: the fraction of the rule's rate regained per second of fast responses.
        slow_factor: a response slower than this many baselines counts as slowed (S2)...
        slow_margin: ...when it is also this many seconds above the baseline.
        drain: a slowed response sets the rate to this fraction of the rate responses came
            at (Allegro's real rate while it paces), so its queue drains.
        floor: the lowest rate, as a fraction of the rule's.
    """

    __slots__ = ("decrease", "drain", "floor", "growth", "slow_factor", "slow_margin")

    def __init__(self, *, decrease: float = 0.7, growth: float = 0.01,
                 slow_factor: float = 2.0, slow_margin: float = 0.25,
                 drain: float = 0.95, floor: float = 0.01) -> None:
        if not 0 < decrease < 1:
            raise InvalidArgumentError("decrease", f"must be in (0, 1), got {decrease!r}",
                                       "give a factor such as 0.85")
        for name, value in (("growth", growth), ("slow_margin", slow_margin)):
            if value < 0:
                raise InvalidArgumentError(name, f"must be >= 0, got {value!r}",
                                           "give a non-negative number")
        if slow_factor < 1:
            raise InvalidArgumentError("slow_factor", f"must be >= 1, got {slow_factor!r}",
                                       "give a factor such as 2")
        if not 0 < drain <= 1:
            raise InvalidArgumentError("drain", f"must be in (0, 1], got {drain!r}",
                                       "give a fraction such as 0.95")
        if not 0 < floor <= 1:
            raise InvalidArgumentError("floor", f"must be in (0, 1], got {floor!r}",
                                       "give a fraction of the rule's rate such as 0.01")
        self.decrease = decrease
        self.growth = growth
        self.slow_factor = slow_factor
        self.slow_margin = slow_margin
        self.drain = drain
        self.floor = floor
