"""Order-event consumers spread over many workers (processes, hosts) of one app by leases::

    leases = RedisLeases(redis, prefix="allegro-async:shop")
    async with AllegroApp.from_env() as app, \\
            FleetConsumers(app, handle, leases=leases, cursor_stores=stores) as fleet:
        ...                                          # serve; fleet.held() for a health page

Every worker registers with heartbeats and, each round (``renew_every`` seconds), gives each
seller to one live worker by rendezvous hashing (the same answer everywhere, and a worker
joining or leaving moves only its own share). A worker consumes a seller only while it holds
the seller's lease: it takes the leases of its share that are free or expired, renews those it
holds, and stops and releases those no longer its share, so a newcomer gets them on its next
round. A dead worker stops renewing: its leases and its heartbeat are written to expire
``lease_for = ttl - renew_every - slack`` after each renewal, so the next round of any other
worker (at most ``renew_every`` later, ``slack`` left for the round's own work) takes them over
within ``ttl`` of the death.

Every cursor commit first checks, in the lease store, that this worker still holds the lease
with its fencing token and for at least ``margin`` seconds more; otherwise it raises
:class:`~allegro_async.fleet.leases.LeaseLostError` and saves nothing, so the new holder
delivers the event again. The only event that can be handled twice is one in flight when its
lease is lost (as with a crash); no event is skipped.

A planned handover (the seller is another worker's share now, or this worker leaves cleanly)
drains: the seller's consumer gets no new event, its handler in flight finishes and the event
is committed under the still-held lease, and only then is the lease released. A handler that
has not finished when the lease would end (its ``valid_until`` minus ``margin``) is cancelled:
the next holder delivers that one event again, as after a crash. The rounds go on meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import anyio
from anyio.abc import TaskGroup

from allegro_async.auth.app import AllegroApp
from allegro_async.consumers import EventConsumers, EventHandler
from allegro_async.cursors import CursorState, CursorStore, MemoryCursorStore, close_store
from allegro_async.errors import InvalidArgumentError
from allegro_async.fleet.leases import LeaseBackend, LeaseLostError, check_ttl

__all__ = ["FencedCursorStore", "FleetConsumers", "owner"]

logger = logging.getLogger("allegro_async.fleet")

SellerSource = Iterable[str] | Callable[[], Awaitable[Iterable[str]]]


def _seconds(value: float | None, default: float, name: str) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InvalidArgumentError(name, f"must be seconds >= 0, got {value!r}",
                                   f"e.g. {name}=1.0, or leave it out for the default")
    return float(value)


def _score(worker: str, seller: str) -> bytes:
    return hashlib.blake2b(f"{worker}\0{seller}".encode(), digest_size=8).digest()


def owner(seller_id: str, workers: Sequence[str]) -> str | None:
    """The worker whose share ``seller_id`` is (rendezvous hashing): every worker that knows
    the same live ``workers`` finds the same one; ``None`` when there are none."""
    return max(workers, key=lambda w: _score(w, seller_id), default=None)


class FencedCursorStore:
    """A cursor store whose commits first call ``fence`` (which raises
    :class:`~allegro_async.fleet.leases.LeaseLostError` when the lease is gone)."""

    def __init__(self, store: CursorStore, fence: Callable[[], Awaitable[None]]) -> None:
        self.store = store
        self._fence = fence

    async def load(self) -> CursorState:
        """The wrapped store's state."""
        return await self.store.load()

    async def commit(self, cursor: str, keys: Sequence[str]) -> None:
        """Commit through the wrapped store, only while the lease is held."""
        await self._fence()
        await self.store.commit(cursor, keys)

    async def aclose(self) -> None:
        """Close the wrapped store."""
        await close_store(self.store)

    def __repr__(self) -> str:
        return f"FencedCursorStore({self.store!r})"


class FleetConsumers:
    """:class:`~allegro_async.consumers.EventConsumers` for this worker's share of the sellers,
    each while its lease is held (see the module docstring).

    Args:
        app, handler: as for :class:`~allegro_async.consumers.EventConsumers`.
        leases: where leases and the worker register live (:class:`RedisLeases`,
            :class:`SqlLeases`); every worker of the fleet must use the same.
        worker_id: this worker's name in the register (default: host, pid and a random part).
        sellers: the sellers to spread (an iterable, or an async function asked every round);
            default: every seller in ``app.store``, asked every round.
        cursor_stores: each seller's cursor store; it must be shared by the workers (a
            database, Redis): the next holder resumes where the last one committed.
        ttl: seconds within which a dead worker's sellers are held by another worker; leases
            and heartbeats are written for ``lease_for = ttl - renew_every - slack``.
        renew_every: seconds from the start of one round to the next (default ``ttl / 5``).
        margin: a commit needs the lease held for this much longer (default ``ttl / 5``).
        slack: seconds of ``ttl`` left for a round's own lease-store calls before it takes
            a lease (default ``min(renew_every, 1)``).
        clock: monotonic seconds; a lease not renewed for ``lease_for - margin`` by it is given
            up locally even when the lease store cannot be reached; ``round_sleep`` waits
            between rounds (tests pass one that never returns and call :meth:`rebalance`);
            ``drain_sleep`` waits out the bound of a handover's drain (tests pass a fake).
        **options: for :class:`EventConsumers` (``scheduler``, ``backoff``, stream options).
    """

    def __init__(self, app: AllegroApp, handler: EventHandler, *, leases: LeaseBackend,
                 worker_id: str | None = None, sellers: SellerSource | None = None,
                 cursor_stores: Callable[[str], CursorStore] | None = None,
                 ttl: float = 15.0, renew_every: float | None = None,
                 margin: float | None = None, slack: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 round_sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
                 drain_sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
                 **options: Any) -> None:
        if not isinstance(leases, LeaseBackend):
            raise InvalidArgumentError("leases", f"a {type(leases).__name__} is no lease store",
                                       "pass RedisLeases(redis) or SqlLeases(engine)")
        if "sellers" in options or "cursor_stores" in options:
            raise InvalidArgumentError("options", "sellers/cursor_stores given twice",
                                       "give them once, as keywords of FleetConsumers")
        self.ttl = check_ttl(ttl)
        self.renew_every = check_ttl(renew_every if renew_every is not None else ttl / 5,
                                     "renew_every")
        self.margin = _seconds(margin, self.ttl / 5, "margin")
        self.slack = _seconds(slack, min(self.renew_every, 1.0), "slack")
        #: Seconds each lease and heartbeat is written to live after a renewal.
        self.lease_for = self.ttl - self.renew_every - self.slack
        if self.renew_every + self.margin >= self.lease_for:
            raise InvalidArgumentError(
                "renew_every", f"leases would live ttl - renew_every - slack = "
                f"{self.lease_for:g} s, not longer than a round plus the margin "
                f"({self.renew_every:g} + {self.margin:g} s)",
                "make ttl > 2 * renew_every + margin + slack, e.g. ttl=15 with renew_every=3, "
                "margin=3, slack=1")
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.leases = leases
        self._source = sellers
        self._store_for = cursor_stores or (lambda _seller: MemoryCursorStore())
        self._clock, self._sleep, self._drain_sleep = clock, round_sleep, drain_sleep
        self._tokens: dict[str, int] = {}
        self._valid_until: dict[str, float] = {}
        self._round_started: float | None = None
        #: Rounds ended (each :meth:`rebalance`, failed ones included), for monitoring.
        self.rounds = 0
        self._round_ended = anyio.Event()
        self._handovers: set[str] = set()  # draining before their release
        self._handed_over = anyio.Event()
        self._handed_over.set()
        self._rounds_scope = anyio.CancelScope()
        self.workers: list[str] = []
        self.consumers = EventConsumers(app, handler, sellers=[],
                                        cursor_stores=self._fenced_store, **options)
        self._group: TaskGroup | None = None

    def __repr__(self) -> str:
        return f"<FleetConsumers {self.worker_id!r} held={len(self._tokens)}>"

    def held(self) -> list[str]:
        """The sellers whose lease this worker holds, sorted."""
        return sorted(self._tokens)

    def handing_over(self) -> list[str]:
        """The sellers being handed over (draining their event in flight), sorted."""
        return sorted(self._handovers)

    async def wait_handovers(self) -> None:
        """Wait until no handover is draining (each took at most its lease's bound)."""
        while self._handovers:
            await self._handed_over.wait()

    async def next_round(self) -> int:
        """Wait for the end of the next round (run by the loop or by :meth:`rebalance`);
        :attr:`rounds` then. Handovers it started may still drain (:meth:`wait_handovers`)."""
        await self._round_ended.wait()
        return self.rounds

    def token(self, seller_id: str) -> int | None:
        """The fencing token of the seller's lease held here (``None`` if not held): pass it
        to systems that can refuse writes from an older holder."""
        return self._tokens.get(seller_id)

    def _fenced_store(self, seller_id: str) -> CursorStore:
        async def fence() -> None:
            await self.fence(seller_id)

        return FencedCursorStore(self._store_for(seller_id), fence)

    async def fence(self, seller_id: str) -> None:
        """Raise :class:`LeaseLostError` unless the seller's lease is held here for at least
        ``margin`` seconds more (checked in the lease store)."""
        token = self._tokens.get(seller_id)
        if (token is None or self._clock() > self._valid_until[seller_id] - self.margin
                or not await self.leases.check(seller_id, self.worker_id, token, self.margin)):
            raise LeaseLostError(f"the lease of seller {seller_id} is no longer held by "
                                 f"{self.worker_id}; its next holder continues")

    # -- lifecycle ----------------------------------------------------------------------------
    async def __aenter__(self) -> FleetConsumers:
        await self.consumers.__aenter__()
        try:
            await self.rebalance()
            group = anyio.create_task_group()
            await group.__aenter__()
            self._group = group
            group.start_soon(self._rounds)
        except BaseException as exc:
            await self.consumers.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._rounds_scope.cancel()
        try:
            if exc[0] is None and self._group is not None:
                # a clean exit drains like a handover: no event in flight is handled twice
                for seller in self.held():
                    self._start_handover(seller)
                await self.wait_handovers()
        finally:
            await self._close(*exc)

    async def _close(self, *exc: Any) -> None:
        group, self._group = self._group, None
        try:
            if group is not None:
                group.cancel_scope.cancel()
                await group.__aexit__(None, None, None)
        finally:
            try:
                await self.consumers.__aexit__(*exc)
            finally:
                with anyio.CancelScope(shield=True):
                    await self._leave()

    async def _leave(self) -> None:
        tokens, self._tokens = self._tokens, {}
        try:
            await self.leases.release(tokens, self.worker_id)
            await self.leases.leave(self.worker_id)
        except Exception as exc:  # the leases then expire after ttl
            logger.warning("%s could not release its leases: %r", self.worker_id, exc)

    async def _rounds(self) -> None:
        with self._rounds_scope:
            while True:
                # start to start: a round's own duration does not push the next one later
                started = self._clock() if self._round_started is None else self._round_started
                await self._sleep(max(0.0, started + self.renew_every - self._clock()))
                try:
                    await self._round()
                except Exception as exc:
                    logger.warning("%s: lease round failed (%r); retrying", self.worker_id, exc)
                    await self._drop_expired()

    async def _drop_expired(self) -> None:
        now = self._clock()
        for seller in [s for s, t in self._valid_until.items() if now > t - self.margin]:
            await self._stop(seller)

    async def _stop(self, seller_id: str) -> None:
        self._tokens.pop(seller_id, None)
        self._valid_until.pop(seller_id, None)
        await self.consumers.stop(seller_id, wait=True)
        if self.consumers.scheduler is not None:
            self.consumers.scheduler.forget(seller_id)

    async def _sellers(self) -> list[str]:
        if self._source is None:
            return await self.consumers.app.sellers()
        if callable(self._source):
            return list(await self._source())
        return list(self._source)

    def _start_handover(self, seller_id: str) -> None:
        if seller_id in self._handovers or self._group is None:
            return
        if not self._handovers:
            self._handed_over = anyio.Event()
        self._handovers.add(seller_id)
        # fixed now: the next holder waits for this lease at most until then
        bound = self._valid_until[seller_id] - self.margin - self._clock()
        self._group.start_soon(self._hand_over, seller_id, bound)

    async def _hand_over(self, seller_id: str, bound: float) -> None:
        """Drain the seller's consumer (for at most ``bound`` seconds), then release."""
        try:
            async with anyio.create_task_group() as tg:
                async def cut() -> None:
                    await self._drain_sleep(max(0.0, bound))
                    tg.cancel_scope.cancel()  # the handler in flight is cancelled

                tg.start_soon(cut)
                await self.consumers.stop(seller_id, drain=True)
                tg.cancel_scope.cancel()
            if self.consumers.scheduler is not None:
                self.consumers.scheduler.forget(seller_id)
            self._valid_until.pop(seller_id, None)
            token = self._tokens.pop(seller_id, None)  # None: lost meanwhile, nothing to free
            if token is not None:
                await self.leases.release({seller_id: token}, self.worker_id)
        except Exception as exc:  # the lease then expires after lease_for
            logger.warning("%s could not release the lease of %s: %r", self.worker_id,
                           seller_id, exc)
        finally:
            self._handovers.discard(seller_id)
            if not self._handovers:
                self._handed_over.set()

    async def rebalance(self) -> None:
        """One round: heartbeat, renew, then hand over what is no longer this worker's share
        (its event in flight drained, then its lease released) and take the free leases of
        what is. Returns once those handovers are done; the loop runs rounds every
        ``renew_every`` without waiting for them."""
        await self._round()
        await self.wait_handovers()

    async def _round(self) -> None:
        try:
            await self._balance()
        finally:
            self.rounds += 1
            ended, self._round_ended = self._round_ended, anyio.Event()
            ended.set()

    async def _balance(self) -> None:
        sent = self._round_started = self._clock()
        await self.leases.heartbeat(self.worker_id, self.lease_for)
        if self._tokens:
            kept = await self.leases.renew(self._tokens, self.worker_id, self.lease_for)
            for seller in list(self._tokens):
                if seller in kept:
                    self._valid_until[seller] = sent + self.lease_for
                else:
                    logger.warning("%s lost the lease of %s", self.worker_id, seller)
                    await self._stop(seller)
        for seller in self._tokens.keys() - self._handovers:
            metrics = self.consumers.metrics().get(seller)
            if (metrics is not None and not metrics.running and metrics.stopped is not None
                    and metrics.stopped.startswith(LeaseLostError.__name__)):
                await self.consumers.start(seller)  # a commit was refused, the lease was kept
        workers = await self.leases.workers()
        if self.worker_id not in workers:
            workers = sorted([*workers, self.worker_id])
        self.workers = workers
        mine = {s for s in await self._sellers() if owner(s, workers) == self.worker_id}
        for seller in sorted(self._tokens.keys() - mine):
            if self._group is None:  # not started yet: nothing consumed, nothing to drain
                token = self._tokens[seller]
                await self._stop(seller)
                await self.leases.release({seller: token}, self.worker_id)
            else:
                self._start_handover(seller)  # stopped before released: one consumer at once
        scheduler = self.consumers.scheduler
        if scheduler is not None:
            scheduler.set_fraction(1 / len(workers))
        wanted = sorted(mine - set(self._tokens))
        if not wanted:
            return
        sent = self._clock()
        taken = await self.leases.acquire(wanted, self.worker_id, self.lease_for)
        for seller, token in taken.items():
            self._tokens[seller] = token
            self._valid_until[seller] = sent + self.lease_for
            await self.consumers.start(seller)
