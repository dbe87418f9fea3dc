"""``ClientMetrics``: the counters of one client's transport stack, and ``metrics_of``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from allegro_async.throttle.limiter import EventHook

if TYPE_CHECKING:
    from allegro_async.throttle.limiter import Throttle


@dataclass
class ClientMetrics:
    """Counters of one client's transport stack (throttle and retry layers).

    - ``sent``: requests handed to the inner transport (retries and probes included);
    - ``responses_429``: 429s received, by kind (``app_block``, ``user_limit``);
    - ``retries``: requests re-sent by the retry layer;
    - ``rate_limited``: requests given up with ``RateLimitedError``;
    - ``wait_seconds``: real (wall-clock) seconds requests spent in the throttle before their
      final send, summed over requests: gate, slots, buckets and 429 backoff (not the time on
      the wire). Concurrent requests each add their own wait, so this can exceed the elapsed
      time; ``mean_wait`` (= ``wait_seconds / waited_requests``) is the per-request figure;
    - ``waited_requests``: requests that went through the throttle (finished or not);
    - ``gate_state``: ``open``, ``closed`` (app blocked) or ``probing``.

    Set ``hook`` to ``callable(name, data)`` to receive the same events as ``Throttle.on_event``.
    """

    sent: int = 0
    responses_429: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    wait_seconds: float = 0.0
    waited_requests: int = 0
    hook: EventHook | None = None
    throttle: Throttle | None = field(default=None, repr=False)

    @property
    def gate_state(self) -> str:
        """The app gate's state, or ``"off"`` without throttling."""
        return self.throttle.gate.state if self.throttle is not None else "off"

    @property
    def mean_wait(self) -> float:
        """Mean real seconds a request waited in the throttle (0 before any request)."""
        return self.wait_seconds / self.waited_requests if self.waited_requests else 0.0

    @property
    def throttled_seconds(self) -> float:
        """Deprecated name of :attr:`wait_seconds`."""
        return self.wait_seconds

    def emit(self, name: str, **data: Any) -> None:
        """Send an event to the hooks."""
        if self.hook is not None:
            self.hook(name, data)
        if self.throttle is not None:
            self.throttle.emit(name, data)

    def snapshot(self) -> dict[str, Any]:
        """The counters as plain data."""
        return {"sent": self.sent, "responses_429": dict(self.responses_429),
                "retries": self.retries, "rate_limited": self.rate_limited,
                "wait_seconds": round(self.wait_seconds, 6),
                "mean_wait": round(self.mean_wait, 6),
                "gate_state": self.gate_state}


def metrics_of(client: Any) -> ClientMetrics:
    """The :class:`ClientMetrics` of an ``AllegroClient`` (or of a transport stack)::

        print(metrics_of(client).snapshot())
    """
    transport = getattr(client, "transport", client)
    metrics = getattr(transport, "metrics", None)
    if not isinstance(metrics, ClientMetrics):
        raise TypeError("this client has no allegro-async transport stack (own http_client?)")
    return metrics
