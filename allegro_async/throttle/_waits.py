"""How long a request held in the throttle can expect to wait: what a give-up reports as
``retry_after`` (and a web answer as ``Retry-After``)."""

from __future__ import annotations

from allegro_async.throttle.bucket import LeakyBucket
from allegro_async.throttle.limiter import Throttle, UserLimits


def blocked_for(throttle: Throttle, now: float) -> float | None:
    """Seconds left on the app block as the gate knows it, or ``None`` if it is open."""
    gate = throttle.gate
    if gate.state == "open":
        return None
    return max(0.0, gate.closed_until - now)


def gate_wait(throttle: Throttle) -> float:
    """Seconds until the closed gate is expected to let a request out: the block's time
    left, or (while a probe is out) the pause before the next probe."""
    left = blocked_for(throttle, throttle.clock())
    if left is None:
        return 0.0
    return left if left > 0 else throttle.user_backoff


def queue_wait(throttle: Throttle, user: UserLimits, buckets: tuple[LeakyBucket, ...],
               cost: int) -> float:
    """Seconds a request queued now can expect to wait for the buckets (those queued ahead
    counted at this one's cost), or for the user's pause after a 429 when only a parallel
    slot holds it."""
    wait = 0.0
    for bucket, units in ((throttle.app_bucket, 1), *((b, cost) for b in buckets)):
        # At least the queue ahead drains (a shared bucket's level is not known here).
        ahead = max(bucket.level + units * (bucket.waiting + 1) - bucket.capacity,
                    units * bucket.waiting)
        wait = max(wait, ahead / bucket.rate)
    if user.slots.in_use >= user.slots.capacity:
        wait = max(wait, throttle.user_backoff)
    return wait
