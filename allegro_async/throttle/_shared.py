"""Redis side of the shared limiter: the Lua scripts and one object that calls them.

Every script reads the time from Redis (``TIME``) unless the caller passes ``now`` (tests),
so processes on hosts with skewed clocks agree on one clock. Times inside Redis are integer
microseconds; the block key holds the block's end, the probe key holds the prober's token.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Literal

from allegro_async.throttle.bucket import Clock

log = logging.getLogger("allegro_async.throttle.redis")

FailMode = Literal["open", "closed"]

# The clock prologue of every script: ARGV[1] is "" (use Redis TIME) or microseconds.
_NOW = """
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1])
else local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
"""

#: GCRA reservation (S1), with the A1 block checked first in the same round trip: reserve
#: ``count`` grants of ``cost`` each and say when the first may go; never "try again later",
#: so a grant costs one call even at the limit (the caller sleeps until its grant's time).
#: ``recovering`` (this process just came back from an outage, during which its local
#: fallback spent budget Redis never saw): count the bucket as full.
#: KEYS: bucket, block. ARGV: now, interval_us, capacity, cost, ignore_block, count, recovering.
#: Reply: {0, us} reserved, the reservation starts ``us`` after now (grant i of cost c may go
#: at now + us + (i + 1) * c * interval - capacity * interval); {2, us} blocked for that long
#: (<= 0: the block time is over and a probe decides).
ADMIT = _NOW + """
if ARGV[5] == '0' then
  local b = redis.call('GET', KEYS[2])
  if b then return {2, tonumber(b) - now} end
end
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if ARGV[7] == '1' then
  local full = now + tonumber(ARGV[3]) * interval
  if tat < full then tat = full end
end
local new_tat = math.ceil(tat + tonumber(ARGV[6]) * tonumber(ARGV[4]) * interval)
redis.call('SET', KEYS[1], string.format('%d', new_tat),
           'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {0, math.floor(tat - now)}
"""

#: Start or extend the app block (A1); the caller's probe lock goes with it, atomically, so
#: nobody can take the lock between "probe failed" and "block extended".
#: KEYS: block, probe. ARGV: now, block_us, grace_ms, token. Reply: the block's length in us.
CLOSE = _NOW + """
local untl = now + tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur > untl then untl = cur end
redis.call('SET', KEYS[1], string.format('%d', untl),
           'PX', math.ceil((untl - now) / 1000) + tonumber(ARGV[3]))
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return untl - now
"""

#: Where the gate stands, taking the probe lock if the block time is over and nobody holds it.
#: KEYS: block, probe. ARGV: now, token, probe_ttl_ms.
#: Reply: {0, 0} open; {1, us} closed that long; {2, 0} you probe; {3, 0} another one probes.
GATE = _NOW + """
local b = redis.call('GET', KEYS[1])
if not b then return {0, 0} end
local rest = tonumber(b) - now
if rest > 0 then return {1, rest} end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return {2, 0} end
return {3, 0}
"""

#: A probe ended: free the lock if it is still ours; a success ends a block that is over
#: (a newer block set by another process's 429 stays). KEYS: block, probe. ARGV: now, token, ok.
PROBE_DONE = _NOW + """
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
if ARGV[3] == '1' then
  local b = tonumber(redis.call('GET', KEYS[1]) or '0')
  if b <= now then redis.call('DEL', KEYS[1]) end
end
return 1
"""


def redis_errors() -> tuple[type[BaseException], ...]:
    """What counts as "Redis is unreachable": redis-py's errors, sockets and timeouts."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, asyncio.TimeoutError)


class SharedState:
    """The keys of one app in Redis and the scripts on them, plus the "Redis is down" state.

    ``now`` (seconds) replaces Redis ``TIME`` for tests with a fake clock.
    """

    def __init__(self, client: Any, prefix: str, *, clock: Clock, now: Clock | None,
                 fail: FailMode, retry_after: float, probe_ttl: float) -> None:
        self.client = client
        self.keys = {name: f"{prefix}:{name}" for name in ("bucket", "block", "probe")}
        self.clock = clock
        self.now = now
        self.fail: FailMode = fail
        self.retry_after = retry_after
        self.probe_ttl_ms = int(probe_ttl * 1000)
        # The probe lock's value: one token per process-side throttle, never a secret.
        self.token = uuid.uuid4().hex
        self.down_until = float("-inf")
        self.errors = 0
        #: Outages seen (up -> down), successful script calls, grants reserved: the bucket
        #: refills its fallback on a new outage; benchmarks read calls per grant.
        self.outages = 0
        self.calls = 0
        self.grants = 0
        #: Set by a failure, cleared by the next admission that reached Redis (which then
        #: counted the shared bucket as full).
        self.recovering = False
        self._scripts = {name: client.register_script(lua) for name, lua in
                         (("admit", ADMIT), ("close", CLOSE), ("gate", GATE),
                          ("probe_done", PROBE_DONE))}
        self._catch = redis_errors()

    # -- health ----------------------------------------------------------------------------
    @property
    def down(self) -> bool:
        """Whether Redis failed recently (requests use the local fallback until retry)."""
        return self.clock() < self.down_until

    @property
    def in_outage(self) -> bool:
        """Whether Redis failed and has not answered since."""
        return self.down_until != float("-inf")

    def failed(self, error: BaseException) -> None:
        """Remember an outage; log once per outage (not once per retry), without the URL (it
        may hold a password)."""
        self.recovering = True
        if not self.in_outage:
            action = ("falling back to this process's own limiter" if self.fail == "open"
                      else "holding requests until it answers")
            log.warning("Redis unreachable for the shared Allegro limit (%s); %s",
                        type(error).__name__, action)
            self.outages += 1
        self.errors += 1
        self.down_until = self.clock() + self.retry_after

    def _recovered(self) -> None:
        if self.in_outage:
            log.info("Redis reachable again: the Allegro limit is shared again")
            self.down_until = float("-inf")

    async def _call(self, name: str, keys: list[str], *args: Any) -> Any:
        now = "" if self.now is None else str(int(self.now() * 1_000_000))
        try:
            reply = await self._scripts[name](keys=keys, args=[now, *args])
        except self._catch as error:
            self.failed(error)
            raise
        self.calls += 1
        self._recovered()
        return reply

    # -- the scripts -----------------------------------------------------------------------
    async def admit(self, interval_us: float, capacity: float, cost: float,
                    ignore_block: bool, count: int = 1) -> tuple[int, float]:
        """Reserve ``count`` grants of ``cost``: ``(0, start_s)`` (grant ``i`` may go
        ``start_s + ((i + 1) * cost - capacity) * interval`` from now) or ``(2, blocked_s)``.

        The first call after an outage counts the shared bucket as full (see ``ADMIT``)."""
        k = self.keys
        recovering = "1" if self.recovering else "0"
        status, value = await self._call("admit", [k["bucket"], k["block"]], repr(interval_us),
                                         repr(capacity), repr(cost), "1" if ignore_block else "0",
                                         str(count), recovering)
        if int(status) == 0:
            self.recovering = False
            self.grants += count
        return int(status), int(value) / 1_000_000

    async def close(self, seconds: float, grace: float) -> float:
        """Start or extend the shared block; returns its remaining seconds."""
        k = self.keys
        rest = await self._call("close", [k["block"], k["probe"]], str(int(seconds * 1e6)),
                                str(int(grace * 1000)), self.token)
        return int(rest) / 1_000_000

    async def gate(self) -> tuple[int, float]:
        """``(0, 0)`` open, ``(1, s)`` closed, ``(2, 0)`` you probe, ``(3, 0)`` someone does."""
        k = self.keys
        status, value = await self._call("gate", [k["block"], k["probe"]], self.token,
                                         str(self.probe_ttl_ms))
        return int(status), int(value) / 1_000_000

    async def probe_done(self, success: bool) -> None:
        """Free our probe lock; end the block on success."""
        k = self.keys
        await self._call("probe_done", [k["block"], k["probe"]], self.token,
                         "1" if success else "0")

