"""Bulk concurrent updates: per-offer PATCHes with bounded concurrency under the per-seller
rate (A2: 2490 PATCH/min), progress reports, per-item results, and a journal so an interrupted
run can be resumed without changing any offer twice."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from allegro_async.errors import AllegroError, InvalidArgumentError
from allegro_async.models.offers import BulkItemResult, BulkResult

if TYPE_CHECKING:
    from allegro_async.services.offers import OffersService

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: A2: POST/PATCH of product offers per seller per minute.
PATCH_PER_MINUTE = 2490


@dataclass(frozen=True)
class BulkProgress:
    """Passed to the progress callback after each offer."""

    total: int
    done: int
    failed: int
    skipped: int
    offer_id: str


class BulkJournal:
    """What a bulk run has started and finished, so a rerun skips finished offers.

    In memory by default; give ``path`` to keep it in a file (one JSON line per event,
    flushed at once) that survives a killed process::

        journal = BulkJournal("reprice.journal")
        await client.offers.bulk_update(changes, journal=journal)   # killed half-way...
        await client.offers.bulk_update(changes, journal=BulkJournal("reprice.journal"))

    An offer started but not confirmed (the run died mid-request) is checked with a GET on
    resume and only patched again if the change is not there yet.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.started: set[str] = set()
        self.done: set[str] = set()
        if self.path is not None and self.path.exists():
            for line in self.path.read_text().splitlines():
                if not line.strip():
                    continue
                event = json.loads(line)
                (self.done if event["e"] == "done" else self.started).add(event["id"])

    def _write(self, event: str, offer_id: str) -> None:
        if self.path is not None:
            with self.path.open("a") as f:
                f.write(json.dumps({"e": event, "id": offer_id}) + "\n")

    def mark_started(self, offer_id: str) -> None:
        """Record that a change is about to be sent."""
        self.started.add(offer_id)
        self._write("started", offer_id)

    def mark_done(self, offer_id: str) -> None:
        """Record that a change is confirmed."""
        self.done.add(offer_id)
        self._write("done", offer_id)


class _Pacer:
    """Evenly spaced send slots: at most ``per_minute`` starts in any minute, no bursts."""

    def __init__(self, per_minute: float, clock: Clock, sleep: Sleep) -> None:
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)


def _contains(actual: Any, wanted: Any) -> bool:
    """Whether ``actual`` already holds every value of ``wanted`` (a change already applied)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            _contains(actual.get(k), v) for k, v in wanted.items())
    return bool(actual == wanted)


async def bulk_update(
    service: OffersService,
    changes: Mapping[str, dict[str, Any]] | Iterable[tuple[str, dict[str, Any]]],
    *,
    concurrency: int = 8,
    per_minute: float = PATCH_PER_MINUTE,
    headroom: float = 0.98,
    progress: Callable[[BulkProgress], Any] | None = None,
    journal: BulkJournal | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = anyio.sleep,
) -> BulkResult:
    """PATCH many product offers, each with its own change. See
    :meth:`~allegro_async.services.offers.OffersService.bulk_update`."""
    items = list(changes.items()) if isinstance(changes, Mapping) else list(changes)
    if concurrency < 1:
        raise InvalidArgumentError("concurrency", f"{concurrency} is below 1", "use 1 or more")
    if per_minute <= 0 or not 0 < headroom <= 1:
        raise InvalidArgumentError("per_minute", "the rate must be positive and headroom in "
                                   "(0, 1]", "e.g. per_minute=2490, headroom=0.98")
    seen: set[str] = set()
    for offer_id, change in items:
        if offer_id in seen:
            raise InvalidArgumentError("changes", f"offer {offer_id} appears twice",
                                       "merge its changes into one")
        if not isinstance(change, dict) or not change:
            raise InvalidArgumentError("changes", f"the change for offer {offer_id} is empty "
                                       "or not a dict", "give a PATCH body such as "
                                       "{'name': 'New title'}")
        seen.add(offer_id)
    journal = journal if journal is not None else BulkJournal()
    pacer = _Pacer(per_minute * headroom, clock, sleep)
    results: dict[str, BulkItemResult] = {}
    counts = {"done": 0, "failed": 0, "skipped": 0}

    def report(item: BulkItemResult) -> None:
        results[item.offer_id] = item
        counts["skipped" if item.skipped else "done" if item.ok else "failed"] += 1
        if progress is not None:
            progress(BulkProgress(total=len(items), done=counts["done"], failed=counts["failed"],
                                  skipped=counts["skipped"], offer_id=item.offer_id))

    async def one(offer_id: str, change: dict[str, Any]) -> BulkItemResult:
        if offer_id in journal.done:
            return BulkItemResult(offer_id=offer_id, ok=True, skipped=True)
        try:
            if offer_id in journal.started:
                # The earlier run may have been cut off after Allegro applied the change.
                await pacer.wait()
                current = await service.get_raw(offer_id)
                if _contains(current, change):
                    journal.mark_done(offer_id)
                    return BulkItemResult(offer_id=offer_id, ok=True, skipped=True)
            journal.mark_started(offer_id)
            await pacer.wait()
            await service.patch(offer_id, change)
        except AllegroError as exc:
            return BulkItemResult(offer_id=offer_id, ok=False, error=str(exc))
        journal.mark_done(offer_id)
        return BulkItemResult(offer_id=offer_id, ok=True)

    queue = iter(items)

    async def worker() -> None:
        for offer_id, change in queue:
            # a cancel (Ctrl-C, a deadline) lands between offers even when nothing else waits
            await anyio.lowlevel.checkpoint()
            report(await one(offer_id, change))

    async with anyio.create_task_group() as tg:
        for _ in range(min(concurrency, max(1, len(items)))):
            tg.start_soon(worker)
    return BulkResult(items=[results[o] for o, _ in items if o in results])
