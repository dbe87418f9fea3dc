"""Leases with fencing tokens, and a register of live workers, kept in Redis.

A lease says which worker consumes a seller's journal. It is taken only when free or expired,
lives ``ttl`` seconds unless renewed, and carries a fencing token that grows by one at every
take-over: a worker that lost its lease (paused past its TTL, cut off from Redis) holds an old
token, and every compare-and-renew, release or check with it fails. Each operation is one Lua
script, so the compare and the write are one atomic step in Redis.

Workers register with heartbeats (a sorted set scored by expiry); a worker that stops beating
drops out after its TTL. :class:`~allegro_async.fleet.sql.SqlLeases` keeps the same in a SQL
database (PostgreSQL). Both take ``now``: a clock in seconds for tests with a fake clock;
without it Redis uses its own ``TIME`` (one clock for every host).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from allegro_async.errors import AllegroError, InvalidArgumentError

__all__ = ["LeaseBackend", "LeaseLostError", "RedisLeases", "check_ttl"]


class LeaseLostError(AllegroError):
    """This worker no longer holds the seller's lease (it expired or another worker took it
    over): what it was about to save is not saved, and the new holder delivers it again."""


@runtime_checkable
class LeaseBackend(Protocol):
    """Where leases and the worker register live (Redis, a SQL database)."""

    async def acquire(self, names: Sequence[str], holder: str,
                      ttl: float) -> dict[str, int]:
        """Take each free or expired lease in ``names``; the fencing token of each taken."""
        ...

    async def renew(self, tokens: Mapping[str, int], holder: str, ttl: float) -> set[str]:
        """Extend the leases still held with these tokens; the names renewed."""
        ...

    async def release(self, tokens: Mapping[str, int], holder: str) -> None:
        """Free the leases held with these tokens (others are left alone)."""
        ...

    async def check(self, name: str, holder: str, token: int, margin: float) -> bool:
        """Whether ``holder`` holds ``name`` with ``token`` for at least ``margin`` seconds."""
        ...

    async def heartbeat(self, worker: str, ttl: float) -> None:
        """Register ``worker`` as live for ``ttl`` seconds."""
        ...

    async def leave(self, worker: str) -> None:
        """Remove ``worker`` from the register at once."""
        ...

    async def workers(self) -> list[str]:
        """The live workers, sorted."""
        ...


def check_ttl(ttl: object, name: str = "ttl") -> float:
    """``ttl`` as positive seconds, else :class:`InvalidArgumentError`."""
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
        raise InvalidArgumentError(name, f"must be seconds > 0, got {ttl!r}",
                                   "e.g. ttl=15.0")
    return float(ttl)


# The time in milliseconds: the caller's (ARGV) or Redis's own.
_NOW = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# KEYS: leases; ARGV: now, holder, ttl_ms -> a token per key (0: held by another).
_ACQUIRE = _NOW + """
local out = {}
for i, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'holder', 'token', 'exp')
  local exp = tonumber(h[3]) or 0
  if h[1] and h[1] ~= '' and exp > now then
    out[i] = 0
  else
    local token = (tonumber(h[2]) or 0) + 1
    redis.call('HSET', key, 'holder', ARGV[2], 'token', token, 'exp', now + tonumber(ARGV[3]))
    out[i] = token
  end
end
return out
"""

# KEYS: leases; ARGV: now, holder, ttl_ms, token per key -> 1 renewed / 0 lost, per key.
_RENEW = _NOW + """
local out = {}
for i, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'holder', 'token', 'exp')
  if h[1] == ARGV[2] and h[2] == ARGV[3 + i] and (tonumber(h[3]) or 0) > now then
    redis.call('HSET', key, 'exp', now + tonumber(ARGV[3]))
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""

# KEYS: leases; ARGV: now (unused), holder, token per key.
_RELEASE = """
for i, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'holder', 'token')
  if h[1] == ARGV[2] and h[2] == ARGV[2 + i] then
    redis.call('HSET', key, 'holder', '', 'exp', 0)
  end
end
return 1
"""

# KEYS: lease; ARGV: now, holder, token, margin_ms.
_CHECK = _NOW + """
local h = redis.call('HMGET', KEYS[1], 'holder', 'token', 'exp')
if h[1] == ARGV[2] and h[2] == ARGV[3] and (tonumber(h[3]) or 0) - now >= tonumber(ARGV[4]) then
  return 1
end
return 0
"""

# KEYS: register; ARGV: now, worker, ttl_ms.
_HEARTBEAT = _NOW + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
return 1
"""

# KEYS: register; ARGV: now.
_WORKERS = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""

#: Leases renewed or taken per script call: long scripts block Redis for everyone.
_BATCH = 500


class RedisLeases:
    """:class:`LeaseBackend` in Redis. Keys: ``{prefix}:lease:{name}`` (a hash: holder, token,
    expiry in ms; kept after release so the next token is larger) and ``{prefix}:workers``.

    Args:
        redis: a ``redis.asyncio.Redis`` client (yours to close) or a ``redis://`` URL.
        prefix: the key prefix; every worker of a fleet must use the same.
        now: a clock in seconds instead of Redis ``TIME`` (tests with a fake clock).
    """

    def __init__(self, redis: Any, *, prefix: str = "allegro-async:consumers",
                 now: Callable[[], float] | None = None) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise InvalidArgumentError("prefix", "is empty", "e.g. prefix='allegro-async:shop'")
        self._own = isinstance(redis, str)
        if isinstance(redis, str):
            if not redis.startswith(("redis://", "rediss://", "unix://")):
                raise InvalidArgumentError("redis", "is not a redis:// URL",
                                           "give redis://host:port/db or a Redis client")
            import redis.asyncio as aioredis

            # Bounded waits: a round must end (and give up leases in time) when Redis hangs.
            redis = aioredis.Redis.from_url(redis, socket_timeout=2.0,
                                            socket_connect_timeout=2.0)
        self.redis = redis
        self.prefix = prefix
        self._now = now
        self._scripts = {name: redis.register_script(body) for name, body in (
            ("acquire", _ACQUIRE), ("renew", _RENEW), ("release", _RELEASE),
            ("check", _CHECK), ("heartbeat", _HEARTBEAT), ("workers", _WORKERS))}

    def __repr__(self) -> str:
        return f"RedisLeases(prefix={self.prefix!r})"

    def _key(self, name: str) -> str:
        return f"{self.prefix}:lease:{name}"

    def _time(self) -> str:
        return "" if self._now is None else str(int(self._now() * 1000))

    async def _run(self, script: str, keys: Sequence[str], *args: object) -> Any:
        return await self._scripts[script](keys=list(keys), args=[self._time(), *args])

    async def acquire(self, names: Sequence[str], holder: str,
                      ttl: float) -> dict[str, int]:
        """Take each free or expired lease; the fencing token of each taken."""
        ms = int(check_ttl(ttl) * 1000)
        taken: dict[str, int] = {}
        for start in range(0, len(names), _BATCH):
            chunk = list(names[start:start + _BATCH])
            tokens = await self._run("acquire", [self._key(n) for n in chunk], holder, ms)
            taken.update((n, int(t)) for n, t in zip(chunk, tokens, strict=True) if int(t))
        return taken

    async def renew(self, tokens: Mapping[str, int], holder: str, ttl: float) -> set[str]:
        """Extend the leases still held with these tokens; the names renewed."""
        ms = int(check_ttl(ttl) * 1000)
        names = list(tokens)
        kept: set[str] = set()
        for start in range(0, len(names), _BATCH):
            chunk = names[start:start + _BATCH]
            done = await self._run("renew", [self._key(n) for n in chunk], holder, ms,
                                   *(tokens[n] for n in chunk))
            kept.update(n for n, ok in zip(chunk, done, strict=True) if int(ok))
        return kept

    async def release(self, tokens: Mapping[str, int], holder: str) -> None:
        """Free the leases held with these tokens."""
        names = list(tokens)
        for start in range(0, len(names), _BATCH):
            chunk = names[start:start + _BATCH]
            await self._run("release", [self._key(n) for n in chunk], holder,
                            *(tokens[n] for n in chunk))

    async def check(self, name: str, holder: str, token: int, margin: float) -> bool:
        """Whether ``holder`` holds ``name`` with ``token`` for at least ``margin`` seconds."""
        return bool(int(await self._run("check", [self._key(name)], holder, token,
                                        int(margin * 1000))))

    async def heartbeat(self, worker: str, ttl: float) -> None:
        """Register ``worker`` as live for ``ttl`` seconds."""
        await self._run("heartbeat", [f"{self.prefix}:workers"], worker,
                        int(check_ttl(ttl) * 1000))

    async def leave(self, worker: str) -> None:
        """Remove ``worker`` from the register."""
        await self.redis.zrem(f"{self.prefix}:workers", worker)

    async def workers(self) -> list[str]:
        """The live workers, sorted."""
        found = await self._run("workers", [f"{self.prefix}:workers"])
        return sorted(w.decode() if isinstance(w, bytes) else str(w) for w in found)

    async def aclose(self) -> None:
        """Close the Redis client if this object made it from a URL."""
        if self._own:
            await self.redis.aclose()
