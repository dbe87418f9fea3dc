"""Emulator: injected 5xx, latency, dropped connections and timeouts, reproducible from a seed.

Faults are rules matched per route; every draw comes from one ``random.Random`` seeded from the
emulator's seed, so the same seed and the same request order give the same faults::

    emulator.faults.add(route="GET /order/events", status=503, probability=0.1)
    emulator.faults.add(route="POST /sale/product-offers", drop=True, when="after", times=1)
    emulator.faults.clear()
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allegro_async.errors import InvalidArgumentError
from allegro_async.testing.emulator.http import VND_TYPES, ApiError, DropConnection

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator

FAULT_STATUSES = (500, 502, 503, 504)
_CODES = {
    500: ("InternalServerError", "Internal server error"),
    502: ("BadGateway", "Bad gateway"),
    503: ("ServiceUnavailable", "Service temporarily unavailable"),
    504: ("GatewayTimeout", "Gateway timeout"),
}


@dataclass
class FaultRule:
    """One injected fault: on requests matching ``route``, with ``probability``, at most
    ``times`` times (``None`` = no limit).

    ``route`` is ``"*"`` (every request but ``/_emulator/*``), a template such as
    ``"/order/events"`` (any method) or ``"GET /order/events"``. Exactly one effect applies:
    ``status`` (500/502/503/504), ``drop`` (connection closed without a response;
    ``when="after"`` lets the request take effect first, as when a response is lost),
    ``timeout`` (no answer for ``delay`` emulated seconds, then 504) or ``latency`` (extra
    emulated seconds before the normal answer). ``fired`` counts hits; ``lost`` lists the
    statuses of responses a ``when="after"`` drop threw away.
    """

    route: str = "*"
    status: int | None = None
    drop: bool = False
    timeout: bool = False
    latency: float = 0.0
    probability: float = 1.0
    times: int | None = None
    when: Literal["before", "after"] = "before"
    retry_after: float | None = None
    delay: float = 3600.0
    fired: int = 0
    lost: list[int] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The counter key in ``stats.faults``: ``status_503``, ``drop``, ``timeout``,
        ``latency``."""
        if self.status is not None:
            return f"status_{self.status}"
        if self.drop:
            return "drop"
        return "timeout" if self.timeout else "latency"

    def matches(self, method: str, template: str | None, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.route == "*":
            return not path.startswith("/_emulator/")
        want_method, _, want_path = self.route.rpartition(" ")
        if want_method and want_method.upper() != method:
            return False
        return want_path in (template, path)

    def as_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"kind": self.kind}


def _check(rule: FaultRule) -> FaultRule:
    effects = [rule.status is not None, rule.drop, rule.timeout, rule.latency > 0]
    if sum(effects) != 1:
        raise InvalidArgumentError(
            "fault", "a fault needs exactly one effect",
            "give one of status=503, drop=True, timeout=True or latency=2.0",
        )
    if rule.status is not None and rule.status not in FAULT_STATUSES:
        raise InvalidArgumentError(
            "status", f"{rule.status} is not an injectable status", "use 500, 502, 503 or 504"
        )
    if not 0.0 <= rule.probability <= 1.0:
        raise InvalidArgumentError(
            "probability", f"{rule.probability} is outside 0..1", "use e.g. 0.1 for 10 %"
        )
    if rule.times is not None and rule.times < 1:
        raise InvalidArgumentError("times", f"{rule.times} is below 1", "use None for no limit")
    if rule.when not in ("before", "after"):
        raise InvalidArgumentError("when", f"{rule.when!r} is unknown", "use before or after")
    if rule.latency < 0 or rule.delay < 0:
        raise InvalidArgumentError("latency", "a negative delay", "use seconds >= 0")
    return rule


@dataclass
class FaultsConfig:
    """Settings of the emulator's faults. Default: no faults and zero latency.

    - ``latency``: emulated seconds added to every API request;
    - ``jitter``: up to this many more emulated seconds, drawn uniformly per request;
    - ``spike_probability`` / ``spike_latency``: now and then a much slower answer;
    - ``rules``: :class:`FaultRule` objects active from the start.
    """

    latency: float = 0.0
    jitter: float = 0.0
    spike_probability: float = 0.0
    spike_latency: float = 0.0
    rules: list[FaultRule] = field(default_factory=list)


class FaultsState:
    """Live faults of one emulator (``emulator.faults``): add and clear rules, change latency.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        config = emulator.config.faults
        self.latency = config.latency
        self.jitter = config.jitter
        self.spike_probability = config.spike_probability
        self.spike_latency = config.spike_latency
        self.rules: list[FaultRule] = [_check(rule) for rule in config.rules]
        # Own generator: fault draws must not shift the data other areas generate.
        self.random = random.Random(f"faults-{emulator.config.seed}")

    def add(
        self,
        route: str = "*",
        *,
        status: int | None = None,
        drop: bool = False,
        timeout: bool = False,
        latency: float = 0.0,
        probability: float = 1.0,
        times: int | None = None,
        when: Literal["before", "after"] = "before",
        retry_after: float | None = None,
        delay: float = 3600.0,
    ) -> FaultRule:
        """Add a fault rule (see :class:`FaultRule`) and return it; ``rule.fired`` counts its
        hits. Raises :class:`~allegro_async.errors.InvalidArgumentError` on a bad rule."""
        rule = _check(FaultRule(
            route=route, status=status, drop=drop, timeout=timeout, latency=latency,
            probability=probability, times=times, when=when, retry_after=retry_after,
            delay=delay,
        ))
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule and set latency back to zero."""
        self.rules.clear()
        self.latency = self.jitter = self.spike_probability = self.spike_latency = 0.0

    @property
    def active(self) -> bool:
        """Whether anything at all may be injected (keeps the fast path fast)."""
        return bool(self.rules or self.latency or self.jitter or self.spike_probability)

    def pick(self, method: str, template: str | None, path: str) -> list[FaultRule]:
        """The rules that fire for one request (draws from the seeded generator)."""
        fired = []
        for rule in self.rules:
            if rule.matches(method, template, path) and (
                rule.probability >= 1.0 or self.random.random() < rule.probability
            ):
                rule.fired += 1
                fired.append(rule)
        return fired

    def base_delay(self, path: str) -> float:
        """Emulated seconds of configured latency for one request (jitter and spikes
        included)."""
        if path.startswith("/_emulator/"):
            return 0.0
        delay = self.latency
        if self.jitter:
            delay += self.random.uniform(0.0, self.jitter)
        if self.spike_probability and self.random.random() < self.spike_probability:
            self.emulator.stats.faults["latency_spike"] += 1
            delay += self.spike_latency
        return delay


async def _send_error(send: Send, status: int, retry_after: float | None) -> None:
    code, message = _CODES[status]
    body = json.dumps(ApiError(status, code, message).body).encode()
    headers = [(b"content-type", VND_TYPES[0].encode()),
               (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(int(retry_after)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FaultsMiddleware:
    """ASGI middleware applying the emulator's faults (after the limits, so a faulted
    request still counts against them, as on Allegro's gateway)."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.emulator.faults
        if scope["type"] != "http" or not state.active:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        stats = self.emulator.stats
        delay = state.base_delay(path)
        rules = state.pick(scope["method"], scope.get("allegro.route"), path)
        for rule in rules:
            if rule.latency:
                stats.faults["latency"] += 1
                delay += rule.latency
        if delay:
            await self.emulator.clock.sleep(delay)
        for rule in rules:
            if rule.latency:
                continue
            stats.faults[rule.kind] += 1
            if rule.timeout:
                await self.emulator.clock.sleep(rule.delay)
                await _send_error(send, 504, None)
                return
            if rule.status is not None:
                await _send_error(send, rule.status, rule.retry_after)
                return
            if rule.when == "after":
                await self.app(scope, receive, _swallow_into(rule.lost))
            raise DropConnection(f"injected drop on {scope['method']} {path}")
        await self.app(scope, receive, send)


def _swallow_into(lost: list[int]) -> Send:
    """A ``send`` that loses the response (the request still took effect), noting its status.
    """

    async def swallow(message: Message) -> None:
        if message["type"] == "http.response.start":
            lost.append(message["status"])

    return swallow
