"""An event stream paced by a :class:`~allegro_async.scheduler.PollScheduler`, for
:class:`~allegro_async.consumers.EventConsumers` run with ``scheduler=``: every poll waits for the
seller's turn and reports what it found, and a stream whose seller is idle ends (``_Parked``)
so that nothing is held between turns.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio.lowlevel

from allegro_async.scheduler import PollScheduler
from allegro_async.services.events import OrderEventStream

if TYPE_CHECKING:
    from allegro_async.models.events import OrderEventStats
    from allegro_async.services.orders import OrdersService


class _Parked(Exception):
    """The seller is idle: its consumer ends, to be woken at its next turn."""


class _ScheduledStream(OrderEventStream):
    """A stream whose every request waits for the seller's turn from a
    :class:`~allegro_async.scheduler.PollScheduler` and reports what the poll found; its
    own waits between polls become checkpoints (the turns pace it). Once it has polled, a
    stream whose seller's next turn is far (``park_after``) ends by raising ``_Parked``: the
    event delivered last was committed when the stream was asked for the next one."""

    def __init__(self, service: OrdersService, scheduler: PollScheduler, seller_id: str,
                 **options: Any) -> None:
        options["sleep"] = _checkpoint
        super().__init__(service, **options)
        self._scheduler = scheduler
        self._seller = seller_id
        self._polled = False

    async def _event_stats(self) -> OrderEventStats:
        await self._scheduler.turn(self._seller)
        return await super()._event_stats()

    async def _events_page(self) -> list[dict[str, Any]]:
        if self._polled and not self._buffer and self._scheduler.parks(self._seller):
            raise _Parked
        await self._scheduler.turn(self._seller)
        events = await super()._events_page()
        self._polled = True
        self._scheduler.polled(
            self._seller, events=len(events), head=len(events) < self._page_size,
            last_occurred=_raw_occurred_at(events[-1]) if events else None)
        return events


async def _checkpoint(_seconds: float) -> None:
    await anyio.lowlevel.checkpoint()


def _raw_occurred_at(raw: dict[str, Any]) -> datetime | None:
    text = raw.get("occurredAt")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
