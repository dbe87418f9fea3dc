"""The order event stream: follows ``GET /order/events`` from a cursor, a stored place or "now",
drops duplicates (A8), survives transient failures, and commits its place only once the consumer
has finished an event.

When is an event finished? When the consumer asks for the next one (the ``async for`` loop comes
round again), calls :meth:`OrderEventStream.commit`, or leaves ``async with`` without an
exception. A crash in the middle of handling an event therefore leaves the cursor before it, and
a restart delivers it again: at-least-once for the unfinished, exactly once for the rest.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from typing_extensions import TypedDict

from allegro_async import _args
from allegro_async._options import CallOptions
from allegro_async._response import parse_as
from allegro_async._walk_guard import WalkGuard
from allegro_async.cursors import CursorStore, MemoryCursorStore, close_store, trusted_commit
from allegro_async.errors import (
    InvalidArgumentError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from allegro_async.models.events import OrderEvent, OrderEventStats, OrderEventType
from allegro_async.models.orders import CheckoutForm
from allegro_async.services._event_pages import any_key_of, form_id_of, key_of, page_events

if TYPE_CHECKING:
    from allegro_async.services.orders import OrdersService

Sleep = Callable[[float], Awaitable[None]]


class StreamOptions(TypedDict, total=False):
    """Keyword options of :meth:`OrdersService.events
    <allegro_async.services.orders.OrdersService.events>`, passed on to
    :class:`OrderEventStream` (which documents them and holds their defaults)."""

    start: str
    store: CursorStore | None
    types: Sequence[OrderEventType | str] | None
    page_size: int
    follow: bool
    read_forms: bool
    dedup_window: int
    min_poll: float
    max_poll: float
    max_errors: int | None
    sleep: Sleep | None


class EventsOptions(StreamOptions, CallOptions, total=False):
    """The keyword options of ``client.orders.events()``: the stream's own and the per-call
    options every request of the stream takes."""


@dataclass(frozen=True)
class CheckoutFormGone:
    """S12: the form an event names answers 404 because the buyer combined purchases into one
    payment. ``replacement`` is the form that took its line items (same payment id), when it
    could be found."""

    form_id: str
    replacement: CheckoutForm | None

    @property
    def payment_id(self) -> str | None:
        """The shared payment id, when the replacement was found."""
        if self.replacement is None or self.replacement.payment is None:
            return None
        return self.replacement.payment.id


class EventDelivery:
    """One event handed to the consumer. ``event`` (the parsed :class:`OrderEvent`) is built
    on first access, so a consumer that only needs ``id``/``type``/``checkout_form_id`` does not
    pay for parsing. With ``read_forms=True`` the stream also reads the checkout form: ``form``
    is it, or ``gone`` says it was combined away (S12)."""

    __slots__ = ("_event", "form", "gone", "raw")

    def __init__(self, raw: dict[str, Any], form: CheckoutForm | None = None,
                 gone: CheckoutFormGone | None = None) -> None:
        self.raw = raw
        self.form = form
        self.gone = gone
        self._event: OrderEvent | None = None

    @property
    def event(self) -> OrderEvent:
        """The event as a model."""
        if self._event is None:
            self._event = parse_as(self.raw, OrderEvent)
        return self._event

    @property
    def id(self) -> str:
        """The event id."""
        return str(self.raw["id"])

    @property
    def type(self) -> OrderEventType:
        """The event type."""
        return OrderEventType(self.raw["type"])

    @property
    def checkout_form_id(self) -> str | None:
        """The checkout form the event names."""
        return form_id_of(self.raw)

    @property
    def key(self) -> str:
        """The A8 de-duplication key."""
        return any_key_of(self.raw)

    def __repr__(self) -> str:
        return f"<EventDelivery {self.id} {self.raw.get('type')} form={self.checkout_form_id}>"


class OrderEventStream:
    """An async iterator over order events; see the module docstring for when the cursor moves.

    Use it as ``async with client.orders.events(store=FileCursorStore("cursor")) as stream:
    async for delivery in stream: ...``. Its place comes from ``store`` if that holds one, else
    from ``start``: ``"now"`` (the latest event id from ``/order/event-stats``: only events
    after it), ``"beginning"`` (the oldest kept event, 60 days), or an event id.

    When caught up it polls again after ``min_poll`` seconds, doubling up to ``max_poll`` while
    nothing comes (``follow=False`` stops instead). 5xx, 429 and connection failures are retried
    with the same backoff, ``max_errors`` times in a row at most (``None``: forever).
    ``sleep`` is injectable so tests need not wait.

    A server that stops moving the stream on (a page ending at the event it was asked to start
    after, or at one it ended at before: ``from`` ignored, or cursors going round) raises
    :class:`~allegro_async.errors.WalkStalledError` instead of reading the same pages again;
    with ``follow=False`` the read also ends after
    :data:`~allegro_async._walk_guard.MAX_PAGES` pages.
    """

    def __init__(
        self,
        service: OrdersService,
        *,
        start: str = "now",
        store: CursorStore | None = None,
        types: Sequence[OrderEventType | str] | None = None,
        page_size: int = 1000,
        follow: bool = True,
        read_forms: bool = False,
        dedup_window: int = 10_000,
        min_poll: float = 1.0,
        max_poll: float = 60.0,
        max_errors: int | None = 20,
        sleep: Sleep | None = None,
    ) -> None:
        _args.page_size(page_size, "page_size", 1, 1000, "GET /order/events (A8)")
        if _args.positive(max_poll, "max_poll") < _args.positive(min_poll, "min_poll"):
            raise InvalidArgumentError("min_poll", "need 0 < min_poll <= max_poll",
                                       "e.g. min_poll=1, max_poll=60")
        try:  # an event id, sent as from=
            _args.ident(start, "start")
        except InvalidArgumentError:
            raise InvalidArgumentError("start", f"{start!r} is not a place to start",
                                       "use 'now', 'beginning' or an event id") from None
        _args.count(dedup_window, "dedup_window", minimum=1)
        if store is not None and not isinstance(store, CursorStore):
            raise InvalidArgumentError("store", f"a {type(store).__name__} has no load/commit",
                                       "pass a CursorStore such as FileCursorStore(path)")
        _args.flag(follow, "follow")
        _args.flag(read_forms, "read_forms")
        _args.optional(max_errors, lambda m: _args.count(m, "max_errors"))
        _args.callable_or_none(sleep, "sleep")
        if isinstance(types, (str, OrderEventType)):
            raise InvalidArgumentError("types", f"{types!r} is a single value",
                                       f"pass a list, e.g. types=[{str(types)!r}]")
        # OpenEnum would accept an unknown type, and Allegro would answer 422 on each poll.
        self._types = _args.choices(types, "types", OrderEventType) if types else []
        self._service = service
        self._start = start
        self.store: CursorStore = store if store is not None else MemoryCursorStore()
        # the ids and keys the stream commits are checked as it reads them
        self._commit = trusted_commit(self.store)
        self._page_size = page_size
        self._follow = follow
        self._read_forms = read_forms
        self._window = dedup_window
        self._min_poll, self._max_poll = min_poll, max_poll
        self._max_errors = max_errors
        self._sleep: Sleep = sleep if sleep is not None else anyio.sleep
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._buffer: deque[dict[str, Any]] = deque()
        self._fetch_from: str | None = None
        self._started = False
        self._pending: tuple[str, str] | None = None  # (id, key) delivered, not finished
        # the `from` cursors sent, so one handed back again ends the stream instead of a loop;
        # following a journal is endless by design, reading it to its end is not
        self._guard = (WalkGuard("GET /order/events", max_pages=None) if follow
                       else WalkGuard("GET /order/events"))
        self._trace_id: str | None = None
        self.cursor: str | None = None
        """The last finished (committed) event id."""
        self.delivered = 0
        self.duplicates = 0
        self.errors = 0

    # -- lifecycle --------------------------------------------------------------------------
    async def __aenter__(self) -> OrderEventStream:
        await self._begin()
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None:
                await self.commit()
        finally:
            # The stream owns its store's resources from here: closing it here is what keeps
            # FileCursorStore's handle from leaking (ResourceWarning) in the usual pattern.
            await close_store(self.store)

    async def _begin(self) -> None:
        if self._started:
            return
        self._started = True
        state = await self.store.load()
        for key in state.keys[-self._window:]:
            self._seen[key] = None
        if state.cursor is not None:
            self.cursor = self._fetch_from = state.cursor
        elif self._start == "now":
            stats = await self._retrying(self._event_stats)
            self._fetch_from = stats.latest_event.id if stats.latest_event else None
        elif self._start != "beginning":
            self._fetch_from = self._start
        if self._fetch_from is not None:
            self._guard.follow(self._fetch_from, label="from")  # a page may not end here
        if state.cursor is None and self._fetch_from is not None:
            # Save the starting point at once: a stream started at "now" that sees nothing
            # before it stops must resume there, not at a later "now".
            await self._commit(self._fetch_from, [])
            self.cursor = self._fetch_from

    # -- iteration --------------------------------------------------------------------------
    def __aiter__(self) -> OrderEventStream:
        return self

    async def __anext__(self) -> EventDelivery:
        # Once per event: the flags are read before any await that would have nothing to do.
        if not self._started:
            await self._begin()
        pending = self._pending
        if pending is not None:  # asking for the next event finishes the previous one
            await self._commit(pending[0], [pending[1]])  # commit(), one await fewer
            self._pending = None
            self.cursor = pending[0]
        buffer, seen = self._buffer, self._seen
        while True:
            while buffer:
                raw = buffer.popleft()
                key = key_of(raw)
                if key in seen:
                    self.duplicates += 1
                    continue
                if self._read_forms:
                    try:
                        delivery = await self._deliver(raw)
                    except BaseException:
                        # Reading the form failed: the event was never handed over, so it
                        # must be neither committed nor remembered; iterating again retries it.
                        buffer.appendleft(raw)
                        raise
                else:
                    delivery = EventDelivery(raw)
                seen[key] = None
                if len(seen) > self._window:
                    seen.popitem(last=False)
                self._pending = (raw["id"], key)
                self.delivered += 1
                return delivery
            if not await self._fill():
                raise StopAsyncIteration

    async def commit(self) -> None:
        """Mark the last delivered event finished and save the place. If the store's commit
        raises, the event stays pending: calling this again commits it."""
        pending = self._pending
        if pending is not None:
            await self._commit(pending[0], [pending[1]])
            self._pending = None
            self.cursor = pending[0]

    async def _event_stats(self) -> OrderEventStats:
        return await self._service._client.api.order_management.get_order_events_statistics()

    async def _events_page(self) -> list[dict[str, Any]]:
        # Parsed to models lazily (EventDelivery.event): at 1000 events a page, building
        # every model up front would cost more than the HTTP round trip. Raw, for that and
        # for the trace id a stalled walk names.
        api = self._service._client.api.order_management.with_raw_response
        raw = await api.get_order_events(from_=self._fetch_from, type=self._types or None,
                                         limit=self._page_size)
        self._trace_id = raw.trace_id
        return page_events(raw)

    async def _fill(self) -> bool:
        """Fetch the next page, polling while there is none. False when done (follow=False)."""
        delay = self._min_poll
        guard = self._guard
        while True:
            guard.request(self._fetch_from)
            events = await self._retrying(self._events_page)
            if events:
                last = str(events[-1]["id"])
                guard.page(events, trace_id=self._trace_id, compare=False)
                guard.yielded = self.delivered
                # A page ending where it was asked to start, or where an earlier one ended,
                # would be asked for again and again: the stream would spin (re-reading the
                # same events, dropped as duplicates) instead of following the journal.
                guard.follow(last, label="from")
                self._buffer.extend(events)
                self._fetch_from = last
                return True
            if not self._follow:
                return False
            await self._sleep(delay)
            delay = min(delay * 2, self._max_poll)

    async def _retrying(self, call: Callable[[], Awaitable[Any]]) -> Any:
        delay = self._min_poll / 2
        failures = 0
        while True:
            try:
                return await call()
            except (ServerError, RateLimitedError, TransportError):
                failures += 1
                self.errors += 1
                if self._max_errors is not None and failures > self._max_errors:
                    raise
            await self._sleep(delay)
            delay = min(delay * 2, self._max_poll)

    async def _deliver(self, raw: dict[str, Any]) -> EventDelivery:
        """The delivery of ``raw`` with its checkout form read (``read_forms=True``)."""
        delivery = EventDelivery(raw)
        form_id = delivery.checkout_form_id
        if form_id is None:
            return delivery
        try:
            delivery.form = await self._retrying(functools.partial(self._service.get, form_id))
        except NotFoundError:
            replacement = await self._retrying(
                functools.partial(self._service.find_replacement, delivery.event))
            delivery.gone = CheckoutFormGone(form_id, replacement)
        return delivery

    def __repr__(self) -> str:
        return (f"<OrderEventStream cursor={self.cursor!r} delivered={self.delivered} "
                f"duplicates={self.duplicates}>")
