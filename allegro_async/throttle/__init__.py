"""Client-side throttling: S1 app bucket, S2 per-user caps, A2 family buckets, A1 429 gate.

See docs/throttling.md. The pieces: :class:`LeakyBucket` (anyio, FIFO, weighted),
:class:`Throttle` (state shared by one app's clients), :class:`ThrottledTransport` (the httpx
transport layer), :class:`Rule` and :data:`DEFAULT_RULES` (A2 as data).
"""

from allegro_async.throttle.bucket import LeakyBucket
from allegro_async.throttle.gate import AppGate, Slots
from allegro_async.throttle.limiter import APP_KEY, Throttle
from allegro_async.throttle.rules import DEFAULT_RULES, Rule, offer_count
from allegro_async.throttle.transport import ClientMetrics, ThrottledTransport, metrics_of

__all__ = [
    "APP_KEY",
    "DEFAULT_RULES",
    "AppGate",
    "ClientMetrics",
    "LeakyBucket",
    "Rule",
    "Slots",
    "Throttle",
    "ThrottledTransport",
    "metrics_of",
    "offer_count",
]
