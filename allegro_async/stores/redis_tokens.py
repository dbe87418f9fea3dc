"""Token pairs in Redis (or Valkey), shared by every host of one app, with a refresh lock that
spans hosts: :class:`RedisTokenStore`. Needs the ``redis`` extra."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import anyio

from allegro_async.auth.tokens import Token
from allegro_async.errors import InvalidArgumentError
from allegro_async.stores import fencing
from allegro_async.stores.crypto import FROM_ENV, TokenCipher, resolve

#: Default lock TTL (seconds). A holder that dies after its refresh reached Allegro leaves the
#: old refresh token alive for about 60 s more (A5): the next host must get the lock, and
#: refresh with it, well inside that.
DEFAULT_LOCK_TTL = 30.0
#: Waits between attempts at a busy lock: short first, then capped.
_POLL_FIRST = 0.002
_POLL_MAX = 0.05

# KEYS: lock, fence. ARGV: ttl ms, owner. A free lock is taken with the next fence.
_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence .. ':' .. ARGV[2], 'PX', ARGV[1])
return fence
"""
# KEYS: lock. ARGV: fence:owner. Only the holder releases (not a newer one after a TTL).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: lock. ARGV: fence:owner, ttl ms. Only the holder extends its own lock.
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: intent, fence. ARGV: fence, ttl ms. The holder records that it is about to refresh.
_BEGIN = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
#: How long a refresh intent is kept (ms): A5's grace; past it a takeover cannot succeed.
_INTENT_MS = 60_000
#: Keys per MGET in :meth:`RedisTokenStore.abandoned_refreshes`: one short command each.
_INTENT_BATCH = 500
# KEYS: token, fence, lock, index, intent. ARGV: value, fence ('' outside the lock), key.
# A holder saves only while no newer fence exists; a save outside the lock outdates any holder
# (a seller who just logged in again wins over a refresh of their previous pair) and frees it.
_SAVE = """
if ARGV[2] == '' then
  redis.call('INCR', KEYS[2])
  redis.call('DEL', KEYS[3])
elseif redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('DEL', KEYS[5])
return 1
"""


class RedisTokenStore:
    """Token pairs in Redis: one string per key, the keys listed in a set, a lock per key
    with a TTL and a fencing token.

    ::

        store = RedisTokenStore("redis://redis.internal:6379/0")
        app = AllegroApp(client_id, client_secret, store=store)

    ``lock(key)`` is held by one task on one host at a time; the others wait (polling, with a
    short capped pause) and then read the pair it saved. A holder that dies leaves the lock to
    expire after ``lock_ttl`` seconds (default 30, under A5's 60-second grace: the next host
    still refreshes with the old refresh token if the dead one had already used it). A holder
    that outlives its lock gets :class:`~allegro_async.stores.StaleLockError` from ``save``
    instead of overwriting a newer pair.

    Args:
        redis: a ``redis://`` URL, or a ``redis.asyncio.Redis`` you own (not closed here).
        prefix: the start of every Redis key this store uses.
        lock_ttl: seconds a lock lives without its holder releasing it.
        cipher: encrypts pairs at rest; default: ``ALLEGRO_TOKEN_KEY`` when set, else none.

    Works with one Redis server (or a primary behind Sentinel), not Redis Cluster.
    """

    def __init__(self, redis: Any, *, prefix: str = "allegro:", lock_ttl: float = DEFAULT_LOCK_TTL,
                 cipher: TokenCipher | Any | None = FROM_ENV) -> None:
        if not isinstance(lock_ttl, (int, float)) or not 0 < lock_ttl <= 55:
            raise InvalidArgumentError(
                "lock_ttl", f"{lock_ttl!r} is not between 0 and 55 seconds",
                "keep it under the 60-second grace of a rotated refresh token, e.g. 30",
            )
        if isinstance(redis, str):
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(redis)
            self._owned = True
        elif hasattr(redis, "eval"):
            self._redis, self._owned = redis, False
        else:
            raise InvalidArgumentError("redis", f"{type(redis).__name__} is not a Redis client",
                                       "pass a redis:// URL or a redis.asyncio.Redis")
        self._prefix = prefix
        self._ttl_ms = int(lock_ttl * 1000)
        self._lock_ttl = float(lock_ttl)
        self._cipher = resolve(cipher)
        self._owner = secrets.token_hex(8)  # tells this store's locks apart in Redis
        self._local: dict[str, anyio.Lock] = {}

    def _keys(self, key: str) -> tuple[str, str, str]:
        tagged = "{" + key + "}"  # one hash slot for a key's token, fence and lock
        return (f"{self._prefix}token:{tagged}", f"{self._prefix}fence:{tagged}",
                f"{self._prefix}lock:{tagged}")

    def _intent(self, key: str) -> str:
        return f"{self._prefix}intent:{{{key}}}"

    @property
    def _index(self) -> str:
        return f"{self._prefix}sellers"

    async def load(self, key: str) -> Token | None:
        """The pair under ``key``, read from Redis each time."""
        fencing.check_key(key)
        stored = await self._redis.get(self._keys(key)[0])
        return None if stored is None else fencing.decode(stored, self._cipher)

    async def save(self, key: str, token: Token) -> None:
        """Replace the pair under ``key``. Under ``lock(key)``: only while the lock is still
        this task's (else :class:`~allegro_async.stores.StaleLockError`)."""
        fencing.check_key(key)
        if not isinstance(token, Token):
            raise InvalidArgumentError("token", f"{type(token).__name__} is not a Token",
                                       "pass a Token (Token.from_response(...) or a loaded one)")
        value = fencing.encode(token, self._cipher)
        fence = fencing.held_fence(self, key)
        token_key, fence_key, lock_key = self._keys(key)
        done = await self._redis.eval(_SAVE, 5, token_key, fence_key, lock_key, self._index,
                                      self._intent(key), value,
                                      "" if fence is None else str(fence), key)
        if not done:
            raise fencing.StaleLockError(key)

    async def keys(self) -> list[str]:
        """Every key that has a pair, sorted."""
        members = await self._redis.smembers(self._index)
        return sorted(m.decode("utf-8") if isinstance(m, bytes) else str(m) for m in members)

    async def delete(self, key: str) -> bool:
        """Remove the pair under ``key``, after a refresh of it in flight on any host."""
        fencing.check_key(key)
        async with self.lock(key):
            token_key = self._keys(key)[0]
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(token_key)
                pipe.srem(self._index, key)
                removed, _ = await pipe.execute()
            return bool(removed)

    async def begin_refresh(self, key: str) -> None:
        """Record, under ``lock(key)``, that its holder is about to send a refresh: until a
        save clears it, a holder that dies before saving leaves it behind for
        :meth:`abandoned_refresh` (kept for A5's 60-second grace)."""
        fencing.check_key(key)
        fence = fencing.held_fence(self, key)
        if fence is not None:
            await self._redis.eval(_BEGIN, 2, self._intent(key), self._keys(key)[1], str(fence),
                                   _INTENT_MS)

    async def abandoned_refresh(self, key: str) -> bool:
        """Whether a holder of ``lock(key)`` other than the running task began a refresh that no
        save has ended: it died before saving (the stored refresh token is rotated and must be
        used again at once), or it is still at work (take the lock, then re-read the pair)."""
        fencing.check_key(key)
        intent = await self._redis.get(self._intent(key))
        if intent is None:
            return False
        return int(intent) != fencing.held_fence(self, key)

    async def abandoned_refreshes(self, keys: list[str]) -> set[str]:
        """Those of ``keys`` for which :meth:`abandoned_refresh` holds, in one ``MGET`` per 500
        keys: the app's recovery sweep checks every seller it holds in memory this way."""
        found: set[str] = set()
        for start in range(0, len(keys), _INTENT_BATCH):
            chunk = [fencing.check_key(key) for key in keys[start:start + _INTENT_BATCH]]
            intents = await self._redis.mget([self._intent(key) for key in chunk])
            found.update(key for key, intent in zip(chunk, intents, strict=True)
                         if intent is not None
                         and int(intent) != fencing.held_fence(self, key))
        return found

    @property
    def lock_ttl(self) -> float:
        """Seconds a lock lives without its holder releasing it."""
        return self._lock_ttl

    async def extend_lock(self, key: str) -> bool:
        """Give the running task's ``lock(key)`` a full ``lock_ttl`` again (a holder whose save
        is being retried keeps the other hosts waiting); ``False`` when it holds none, or its
        lock has passed to another holder."""
        fencing.check_key(key)
        fence = fencing.held_fence(self, key)
        if fence is None:
            return False
        lock_key = self._keys(key)[2]
        return bool(await self._redis.eval(_EXTEND, 1, lock_key, f"{fence}:{self._owner}",
                                           self._ttl_ms))

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Hold ``key`` for one refresh, on every host; other keys stay free. Cancelling the
        wait leaves nothing held."""
        fencing.check_key(key)
        _, fence_key, lock_key = self._keys(key)
        async with self._local.setdefault(key, anyio.Lock()):  # this host's tasks queue here
            pause = _POLL_FIRST
            while True:
                fence = int(await self._redis.eval(_ACQUIRE, 2, lock_key, fence_key,
                                                   self._ttl_ms, self._owner))
                if fence:
                    break
                await anyio.sleep(pause)
                pause = min(pause * 2, _POLL_MAX)
            fencing.hold(self, key, fence)
            try:
                yield
            finally:
                fencing.hold(self, key, None)
                # released even when cancelled; a Redis that does not answer: the TTL frees it
                with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                    await self._redis.eval(_RELEASE, 1, lock_key, f"{fence}:{self._owner}")

    async def aclose(self) -> None:
        """Close the connection pool, when this store made it from a URL."""
        if self._owned:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisTokenStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self._prefix!r}, encrypted={self._cipher is not None})"
