"""``Throttle``: the limiter state one app shares across all its clients and sellers."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from allegro_async import _redact
from allegro_async._http import Request
from allegro_async.auth.jwt import decode_claims
from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle import duplicates
from allegro_async.throttle.adapt import AdaptParams, FamilyRate
from allegro_async.throttle.bucket import Clock, LeakyBucket, Sleep
from allegro_async.throttle.gate import AppGate, Slots
from allegro_async.throttle.pool import SharedPool
from allegro_async.throttle.rules import DEFAULT_RULES, Rule

#: The key of requests made with an app (client_credentials) token or no token (A6).
APP_KEY = "app"

EventHook = Callable[[str, dict[str, Any]], None]


#: Paths whose per-user limit Allegro adapts to traffic (A2: ``/sale/products``, #10440).
ADAPTIVE_PATHS: tuple[str, ...] = (r"/sale/products(?:/.*)?",)


@dataclass
class UserLimits:
    """What the throttle tracks for one user key: its parallel cap and its A2 buckets."""

    slots: Slots
    max_parallel: int
    buckets: dict[str, LeakyBucket] = field(default_factory=dict)
    tiers: dict[str, tuple[LeakyBucket, ...]] = field(default_factory=dict)
    #: The AIMD state of each family's first-tier bucket (A2 adaptation).
    rates: dict[str, FamilyRate] = field(default_factory=dict)
    successes: int = 0
    last_429: float = float("-inf")
    #: Requests sent and not yet answered (no response head, no error).
    pending: int = 0
    #: Requests answered with anything but 429, ever (compared before and after a request).
    served: int = 0
    #: Requests abandoned in flight (cancelled, timed out), ever.
    abandoned: int = 0
    #: When each abandoned request's slot is given back, oldest first (each holds a slot).
    ghosts: deque[float] = field(default_factory=deque)
    #: When the last abandoned slot was given back.
    ghost_released: float = float("-inf")


class Throttle:
    """Limits shared by every client of one app (one Client ID, S1).

    Pass the same instance to many clients (``AllegroClient(throttle=t)``) so that every seller
    the app serves draws from one app-wide bucket (clients with no transport of their own also
    share one connection pool, :attr:`pool`)::

        throttle = Throttle()                          # 9000/min, bursts of 100
        clients = [AllegroClient(access_token=tok, throttle=throttle) for tok in tokens]

    Args:
        rate: the app-wide S1 budget: ``rate`` requests per ``per`` seconds (9000).
        per: the window of ``rate``, in seconds (60).
        burst: most requests sent at once before the rate applies (conservative: 100).
        max_in_flight: app-wide cap on requests inside the HTTP stack at once; keeps httpx's
            pool small when hundreds of tasks call the client (issue 4, item 5).
        user_parallel: per-user cap on parallel requests (S2); cut on a per-user 429 and
            regrown by one after ``regrow_after`` successes.
        rules: per-user limits by endpoint family (A2); see :mod:`allegro_async.throttle.rules`.
        block_seconds: how long the gate stays closed after an app-wide 429 (A1: 60 s).
        retry_429_for: how long a 429'd request is retried before ``RateLimitedError``.
        user_backoff: pause before retrying a lone request 429'd by a per-user limit (an
            adaptive path's, see :meth:`classify`).
        cap_backoff: pause before retrying a request 429'd by the user's parallel cap (it
            then also waits for a slot under the cut cap, which paces it).
        signal_window: seconds within which a second lone 429 (the same user's again, or
            another user's) confirms an app-wide block where a lone 429 alone does not; see
            :meth:`classify`.
        abandoned_busy_for: seconds a request cancelled or timed out in flight keeps its
            user's parallel slot: Allegro may still be working on it and counts it against
            the user's parallel cap (S2); see :meth:`abandon`.
        adapt: how a user's family rate follows Allegro's signals when its real A2 limit is
            lower than the rule's (:class:`~allegro_async.throttle.adapt.AdaptParams`; the
            defaults when ``None``; ``False`` keeps every rule's rate fixed).
        adaptive_paths: regular expressions of paths whose per-user limit Allegro adapts to
            traffic and may enforce with a 429 even for one request at a time (A2:
            ``/sale/products``); a lone 429 there needs a second signal to count as a block.
        clock: a monotonic clock in seconds; inject for tests (or pass an emulator's clock to
            run on its scaled time).
        sleep: the sleep that goes with ``clock``.
        on_event: called as ``on_event(name, data)`` for ``"429"``, ``"gate_closed"``,
            ``"gate_opened"``, ``"retry"`` and ``"rate_limited"`` events, for metrics.
        client_id: the app's Client ID; when given, a second live throttle for it in this
            process raises :class:`~allegro_async.throttle.duplicates.DuplicateThrottleWarning`.
    """

    def __init__(
        self,
        *,
        rate: float = 9000,
        per: float = 60.0,
        burst: float = 100,
        max_in_flight: int = 64,
        user_parallel: int = 8,
        regrow_after: int = 50,
        rules: tuple[Rule, ...] = DEFAULT_RULES,
        block_seconds: float = 60.0,
        retry_429_for: float = 180.0,
        user_backoff: float = 1.0,
        cap_backoff: float = 0.1,
        signal_window: float = 5.0,
        abandoned_busy_for: float = 5.0,
        adaptive_paths: tuple[str, ...] = ADAPTIVE_PATHS,
        adapt: AdaptParams | bool | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
        on_event: EventHook | None = None,
        client_id: str | None = None,
    ) -> None:
        for name, value in (("rate", rate), ("per", per), ("burst", burst),
                            ("max_in_flight", max_in_flight), ("user_parallel", user_parallel),
                            ("block_seconds", block_seconds)):
            if not value > 0:
                raise InvalidArgumentError(name, f"must be > 0, got {value!r}",
                                           "give a positive number")
        if burst < 1:  # every request costs at least 1: a smaller burst admits none
            raise InvalidArgumentError("burst", f"must be >= 1, got {burst!r}",
                                       "give the most requests sent at once, e.g. 100")
        for name, value in (("user_backoff", user_backoff), ("cap_backoff", cap_backoff),
                            ("abandoned_busy_for", abandoned_busy_for)):
            if value < 0:
                raise InvalidArgumentError(name, f"must be >= 0, got {value!r}",
                                           "give seconds, or 0 for no pause")
        if retry_429_for < 0:
            raise InvalidArgumentError("retry_429_for", f"must be >= 0, got {retry_429_for!r}",
                                       "give seconds, or 0 to raise on the first 429")
        self.clock = clock
        self.sleep = sleep
        self.app_bucket = LeakyBucket(rate / per, burst, clock=clock, sleep=sleep)
        self.in_flight = Slots(max_in_flight)
        self.gate = AppGate(clock, sleep)
        self.user_parallel = user_parallel
        self.regrow_after = regrow_after
        self.rules = tuple(rules)
        # Rules by method, in their order: a request is matched against its method's only.
        self._rules_by_method: dict[str, tuple[Rule, ...]] = {}
        for rule in self.rules:
            for method in rule.methods:
                self._rules_by_method[method] = (*self._rules_by_method.get(method, ()), rule)
        self.block_seconds = block_seconds
        self.retry_429_for = retry_429_for
        self.user_backoff = user_backoff
        self.cap_backoff = cap_backoff
        self.on_event = on_event
        self._users: dict[str, UserLimits] = {}
        self._keys: dict[str, str] = {}
        self.signal_window = signal_window
        self.abandoned_busy_for = abandoned_busy_for
        self._adaptive = re.compile("|".join(f"(?:{p})" for p in adaptive_paths)) if (
            adaptive_paths) else None
        self._recent_user_429: dict[str, float] = {}
        self._app_family: dict[str, LeakyBucket] = {}
        self.adapt: AdaptParams | None = None
        if isinstance(adapt, AdaptParams):
            self.adapt = adapt
        elif adapt is None or adapt is True:
            self.adapt = AdaptParams()
        #: The connection pool shared by clients built with this throttle and no transport.
        self.pool = SharedPool()
        if client_id is not None:  # a second live throttle for this Client ID warns (S1)
            duplicates.claim(self, client_id)

    def __repr__(self) -> str:
        return (f"<Throttle {self.app_bucket.rate * 60:g}/min burst={self.app_bucket.capacity:g}"
                f" gate={self.gate.state} users={len(self._users)}>")

    # -- who is calling --------------------------------------------------------------------
    def user_key(self, request: Request) -> str:
        """The JWT ``user_name`` of the request's bearer token, or :data:`APP_KEY` (A6)."""
        header = request.headers.get("authorization")
        if not header:
            return APP_KEY
        key = self._keys.get(header)
        if key is None:
            _, _, token = header.partition(" ")
            claims = decode_claims(token.strip())
            key = claims.user_name if claims is not None and claims.user_name else APP_KEY
            if len(self._keys) > 4096:  # many rotated tokens: forget old ones
                self._keys.clear()
            _redact.register(token.strip())
            self._keys[header] = key
        return key

    def rule_for(self, method: str, path: str) -> Rule | None:
        """The first of :attr:`rules` a request falls under (A2), or ``None``."""
        for rule in self._rules_by_method.get(method, ()):
            if rule.matches(method, path):
                return rule
        return None

    def user(self, key: str) -> UserLimits:
        """The limits tracked for one user key."""
        found = self._users.get(key)
        if found is None:
            found = UserLimits(Slots(self.user_parallel), self.user_parallel)
            self._users[key] = found
        return found

    def bucket_for(self, user: UserLimits, rule: Rule) -> LeakyBucket:
        """The user's (first-tier) bucket for a rule's endpoint family."""
        return self.buckets_for(user, rule)[0]

    def buckets_for(self, user: UserLimits, rule: Rule) -> tuple[LeakyBucket, ...]:
        """Every bucket a request under ``rule`` must fit: the user's tiers (per minute, per
        hour), then the app-wide tier of the family if the rule has one. Built once, cached."""
        found = user.tiers.get(rule.family)
        if found is None:
            made = []
            for i, (rate, burst) in enumerate(rule.tiers):
                name = rule.family if i == 0 else f"{rule.family}#{i}"
                bucket = user.buckets.get(name)
                if bucket is None:
                    bucket = LeakyBucket(rate, burst, clock=self.clock, sleep=self.sleep)
                    user.buckets[name] = bucket
                made.append(bucket)
            if rule.app is not None:
                shared = self._app_family.get(rule.family)
                if shared is None:
                    shared = LeakyBucket(rule.app[0], rule.app[1], clock=self.clock,
                                         sleep=self.sleep)
                    self._app_family[rule.family] = shared
                made.append(shared)
            found = user.tiers[rule.family] = tuple(made)
        return found

    def family_rate(self, user: UserLimits, rule: Rule) -> FamilyRate | None:
        """The AIMD state of the user's first-tier bucket of ``rule``'s family, or ``None``
        when adaptation is off."""
        if self.adapt is None:
            return None
        found = user.rates.get(rule.family)
        if found is None:
            bucket = self.buckets_for(user, rule)[0]
            found = user.rates[rule.family] = FamilyRate(bucket, self.adapt, self.clock())
        return found

    # -- the 429 protocol (A1) -------------------------------------------------------------
    def classify(self, key: str, parallel: int, path: str = "") -> str:
        """``"app_block"`` or ``"user_limit"`` for a 429 (they look alike, A1).

        ``parallel`` is how many of this user's requests Allegro may have been serving when
        it refused this one, this one included: requests still unanswered when the 429
        came, requests answered (not with 429) since this one was sent, and abandoned ones
        still counted busy (the transport computes it; 1 means none but this one).

        The rules, in order (docs/throttling.md, "A1: the 429 protocol"):

        1. The app's own key (client_credentials, A6) has no per-user limit: app block.
        2. ``parallel > 1``: the user's parallel cap (S2) explains it, whatever other users'
           429s say: many sellers hitting their own caps at once is normal at the start of
           a burst, and closing the gate for it stalls every seller for a minute. User limit.
        3. ``parallel == 1``: nothing of this user was being served, so its parallel cap
           cannot explain it (per-user rate limits slow responses down instead, S2): only
           the app-wide block does, and a second try would extend it (A1). App block.
        4. Unless the user's limit may answer a lone request with 429 after all: on
           ``adaptive_paths`` (A2: ``/sale/products``), or when the user abandoned a request
           whose slot was given back within ``signal_window`` (Allegro may still be working
           on it). There a lone 429 is the user's until a second signal: the same user's or
           another user's lone 429 within ``signal_window``, or the app at its S1 rate
           (requests queued for the app bucket).
        """
        if key == APP_KEY:
            return "app_block"
        if parallel > 1:
            return "user_limit"
        now = self.clock()
        recent = self._recent_user_429
        window = self.signal_window
        mine = now - recent.get(key, float("-inf")) < window
        others = any(k != key and now - t < window for k, t in recent.items())
        recent[key] = now
        if len(recent) > 64:  # forget old 429s: bounded however many sellers come and go
            for k in [k for k, t in recent.items() if now - t >= window]:
                del recent[k]
        user = self._users.get(key)
        doubt = (self._adaptive is not None and self._adaptive.fullmatch(path) is not None) or (
            user is not None and now - user.ghost_released < window)
        if not doubt or mine or others or self.app_bucket.waiting > 0:
            return "app_block"
        return "user_limit"

    def abandon(self, user: UserLimits) -> None:
        """Keep the slot of a request abandoned in flight (cancelled, timed out) taken for
        ``abandoned_busy_for`` seconds instead of giving it back now.

        Allegro may still be serving it: a new request in its place could be refused as one
        too many in parallel (S2), and with nothing else in flight that 429 would look like
        an app-wide block (A1). :meth:`reap` gives the slot back when the time is up.
        """
        user.abandoned += 1
        if self.abandoned_busy_for <= 0:
            user.slots.release()
            return
        user.ghosts.append(self.clock() + self.abandoned_busy_for)

    def reap(self, user: UserLimits) -> None:
        """Give back the slots of abandoned requests whose busy time is over."""
        now = self.clock()
        ghosts = user.ghosts
        while ghosts and ghosts[0] <= now:
            user.ghost_released = ghosts.popleft()
            user.slots.release()

    def user_limited(self, user: UserLimits, parallel_at_send: int) -> None:
        """Slow one user down: cut its parallel cap below what the server refused."""
        user.last_429 = self.clock()
        user.successes = 0
        user.slots.capacity = max(1, min(user.slots.capacity, parallel_at_send - 1))

    def user_succeeded(self, user: UserLimits) -> None:
        """Regrow a cut parallel cap slowly: one more slot per ``regrow_after`` successes."""
        if user.slots.capacity < user.max_parallel:
            user.successes += 1
            if user.successes >= self.regrow_after:
                user.successes = 0
                user.slots.capacity = user.slots.capacity + 1

    def emit(self, name: str, data: dict[str, Any]) -> None:
        """Call the ``on_event`` hook, if any."""
        if self.on_event is not None:
            self.on_event(name, data)
