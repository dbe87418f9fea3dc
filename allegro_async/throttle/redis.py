"""``RedisThrottle``: one S1 budget and one A1 gate for every process of an app, via Redis.

Allegro's 9000/min (S1) is per Client ID: four FastAPI workers plus a cron job share it, and
if they overrun it together the whole app is blocked for a minute (A1). ``RedisThrottle`` is a
:class:`~allegro_async.throttle.Throttle` whose app bucket and app gate live in Redis::

    throttle = RedisThrottle("redis://127.0.0.1:6379/0", client_id=CLIENT_ID, processes=4)
    client = AllegroClient(access_token=token, throttle=throttle)

Needs the ``redis`` extra (``pip install allegro-async[redis]``) and asyncio (redis-py's
asyncio client). See docs/throttling.md, "Many processes: a Redis-shared limit".
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Coroutine
from typing import Any

import anyio

from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle._shared import FailMode, SharedState, log, redis_errors
from allegro_async.throttle.bucket import Clock, LeakyBucket, Sleep
from allegro_async.throttle.gate import AppGate
from allegro_async.throttle.limiter import Throttle

__all__ = ["RedisAppBucket", "RedisGate", "RedisThrottle"]

#: Set in the task that won the probe lock, so its own admission skips the block check.
_PROBING: contextvars.ContextVar[bool] = contextvars.ContextVar("allegro_probe", default=False)


class _Background:
    """Fire-and-forget Redis writes from the gate's sync methods, kept until done."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Redis errors are already logged by SharedState; the local gate still holds.
            log.debug("shared gate update failed: %r", task.exception())

    async def flush(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


class RedisGate(AppGate):
    """The A1 gate, shared: a 429 seen by any process closes it for all; one probe in total.

    The local state is a cache: it is refreshed on every admission (the bucket script reports
    a block) and, while closed, by one task per process asking Redis when the block is over.
    """

    def __init__(self, clock: Clock, sleep: Sleep, shared: SharedState, *,
                 block_grace: float, poll_interval: float) -> None:
        super().__init__(clock, sleep)
        self.shared = shared
        self.block_grace = block_grace
        self.poll_interval = poll_interval
        self.background = _Background()
        self._asking = False

    def observe(self, seconds: float) -> None:
        """Another process blocked the app: close locally for ``seconds`` (<= 0: ask now)."""
        if self.state == "open":
            self.blocks += 1
        elif self.state == "probing" and self._probe_out and seconds <= 0:
            return  # our own probe is out; its outcome decides
        self.state = "closed"
        self.closed_until = self._clock() + max(seconds, 0.0)
        self._notify()

    def close(self, seconds: float) -> None:
        """Close locally now and in Redis right after (extends a longer block, never cuts)."""
        super().close(seconds)
        _PROBING.set(False)
        self.background.spawn(self.shared.close(seconds, self.block_grace))

    def probe_done(self, success: bool) -> None:
        """Our probe ended; on success every process opens on its next look at Redis."""
        super().probe_done(success)
        _PROBING.set(False)
        self.background.spawn(self.shared.probe_done(success))

    async def wait(self) -> bool:
        """Wait until a request may go; ``True`` if it goes as the (app-wide) probe."""
        while True:
            if self.state == "open":
                return False
            now = self._clock()
            timing = self.state == "closed" and now < self.closed_until
            if timing and not self._timer_running:
                await self._sleep_out_block(now)  # one timer per process
                continue
            if timing or self._asking or (self.state == "probing" and self._probe_out):
                await self._changed.wait()
                continue
            # The block time is over here: one task asks Redis who probes.
            self._asking = True
            try:
                status, seconds = await self.shared.gate()
            except redis_errors():
                status, seconds = (2, 0.0) if not self._probe_out else (3, 0.0)
            finally:
                self._asking = False
                self._notify()
            if status == 0:
                self.state = "open"
                self._notify()
                return False
            if status == 1:
                self.state = "closed"
                self.closed_until = self._clock() + seconds
                continue
            self.state = "probing"
            if status == 2:
                self._probe_out = True
                _PROBING.set(True)
                return True
            # Another process probes: look again shortly (one poller per process).
            self._asking = True
            try:
                await self._sleep(self.poll_interval)
            finally:
                self._asking = False
                self._notify()


#: A reserved grant not taken within this long after its time is dropped, not sent late: a
#: late grant sent together with on-time ones would make a burst Redis never admitted.
_STALE = 0.25


class RedisAppBucket(LeakyBucket):
    """The S1 bucket in Redis (GCRA), reserved a few grants per call; a local FIFO queue in
    front so only the head of each process talks to Redis.

    One Lua call reserves ``min(lease, queued)`` grants and says when each may go; the head
    takes one, sleeps until its time and hands the rest down the queue. At the limit that is
    still one call per ``lease`` grants (a denied admission would cost a retry per grant).
    The inherited local bucket (this process's share: ``rate / processes``, bursts of
    ``burst / processes``) is the fallback while Redis is unreachable; it starts full, since
    the shared bucket may have been full when Redis went away.
    """

    def __init__(self, shared: SharedState, gate: RedisGate, rate: float, capacity: float,
                 processes: int, *, lease: int, clock: Clock, sleep: Sleep) -> None:
        super().__init__(rate / processes, max(1.0, capacity / processes), clock=clock,
                         sleep=sleep)
        self.shared = shared
        self.gate = gate
        self.shared_rate = float(rate)
        self.shared_capacity = float(capacity)
        self.lease = lease
        self._interval_us = 1_000_000 / float(rate)
        self._queue: deque[anyio.Event] = deque()
        # The grants reserved and not yet taken: the next goes at ``_next`` (local clock, but
        # not before ``_floor``, when Redis answered), each later one ``_step`` after it;
        # valid while the gate has seen no new block.
        self._left = 0
        self._next = 0.0
        self._floor = 0.0
        self._step = 0.0
        self._cost = 1.0
        self._lease_blocks = 0
        self._outages_seen = 0
        # After an outage each grant also takes the local share, until every other process
        # has had time to come back to Redis (until then they spend budget Redis cannot see).
        self._dual_until = float("-inf")

    @property
    def capacity(self) -> float:
        """The largest burst admitted at once, all processes together."""
        return self.shared_capacity

    @property
    def waiting(self) -> int:
        """Acquirers queued in this process (for Redis or for the local fallback)."""
        return len(self._queue) + super().waiting

    def __repr__(self) -> str:
        return (f"<RedisAppBucket rate={self.shared_rate:g}/s capacity={self.capacity:g} "
                f"waiting={self.waiting} redis={'down' if self.shared.down else 'up'}>")

    def _take_reserved(self, cost: float, now: float) -> float | None:
        """The time the next reserved grant may go, taking it; ``None`` if none is usable."""
        if self._left and (self._cost != cost or self._lease_blocks != self.gate.blocks):
            self._left = 0
        if self._left and max(self._floor, self._next) < now - _STALE:
            stale = int((now - _STALE - self._next) / self._step) + 1  # >= 1 here
            self._left -= min(self._left, stale)
            self._next += stale * self._step
        if not self._left:
            return None
        at = max(self._floor, self._next)
        self._left -= 1
        self._next += self._step
        return at

    async def _fallback(self, cost: float) -> None:
        if self.shared.outages != self._outages_seen:
            self._outages_seen = self.shared.outages
            self._drain()
            self._level = self._capacity  # the shared bucket may have been full
        await LeakyBucket.acquire(self, cost)

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait (FIFO in this process) until a grant of ``cost`` reserved in Redis is due;
        see the class docs."""
        self._check_cost(cost)
        me = anyio.Event()
        self._queue.append(me)
        try:
            if self._queue[0] is not me:
                await me.wait()
            probe = _PROBING.get()
            while True:
                if self.gate.state != "open" and not probe:
                    return  # blocked: the transport sends nothing and goes back to the gate
                now = self._clock()
                at = self._take_reserved(cost, now)
                if at is not None:
                    if at > now:
                        await self._sleep(at - now)
                    if self._clock() < self._dual_until:
                        await LeakyBucket.acquire(self, cost)
                    return
                if self.shared.down:
                    if self.shared.fail == "open":
                        await self._fallback(cost)
                        return
                    await self._sleep(max(0.0, self.shared.down_until - self._clock()))
                    continue
                recovering = self.shared.recovering
                count = 1 if probe else max(1, min(self.lease, len(self._queue)))
                try:
                    status, seconds = await self.shared.admit(
                        self._interval_us, self.shared_capacity, cost, probe, count)
                except redis_errors():
                    continue  # now marked down: the branch above decides
                if status == 2:
                    self.gate.observe(seconds)
                    return
                if recovering:
                    self._dual_until = self._clock() + self.shared.retry_after
                interval = self._interval_us / 1_000_000
                # Counted from the reply's arrival, later than Redis's "now": never early.
                self._floor = self._clock()
                self._next = self._floor + seconds + (cost - self.shared_capacity) * interval
                self._step = cost * interval
                self._left, self._cost, self._lease_blocks = count, cost, self.gate.blocks
        finally:
            if self._queue and self._queue[0] is me:
                self._queue.popleft()
                if self._queue:
                    self._queue[0].set()
            else:
                self._queue.remove(me)


class RedisThrottle(Throttle):
    """A :class:`Throttle` whose S1 bucket and A1 gate are shared by every process via Redis.

    Args:
        redis: a URL (``redis://host:6379/0``) or a ``redis.asyncio.Redis`` client (yours
            to close).
        client_id: the app's Client ID; the key prefix is ``allegro-async:{client_id}``.
        key_prefix: the Redis key prefix instead (all processes of an app must agree).
        processes: how many processes share the budget; each takes ``user_parallel //
            processes`` parallel requests per user (S2 stays per process) and, while Redis is
            down, ``rate / processes`` (bursts of ``burst / processes``) from its local
            fallback bucket.
        on_redis_error: ``"open"`` (default): keep sending through the local fallback, with a
            warning log; ``"closed"``: hold requests until Redis answers again.
        redis_retry_after: seconds before trying Redis again after an error.
        probe_ttl: how long the app-wide probe lock lives if its holder dies (seconds).
        poll_interval: while another process probes, how often this one asks Redis.
        lease: most grants one Redis call reserves for the requests queued in this process
            (so one round trip per up to ``lease`` requests); a grant its request no longer
            needs is dropped, never handed to another process, so S1 holds.
        redis_now: a clock in seconds replacing Redis ``TIME`` (tests with a fake clock).
        **kwargs: everything :class:`Throttle` takes (``rate``, ``per``, ``burst``...).
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0", *, client_id: str = "default",
                 key_prefix: str | None = None, processes: int = 1,
                 on_redis_error: FailMode = "open", redis_retry_after: float = 1.0,
                 probe_ttl: float = 30.0, poll_interval: float = 0.25,
                 lease: int = 4, redis_now: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(processes, int) or processes < 1:
            raise InvalidArgumentError("processes", f"must be an int >= 1, got {processes!r}",
                                       "give how many processes share the Client ID")
        if on_redis_error not in ("open", "closed"):
            raise InvalidArgumentError("on_redis_error", f"{on_redis_error!r} is not allowed",
                                       'use "open" or "closed"')
        if not isinstance(lease, int) or lease < 1:
            raise InvalidArgumentError("lease", f"must be an int >= 1, got {lease!r}",
                                       "give how many grants one Redis call may reserve")
        for name, value in (("redis_retry_after", redis_retry_after), ("probe_ttl", probe_ttl),
                            ("poll_interval", poll_interval)):
            if not value > 0:
                raise InvalidArgumentError(name, f"must be > 0, got {value!r}",
                                           "give seconds")
        self._own_client = isinstance(redis, str)
        if isinstance(redis, str):
            if not redis.startswith(("redis://", "rediss://", "unix://")):
                raise InvalidArgumentError("redis", "is not a redis:// URL",
                                           "give redis://host:port/db or a Redis client")
            import redis.asyncio as aioredis

            # Short timeouts: a dead Redis must fail over fast, not hang requests.
            redis = aioredis.Redis.from_url(redis, socket_timeout=0.5,
                                            socket_connect_timeout=0.5)
        self.redis = redis
        self.processes = processes
        prefix = key_prefix if key_prefix is not None else f"allegro-async:{client_id}"
        self.shared = SharedState(redis, prefix, clock=self.clock, now=redis_now,
                                  fail=on_redis_error, retry_after=redis_retry_after,
                                  probe_ttl=probe_ttl)
        gate = RedisGate(self.clock, self.sleep, self.shared,
                         block_grace=probe_ttl + self.block_seconds, poll_interval=poll_interval)
        rate, burst = self.app_bucket.rate, self.app_bucket.capacity
        self.gate = gate
        self.app_bucket = RedisAppBucket(self.shared, gate, rate, burst, processes,
                                         lease=lease, clock=self.clock, sleep=self.sleep)
        self._shared_rate = rate
        self.user_parallel = max(1, self.user_parallel // processes)

    def __repr__(self) -> str:
        return (f"<RedisThrottle {self._shared_rate * 60:g}/min shared by {self.processes}"
                f" burst={self.app_bucket.capacity:g} gate={self.gate.state}"
                f" redis={'down' if self.shared.down else 'up'}>")

    async def flush(self) -> None:
        """Wait until gate updates sent to Redis in the background are done."""
        gate = self.gate
        if isinstance(gate, RedisGate):
            await gate.background.flush()

    async def aclose(self) -> None:
        """Flush, then close the Redis client if this throttle created it from a URL."""
        await self.flush()
        if self._own_client:
            await self.redis.aclose()
