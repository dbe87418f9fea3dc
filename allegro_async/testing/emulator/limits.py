"""Emulator: the S1 Client-ID bucket and block (A1), per-user buckets (A2), per-user
parallel cap (S2). All windows run on the emulator's (scalable) clock."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allegro_async.testing.emulator.http import OAuthError

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator

#: The A1 body: the same for the app-wide block and a per-user limit.
RATE_LIMIT_BODY = json.dumps({"errors": [{
    "code": "RateLimitExceedException", "message": "Too many requests", "details": None,
    "path": None, "userMessage": "Too many requests. Please try again later.",
}]}).encode()

_COMMANDS = r"/sale/offer-(?:publication|modification|quantity-change)-commands/[^/]+"
_PRICE = r"/sale/offer-price-change-commands/[^/]+"
_REPORTS = (r"/sale/offer-(?:publication|modification|quantity-change|price-change)"
            r"-commands/[^/]+(?:/tasks)?")


@dataclass(frozen=True)
class UserRule:
    """A per-user leaky bucket (A2): ``rate`` units per emulated second, ``capacity`` at once;
    ``by_offers`` makes a command PUT weigh its number of offers. ``per_hour`` adds an hourly
    tier (capacity a quarter of the hour's budget), ``app_rate`` (per second, capacity one
    second's worth) a tier shared by every user of one Client ID; all tiers apply."""

    family: str
    methods: frozenset[str]
    pattern: str
    rate: float
    capacity: float
    by_offers: bool = False
    per_hour: float | None = None
    app_rate: float | None = None


def _r(family: str, methods: str, pattern: str, per_minute: float, capacity: float,
       by_offers: bool = False, per_hour: float | None = None,
       app_rate: float | None = None) -> UserRule:
    return UserRule(family, frozenset(methods.split()), pattern, per_minute / 60, capacity,
                    by_offers, per_hour, app_rate)


#: A2 as the emulator enforces it (per minute; capacity about ten seconds' worth).
DEFAULT_USER_RULES: tuple[UserRule, ...] = (
    _r("offer-commands", "PUT", _COMMANDS, 9000, 1500, by_offers=True, per_hour=250_000),
    _r("price-commands", "PUT", _PRICE, 9000, 1500, by_offers=True, per_hour=150_000),
    _r("command-reports", "GET", _REPORTS, 270_000, 45_000),
    _r("product-offer-read", "GET", r"/sale/product-offers/[^/]+", 3500, 580),
    _r("product-offer-write", "POST", r"/sale/product-offers", 2490, 415, per_hour=74_700),
    _r("product-offer-write", "PATCH", r"/sale/product-offers/[^/]+", 2490, 415,
       per_hour=74_700),
    _r("carriers-shipments", "GET POST",
       r"/order/carriers|/order/checkout-forms/[^/]+/shipments", 3000, 500),
    _r("customer-returns", "GET POST", r"/order/customer-returns(?:/.*)?", 1500, 250,
       app_rate=50),
    _r("messages", "POST", r"/messaging/messages|/messaging/threads/[^/]+/messages", 60, 10),
)


@dataclass
class LimitsConfig:
    """Settings of the emulator's limits (times in emulated seconds).

    - ``app_rate`` per ``app_per`` seconds per Client ID (S1), with ``app_burst`` at once;
      over it the app is blocked for ``block_seconds`` and requests during a block extend it
      (A1). ``None`` for ``app_rate`` turns S1 off.
    - ``user_parallel``: requests one user may have in flight; one more gets 429 (S2).
    - ``user_rules``: per-user buckets (A2); over a bucket, responses are delayed until it
      fits (S2: slower), and 429 when the delay would exceed ``max_user_delay``.
    - ``latency`` (+ up to ``jitter``): added to every API response.
    - ``finish_abandoned``: a request whose client goes away (cancel, timeout) while it is
      being served keeps its place in the user's parallel count until its response would have
      been ready, as Allegro keeps working on it; ``False`` frees it at once.
    """

    enabled: bool = True
    app_rate: float | None = 9000
    app_per: float = 60.0
    app_burst: float = 150
    block_seconds: float = 60.0
    user_parallel: int | None = 10
    user_rules: tuple[UserRule, ...] = DEFAULT_USER_RULES
    max_user_delay: float = 10.0
    latency: float = 0.0
    jitter: float = 0.0
    finish_abandoned: bool = True


@dataclass
class _Bucket:
    """Virtual scheduling: ``tat`` is when the bucket will be empty."""

    rate: float
    capacity: float
    tat: float = 0.0

    def delay(self, now: float, cost: float) -> float:
        """How long a request of ``cost`` must wait to fit (0 if it fits now)."""
        return max(0.0, max(self.tat, now) + cost / self.rate - now - self.capacity / self.rate)

    def take(self, now: float, cost: float) -> None:
        self.tat = max(self.tat, now) + cost / self.rate


@dataclass
class LimitsState:
    """Live state of the emulator's limits; ``block_app`` forces an app-wide block."""

    emulator: Emulator
    blocked_until: dict[str, float] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    #: Per user, when each abandoned request would have been answered (emulated seconds).
    abandoned: dict[str, list[float]] = field(default_factory=dict)
    _app: dict[str, _Bucket] = field(default_factory=dict)
    _users: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    @property
    def config(self) -> LimitsConfig:
        """The emulator's :class:`LimitsConfig`."""
        return self.emulator.config.limits

    def block_app(self, seconds: float | None = None, client_id: str | None = None) -> None:
        """Block a Client ID (the emulator's own by default) for ``seconds`` emulated seconds,
        as if it had gone over S1."""
        self._start_block(client_id or self.emulator.client_id,
                          self.config.block_seconds if seconds is None else seconds)

    def app_blocked(self, client_id: str | None = None) -> bool:
        """Whether the Client ID is blocked now."""
        until = self.blocked_until.get(client_id or self.emulator.client_id, float("-inf"))
        return self.emulator.clock.monotonic() < until

    def _start_block(self, client_id: str, seconds: float) -> None:
        now = self.emulator.clock.monotonic()
        self.blocked_until[client_id] = now + seconds
        self.emulator.stats.open_block(client_id, now, now + seconds)

    def check_app(self, client_id: str) -> str | None:
        """Count one request against S1; the 429 cause, or ``None`` to serve it."""
        cfg, stats = self.config, self.emulator.stats
        now = self.emulator.clock.monotonic()
        until = self.blocked_until.get(client_id)
        if until is not None and now < until:
            # A1: a request during a block makes it longer.
            stats.requests_during_block += 1
            until = max(until, now + cfg.block_seconds)
            self.blocked_until[client_id] = until
            stats.extend_block(client_id, until)  # this Client ID's window, not the latest
            return "app_block"
        if cfg.app_rate is None:
            return None
        bucket = self._app.get(client_id)
        if bucket is None:
            bucket = self._app[client_id] = _Bucket(cfg.app_rate / cfg.app_per, cfg.app_burst)
        if bucket.delay(now, 1) > 0:
            self._start_block(client_id, cfg.block_seconds)
            return "app_rate"
        bucket.take(now, 1)
        return None

    def running(self, user: str) -> int:
        """Requests of ``user`` being served now, abandoned ones still being worked on
        included (S2's parallel count)."""
        count = self.in_flight.get(user, 0)
        pending = self.abandoned.get(user)
        if pending:
            now = self.emulator.clock.monotonic()
            pending[:] = [t for t in pending if t > now]
            count += len(pending)
        return count

    def abandon(self, user: str, ready_at: float) -> None:
        """Count a request whose client went away as running until ``ready_at``."""
        if ready_at > self.emulator.clock.monotonic():
            self.abandoned.setdefault(user, []).append(ready_at)

    def _tiers(self, user: str, rule: UserRule, client_id: str) -> list[_Bucket]:
        tiers = [(user, rule.family, rule.rate, rule.capacity)]
        if rule.per_hour is not None:
            tiers.append((user, rule.family + "#h", rule.per_hour / 3600, rule.per_hour / 4))
        if rule.app_rate is not None:  # keyed by the Client ID: shared by its users
            tiers.append(("app:" + client_id, rule.family, rule.app_rate, rule.app_rate))
        found = []
        for who, family, rate, capacity in tiers:
            bucket = self._users.get((who, family))
            if bucket is None:
                bucket = self._users[(who, family)] = _Bucket(rate, capacity)
            found.append(bucket)
        return found

    def user_delay(self, user: str, rule: UserRule, cost: float,
                   client_id: str = "") -> float | None:
        """Seconds to delay a user's request over its A2 buckets (every tier: per minute, per
        hour, per Client ID), or ``None`` for a 429."""
        now = self.emulator.clock.monotonic()
        buckets = self._tiers(user, rule, client_id or self.emulator.client_id)
        wait = max(bucket.delay(now, cost) for bucket in buckets)
        if wait > self.config.max_user_delay:
            return None
        for bucket in buckets:
            bucket.take(now, cost)
        return wait


def _find_rule(rules: tuple[UserRule, ...], method: str, path: str) -> UserRule | None:
    for rule in rules:
        if method in rule.methods and re.fullmatch(rule.pattern, path):
            return rule
    return None


def _offers_in(body: bytes) -> int:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return 1
    criteria = data.get("offerCriteria") if isinstance(data, dict) else None
    if not isinstance(criteria, list):
        return 1  # malformed: weighs one, and the route answers it with a 422
    offers = (c.get("offers") for c in criteria if isinstance(c, dict))
    return max(1, sum(len(o) for o in offers if isinstance(o, list)))


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages, chunks = [], []
    while True:
        message = await receive()
        messages.append(message)
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return b"".join(chunks), messages


async def send_429(send: Send) -> None:
    """Send Allegro's 429 (A1): JSON body, no Retry-After."""
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(RATE_LIMIT_BODY)).encode())]})
    await send({"type": "http.response.body", "body": RATE_LIMIT_BODY})


class LimitsMiddleware:
    """ASGI middleware applying the emulator's limits to API paths (not /auth, /_emulator)."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        cfg = self.emulator.config.limits
        if (scope["type"] != "http" or not cfg.enabled
                or path.startswith(("/auth/", "/_emulator/"))):
            await self.app(scope, receive, send)
            return
        emulator, state, stats = self.emulator, self.emulator.limits, self.emulator.stats
        client_id, user = emulator.client_id, None
        header = next((v.decode("latin-1") for k, v in scope["headers"]
                       if k == b"authorization"), None)
        try:
            who = emulator.tokens.verify_header(header)
            client_id = who.client_id
            user = who.user_id
            scope["allegro.principal"] = who  # the routes need not verify it again
        except OAuthError:
            pass  # no valid token: the route answers 401
        cause = state.check_app(client_id)
        if cause is not None:
            stats.rate_limited[cause] += 1
            await send_429(send)
            return
        if user is None:
            await self._serve(scope, receive, send)
            return
        running = state.running(user)
        if cfg.user_parallel is not None and running >= cfg.user_parallel:
            stats.rate_limited["user_parallel"] += 1
            await send_429(send)
            return
        state.in_flight[user] = state.in_flight.get(user, 0) + 1
        stats.peak_parallel[user] = max(stats.peak_parallel.get(user, 0), running + 1)
        # When the response will be ready: moved on by a user-rate delay and the jitter below.
        ready_at = emulator.clock.monotonic() + cfg.latency
        try:
            rule = _find_rule(cfg.user_rules, scope["method"], path)
            if rule is not None:
                cost = 1
                if rule.by_offers:
                    body, messages = await _read_body(receive)
                    cost = _offers_in(body)
                    receive = _replay(messages, receive)
                wait = state.user_delay(user, rule, cost, client_id)
                if wait is None:
                    stats.rate_limited["user_rate"] += 1
                    await send_429(send)
                    return
                if wait > 0:  # S2: over the rate, responses get slower
                    ready_at += wait
                    await emulator.clock.sleep(wait)
            delay = cfg.latency + (cfg.jitter * emulator.random.random() if cfg.jitter else 0)
            ready_at += delay - cfg.latency
            await self._serve(scope, receive, send, delay)
        except anyio.get_cancelled_exc_class():
            # The client went away; Allegro finishes what it started, and it still counts.
            if cfg.finish_abandoned:
                state.abandon(user, ready_at)
            raise
        finally:
            state.in_flight[user] -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send,
                     delay: float | None = None) -> None:
        cfg = self.emulator.config.limits
        if delay is None:
            delay = cfg.latency + (cfg.jitter * self.emulator.random.random()
                                   if cfg.jitter else 0)
        if delay > 0:
            await self.emulator.clock.sleep(delay)
        await self.app(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
