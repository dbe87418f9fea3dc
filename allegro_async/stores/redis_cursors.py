"""An event stream's place in Redis (or Valkey): :class:`RedisCursorStore`. Needs the ``redis``
extra."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allegro_async import _args
from allegro_async.cursors import DEFAULT_MAX_KEYS, CursorState, _check_commit
from allegro_async.errors import InvalidArgumentError

# KEYS: cursor, dedup list. ARGV: cursor, max keys, key... The event and its keys go together.
_COMMIT = """
redis.call('SET', KEYS[1], ARGV[1])
if #ARGV > 2 then redis.call('RPUSH', KEYS[2], unpack(ARGV, 3)) end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
return 1
"""


def redis_client(redis: Any) -> tuple[Any, bool]:
    """A ``redis.asyncio`` client for ``redis`` (a URL: made and owned here) and whether the
    store owns it."""
    if isinstance(redis, str):
        import redis.asyncio as aioredis

        return aioredis.Redis.from_url(redis), True
    if hasattr(redis, "eval"):
        return redis, False
    raise InvalidArgumentError("redis", f"{type(redis).__name__} is not a Redis client",
                               "pass a redis:// URL or a redis.asyncio.Redis")


class RedisCursorStore:
    """Keeps a stream's place in Redis under ``name`` (one name per stream, e.g.
    ``f"order-events:{seller_id}"``): the last finished event id in a string and the most
    recent ``max_keys`` de-duplication keys in a list, both written by one script, so a reader
    never sees an event without its keys (or the reverse).

    ::

        async with client.orders.events(store=RedisCursorStore(url, f"orders:{seller}")) as s:
            ...

    Args:
        redis: a ``redis://`` URL, or a ``redis.asyncio.Redis`` you own (not closed here).
        name: the stream's name in the store.
        prefix: the start of every Redis key this store uses.
        max_keys: how many recent de-duplication keys to keep.
    """

    def __init__(self, redis: Any, name: str, *, prefix: str = "allegro:",
                 max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("name", f"{name!r} is not a stream name",
                                       "pass a name such as 'order-events:<seller id>'")
        self._max_keys = _args.count(max_keys, "max_keys", minimum=1)
        self._redis, self._owned = redis_client(redis)
        tagged = "{" + name + "}"  # one hash slot for the cursor and its keys
        self._cursor_key = f"{prefix}cursor:{tagged}"
        self._keys_key = f"{prefix}dedup:{tagged}"
        self.name = name

    async def load(self) -> CursorState:
        """The saved state, read in one transaction."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._cursor_key)
            pipe.lrange(self._keys_key, -self._max_keys, -1)
            cursor, keys = await pipe.execute()
        return CursorState(None if cursor is None else cursor.decode("utf-8"),
                           [k.decode("utf-8") for k in keys])

    async def commit(self, cursor: str, keys: Sequence[str]) -> None:
        """Record ``cursor`` as the last finished event and ``keys`` as finished, atomically."""
        _check_commit(cursor, keys)
        await self._redis.eval(_COMMIT, 2, self._cursor_key, self._keys_key, cursor,
                               self._max_keys, *keys)

    async def aclose(self) -> None:
        """Close the connection pool, when this store made it from a URL (a stream does at
        the end of its ``async with``); a later call reconnects."""
        if self._owned:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisCursorStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"RedisCursorStore({self.name!r})"
