"""Supervised order-event consumers: one :class:`~allegro_async.services.events.OrderEventStream`
per seller of an :class:`~allegro_async.AllegroApp`, in one anyio task group, each restarted
with exponential backoff and jitter when it fails, with metrics, and stopped cleanly::

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        ...                                    # must finish before the cursor moves

    stores = lambda seller_id: FileCursorStore(f"cursors/{seller_id}")
    async with AllegroApp.from_env() as app, \
            EventConsumers(app, handle, cursor_stores=stores) as group:
        ...                                    # serve; group.metrics() for a health page

An event's cursor is committed right after the handler returns (shielded from cancellation,
so a shutdown never drops a finished event's commit; a commit the store fails is tried again,
``COMMIT_TRIES`` in all, before the consumer restarts); an event whose handler raised or was
cancelled is delivered again. Delivery is therefore at-least-once for the one event in flight
when the process dies, exactly once for the rest: a handler whose effect must not repeat
checks ``delivery.id`` against what it already did (see docs/fastapi.md).
``stop(seller_id, drain=True)`` lets the event in flight finish and commit first.

With ``scheduler=`` (a :class:`~allegro_async.scheduler.PollScheduler`) every poll waits for
the seller's turn inside a share of the app's budget, and idle sellers hold no task between
turns; :class:`~allegro_async.fleet.FleetConsumers` spreads sellers over many workers by leases
(docs/consumers-fleet.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import anyio
from anyio.abc import TaskGroup
from typing_extensions import Unpack

from allegro_async._consumer_state import Backoff, ConsumerMetrics
from allegro_async._redact import scrub
from allegro_async._scheduled_stream import _Parked, _raw_occurred_at, _ScheduledStream
from allegro_async.auth.app import AllegroApp
from allegro_async.cursors import CursorStore, MemoryCursorStore
from allegro_async.errors import AuthorizationRequiredError, InvalidArgumentError
from allegro_async.fleet.leases import LeaseLostError
from allegro_async.scheduler import PollScheduler
from allegro_async.services.events import EventDelivery, OrderEventStream, StreamOptions

__all__ = ["Backoff", "ConsumerMetrics", "EventConsumers", "EventHandler"]

logger = logging.getLogger("allegro_async.consumers")

#: Tries of an event's commit before its consumer restarts (and handles the event again).
COMMIT_TRIES = 3

#: ``await handler(seller_id, delivery)``: what a consumer calls for each event.
EventHandler = Callable[[str, EventDelivery], Awaitable[None]]


class EventConsumers:
    """One supervised event consumer per seller (see the module docstring).

    Args:
        app: the app whose sellers' streams are followed.
        handler: ``await handler(seller_id, delivery)`` per event.
        sellers: whose events to follow; ``None`` for every seller in ``app.store`` at start.
            :meth:`start` adds one later (a seller who just connected).
        cursor_stores: the cursor store of a seller, made once per seller and kept across restarts
            (default: in memory, so a new process starts from ``start`` again).
        backoff: restart delays after failures (reset once an event is handled);
            ``backoff_sleep`` waits them (inject a fake one in tests).
        stream_options: passed to ``client.orders.events(...)`` (``start``, ``types``,
            ``page_size``, ``min_poll``, ...).
        scheduler: a :class:`~allegro_async.scheduler.PollScheduler` that decides when each
            seller polls, inside a part of the app's budget (then ``min_poll``/``max_poll`` are
            not used); it runs in this group unless it already runs elsewhere.

    A consumer whose seller must log in again (:class:`AuthorizationRequiredError`) stops,
    with ``stopped`` saying why, instead of retrying; :meth:`start` it after the seller
    reconnects.
    """

    def __init__(
        self,
        app: AllegroApp,
        handler: EventHandler,
        *,
        sellers: Iterable[str] | None = None,
        cursor_stores: Callable[[str], CursorStore] | None = None,
        backoff: Backoff | None = None,
        backoff_sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        scheduler: PollScheduler | None = None,
        **stream_options: Unpack[StreamOptions],
    ) -> None:
        if "store" in stream_options:
            raise InvalidArgumentError(
                "store", "is one cursor store; each seller needs its own",
                "pass cursor_stores=lambda seller_id: FileCursorStore(f'cursors/{seller_id}')",
            )
        self.app = app
        self._handler = handler
        self._sellers = None if sellers is None else list(sellers)
        self._store_for = cursor_stores or (lambda _seller: MemoryCursorStore())
        self._stores: dict[str, CursorStore] = {}
        self._backoff = backoff or Backoff()
        self._sleep, self._rand, self._clock = backoff_sleep, rand, clock
        self._options = stream_options
        if scheduler is not None and not isinstance(scheduler, PollScheduler):
            raise InvalidArgumentError("scheduler", f"a {type(scheduler).__name__} is not one",
                                       "pass a PollScheduler(requests_per_min=...)")
        self.scheduler = scheduler
        self._finished: dict[str, anyio.Event] = {}  # for stop(wait=True)
        self._parked: set[str] = set()
        self._busy: set[str] = set()  # a handler (or its event's commit) runs
        self._draining: set[str] = set()  # stop(drain=True): end after the event in flight
        self._metrics: dict[str, ConsumerMetrics] = {}
        self._scopes: dict[str, anyio.CancelScope] = {}
        self._group: TaskGroup | None = None

    def __repr__(self) -> str:
        return f"<EventConsumers running={sorted(self._scopes)}>"

    async def __aenter__(self) -> EventConsumers:
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        try:
            if self.scheduler is not None and not self.scheduler.running:
                group.start_soon(self.scheduler.run)
            for seller_id in self._sellers if self._sellers is not None else (
                    await self.app.sellers()):
                await self.start(seller_id)
        except BaseException as exc:
            await self._close(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._close(*exc)

    async def _close(self, *exc: Any) -> None:
        group, self._group = self._group, None
        if group is None:
            return
        group.cancel_scope.cancel()  # every consumer stops at its next await
        await group.__aexit__(*exc)

    def metrics(self) -> dict[str, ConsumerMetrics]:
        """Each seller's :class:`ConsumerMetrics` (a copy of the mapping)."""
        return dict(self._metrics)

    def running(self) -> list[str]:
        """The sellers followed, sorted: whose consumer runs, or (with a scheduler) is parked
        until the seller's next turn."""
        return sorted(self._scopes.keys() | self._parked)

    async def start(self, seller_id: str) -> bool:
        """Start following ``seller_id`` (``False`` if already running)."""
        if self._group is None:
            raise InvalidArgumentError("EventConsumers", "is not started",
                                       "use it as `async with EventConsumers(...) as group:`")
        if not seller_id:
            raise InvalidArgumentError("seller_id", "is empty", "give the seller's user id")
        if seller_id in self._scopes or seller_id in self._parked:
            return False
        metrics = self._metrics.get(seller_id) or ConsumerMetrics(seller_id, _clock=self._clock)
        metrics.stopped = None
        self._metrics[seller_id] = metrics
        await self._group.start(self._supervise, seller_id, metrics)
        return True

    def _wake(self, seller_id: str) -> None:
        """A parked seller's turn came: its consumer runs again (from its committed cursor)."""
        if seller_id in self._parked and self._group is not None:
            self._parked.discard(seller_id)
            # its scope is known at once, so stop() between now and the task's start works
            scope = self._scopes[seller_id] = anyio.CancelScope()
            self._group.start_soon(self._supervise, seller_id, self._metrics[seller_id], scope)

    async def stop(self, seller_id: str, *, wait: bool = False, drain: bool = False) -> bool:
        """Stop following ``seller_id`` (``False`` if it was not running); with ``wait``,
        return only once its consumer has ended (a handler in flight was cancelled, and what
        was committed is committed).

        With ``drain`` (which waits too) no new event is delivered, and a handler in flight
        finishes and its event is committed before the consumer ends: the event is not
        delivered again to whoever follows the seller next. A cancel or deadline around the
        call bounds the wait: the handler is then cancelled (its event is delivered again,
        at-least-once), and the call still returns only once the consumer has ended::

            with anyio.move_on_after(10):
                await consumers.stop(seller_id, drain=True)
        """
        if seller_id in self._parked:
            self._parked.discard(seller_id)
            if self.scheduler is not None:
                self.scheduler.unpark(seller_id)
            return True
        scope = self._scopes.get(seller_id)
        if scope is None:
            return False
        finished = self._finished.setdefault(seller_id, anyio.Event())
        if not drain:
            scope.cancel()
            if wait:
                await finished.wait()
            return True
        if seller_id in self._busy:
            self._draining.add(seller_id)  # the consumer ends itself after the commit
        else:
            scope.cancel()
        try:
            await finished.wait()
        except BaseException:
            scope.cancel()  # the caller's bound: cut the handler short
            with anyio.CancelScope(shield=True):
                await finished.wait()
            raise
        return True

    async def _supervise(
            self, seller_id: str, metrics: ConsumerMetrics,
            scope: anyio.CancelScope | None = None, *,
            task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        parked = False
        scope = scope or anyio.CancelScope()
        with scope:
            self._scopes[seller_id] = scope
            task_status.started()
            try:
                parked = await self._restarting(seller_id, metrics)
            finally:
                metrics.running = False
                if self._scopes.get(seller_id) is scope:
                    del self._scopes[seller_id]
                    if parked and self.scheduler is not None:
                        # Nothing held while idle (no task, no stream): the scheduler wakes
                        # it when its turn comes.
                        self._parked.add(seller_id)
                        self.scheduler.park(seller_id, self._wake)
                self._draining.discard(seller_id)
                self._busy.discard(seller_id)
                finished = self._finished.pop(seller_id, None)
                if finished is not None:
                    finished.set()

    async def _restarting(self, seller_id: str, metrics: ConsumerMetrics) -> bool:
        """Run the seller's consumer until it ends; ``True`` when it parked (idle)."""
        store = self._stores.get(seller_id)
        if store is None:
            store = self._stores[seller_id] = self._store_for(seller_id)
        failures = 0
        while True:
            handled_before = metrics.handled
            try:
                await self._consume(seller_id, store, metrics)
                metrics.stopped = "finished"  # follow=False: the journal was read to its end
                return False
            except _Parked:
                return True
            except _Drained:
                metrics.stopped = "drained"  # stop(drain=True): its last event committed
                return False
            except (AuthorizationRequiredError, LeaseLostError) as exc:
                # Retrying cannot help until the seller logs in again, or (a fleet) while
                # another worker holds the seller's lease.
                metrics.stopped = metrics.last_error = _describe(exc)
                logger.warning("event consumer for %s stopped: %s", seller_id, metrics.stopped)
                return False
            except Exception as exc:
                failures = 1 if metrics.handled > handled_before else failures + 1
                metrics.restarts += 1
                metrics.last_error = _describe(exc)
                delay = self._backoff.delay(failures, self._rand)
                logger.warning("event consumer for %s failed (%s); restart %d in %.1f s",
                               seller_id, metrics.last_error, metrics.restarts, delay)
            await self._sleep(delay)

    async def _consume(self, seller_id: str, store: CursorStore,
                       metrics: ConsumerMetrics) -> None:
        options: StreamOptions = {**self._options, "store": store}
        service = self.app.seller(seller_id).orders
        stream = (service.events(**options) if self.scheduler is None else
                  _ScheduledStream(service, self.scheduler, seller_id, **options))
        async with stream:
            metrics.running = True
            metrics.cursor = stream.cursor
            dropped_at_start = stream.duplicates
            async for delivery in stream:
                metrics.behind = len(stream._buffer) + 1
                metrics.oldest_waiting_at = _occurred_at(delivery)
                self._busy.add(seller_id)
                try:
                    await self._handler(seller_id, delivery)
                    # Committed at once (not when the next event arrives, which may be a long
                    # poll away) and shielded: a finished event is never delivered again
                    # because shutdown landed between the handler and its commit.
                    with anyio.CancelScope(shield=True):
                        failed = await _try_commit(stream, metrics)
                    if failed:
                        await self._retry_commit(seller_id, stream, metrics)
                except BaseException:
                    scope = self._scopes.get(seller_id)
                    if seller_id in self._draining and scope is not None:
                        scope.cancel()  # a handler that raised ends a drained consumer too
                    raise
                finally:
                    self._busy.discard(seller_id)
                metrics.handled += 1
                metrics.behind -= 1
                metrics.cursor = stream.cursor
                metrics.duplicates_dropped += stream.duplicates - dropped_at_start
                dropped_at_start = stream.duplicates
                metrics.last_event_at = metrics.oldest_waiting_at
                metrics.oldest_waiting_at = (
                    _raw_occurred_at(stream._buffer[0]) if stream._buffer else None)
                if seller_id in self._draining:
                    raise _Drained  # no next event: the buffer may deliver one without a wait

    async def _retry_commit(self, seller_id: str, stream: OrderEventStream,
                            metrics: ConsumerMetrics) -> None:
        """Try a failed commit again (``COMMIT_TRIES`` in all) before restarting, which would
        handle the event again; the waits are cancellable (the event is then redelivered)."""
        for failures in range(1, COMMIT_TRIES):
            logger.warning("commit for %s failed (%s); trying again", seller_id,
                           metrics.last_error)
            await self._sleep(self._backoff.delay(failures, self._rand))
            with anyio.CancelScope(shield=True):
                if not await _try_commit(stream, metrics):
                    return
        await stream.commit()  # the last try: its error restarts the consumer


class _Drained(Exception):
    """``stop(drain=True)``: the event in flight is committed, the consumer ends."""


async def _try_commit(stream: OrderEventStream, metrics: ConsumerMetrics) -> bool:
    """Commit the handled event; ``True`` when the store failed (a lost lease raises)."""
    try:
        await stream.commit()
    except LeaseLostError:
        raise
    except Exception as exc:
        metrics.last_error = _describe(exc)
        return True
    return False


def _occurred_at(delivery: EventDelivery) -> datetime | None:
    try:
        return delivery.event.occurred_at
    except Exception:  # an unparseable occurredAt must not stop the consumer
        return None


def _describe(exc: BaseException) -> str:
    return scrub(f"{type(exc).__name__}: {exc}")[:500]
