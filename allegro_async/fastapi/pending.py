"""Where onboarding flows wait between ``/connect`` and ``/callback``: the
:class:`PendingStore` protocol, :class:`PendingAuthorizations` (one process) and
:class:`RedisPendingAuthorizations` (every worker of every host).

A flow is kept under a hash of its ``state`` (a store dump shows no live state) with its PKCE
verifier and a hash of the browser binding (the cookie value), for ``ttl`` seconds, and taken
once. Nothing is evicted to make room: past ``max_pending`` live flows a new ``/connect`` gets
503, and past ``max_per_client`` flows started by one client within ``ttl`` it gets 429, so
anonymous calls cannot push out a seller's flow in progress.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from allegro_async.errors import AllegroError, InvalidArgumentError


@dataclass(frozen=True)
class PendingFlow:
    """One started authorization: its ``state``, PKCE verifier, redirect URI, and the SHA-256
    (hex) of the browser-binding cookie. The repr shows none of the secrets."""

    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str = ""
    binding: str = field(default="", repr=False)

    def to_text(self) -> str:
        """Plain data for a shared store."""
        return json.dumps({"state": self.state, "code_verifier": self.code_verifier,
                           "redirect_uri": self.redirect_uri, "binding": self.binding})

    @classmethod
    def from_text(cls, text: str | bytes) -> PendingFlow:
        """The inverse of :meth:`to_text`."""
        data = json.loads(text)
        return cls(str(data["state"]), str(data["code_verifier"]),
                   str(data.get("redirect_uri", "")), str(data.get("binding", "")))


class TooManyPendingError(AllegroError):
    """A new flow was refused: ``status`` 429 (this client started too many) or 503 (too many
    flows pending in all), with ``retry_after`` seconds."""

    def __init__(self, message: str, *, status: int, retry_after: int) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


def state_key(state: str) -> str:
    """What a flow is stored under: the state's SHA-256, never the state itself."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _check_limits(ttl: float, max_pending: int, max_per_client: int) -> None:
    if not isinstance(ttl, (int, float)) or not 0 < ttl <= 3600:
        raise InvalidArgumentError("ttl", f"{ttl!r} is not between 0 and 3600 seconds",
                                   "e.g. ttl=600 (Allegro's authorize page waits for the seller)")
    for name, value in (("max_pending", max_pending), ("max_per_client", max_per_client)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidArgumentError(name, f"{value!r} is not a count >= 1",
                                       f"e.g. {name}=10000" if name == "max_pending"
                                       else f"e.g. {name}=20")


@runtime_checkable
class PendingStore(Protocol):
    """Keeps started flows for ``ttl`` seconds, shared by the workers that may get callbacks."""

    ttl: float

    async def put(self, flow: PendingFlow, *, client: str) -> None:
        """Keep ``flow`` (started by ``client``, e.g. its IP), or raise
        :class:`TooManyPendingError`."""
        ...

    async def take(self, state: str) -> PendingFlow | None:
        """The flow started with ``state``, once (``None`` if unknown, taken or expired)."""
        ...


class PendingAuthorizations:
    """Flows in this process's memory: for one worker (behind several, use
    :class:`RedisPendingAuthorizations`)."""

    def __init__(self, *, ttl: float = 600.0, max_pending: int = 10_000,
                 max_per_client: int = 20, clock: Callable[[], float] = time.monotonic) -> None:
        _check_limits(ttl, max_pending, max_per_client)
        self.ttl, self._max, self._per_client, self._clock = ttl, max_pending, max_per_client, clock
        self._flows: dict[str, tuple[float, PendingFlow]] = {}
        self._started: dict[str, list[float]] = {}  # client -> deadlines of its recent flows

    def __len__(self) -> int:
        self._expire()
        return len(self._flows)

    def __repr__(self) -> str:  # states are one-time secrets: not shown
        return f"<PendingAuthorizations {len(self._flows)} pending>"

    async def put(self, flow: PendingFlow, *, client: str) -> None:
        """Keep ``flow``; refused (never evicting another) past the caps."""
        self._expire()
        now = self._clock()
        recent = self._started.setdefault(client, [])
        if len(recent) >= self._per_client:
            raise TooManyPendingError(
                "this client started too many authorizations; finish one or wait",
                status=429, retry_after=max(1, math.ceil(recent[0] - now)))
        if len(self._flows) >= self._max:
            soonest = min(deadline for deadline, _ in self._flows.values())
            raise TooManyPendingError(
                "too many authorizations are pending; try again shortly",
                status=503, retry_after=max(1, math.ceil(soonest - now)))
        recent.append(now + self.ttl)
        self._flows[state_key(flow.state)] = (now + self.ttl, flow)

    async def take(self, state: str) -> PendingFlow | None:
        """The flow started with ``state``, once."""
        self._expire()
        found = self._flows.pop(state_key(state), None)
        return None if found is None else found[1]

    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, (deadline, _) in self._flows.items() if deadline <= now]:
            del self._flows[key]
        for client in list(self._started):
            kept = [d for d in self._started[client] if d > now]
            if kept:
                self._started[client] = kept
            else:
                del self._started[client]


# KEYS: flow, live index (sorted set), client counter. ARGV: value, ttl ms, max, per client.
_PUT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {503, tonumber(first[2]) - now}
end
local started = redis.call('INCR', KEYS[3])
if started == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
if started > tonumber(ARGV[4]) then return {429, redis.call('PTTL', KEYS[3])} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), KEYS[1])
return {0, 0}
"""
# KEYS: flow, live index. Taken once: a second callback with the same state finds nothing.
_TAKE = """
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], KEYS[1])
return value
"""


class RedisPendingAuthorizations:
    """Flows in Redis, each under its own key with a TTL, so a callback can land on any worker
    of any host. ``max_per_client`` counts the flows one client started within ``ttl``.

    ::

        onboarding_router(pending=RedisPendingAuthorizations("redis://redis.internal/0"))
    """

    def __init__(self, redis: Any, *, prefix: str = "allegro:", ttl: float = 600.0,
                 max_pending: int = 10_000, max_per_client: int = 20) -> None:
        from allegro_async.stores.redis_cursors import redis_client

        _check_limits(ttl, max_pending, max_per_client)
        self.ttl, self._max, self._per_client = ttl, max_pending, max_per_client
        self._redis, self._owned = redis_client(redis)
        self._prefix = prefix

    async def put(self, flow: PendingFlow, *, client: str) -> None:
        """Keep ``flow``; refused (never evicting another) past the caps."""
        key = f"{self._prefix}pending:{state_key(flow.state)}"
        counter = f"{self._prefix}pending-client:{state_key(client)}"
        status, wait_ms = await self._redis.eval(
            _PUT, 3, key, f"{self._prefix}pending-live", counter, flow.to_text(),
            int(self.ttl * 1000), self._max, self._per_client)
        if status:
            raise TooManyPendingError(
                "this client started too many authorizations; finish one or wait"
                if status == 429 else "too many authorizations are pending; try again shortly",
                status=int(status), retry_after=max(1, math.ceil(int(wait_ms) / 1000)))

    async def take(self, state: str) -> PendingFlow | None:
        """The flow started with ``state``, once, whichever worker sent the seller out."""
        key = f"{self._prefix}pending:{state_key(state)}"
        value = await self._redis.eval(_TAKE, 2, key, f"{self._prefix}pending-live")
        return None if value is None else PendingFlow.from_text(value)

    async def aclose(self) -> None:
        """Close the connection pool, when this store made it from a URL."""
        if self._owned:
            await self._redis.aclose()

    def __repr__(self) -> str:
        return f"RedisPendingAuthorizations(prefix={self._prefix!r}, ttl={self.ttl})"
