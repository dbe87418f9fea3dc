"""Bulk concurrent updates: per-offer PATCHes with bounded concurrency under the per-seller
rates (A2: 2490 PATCH/min and 74 700/h), progress reports, per-item results, and a journal so
an interrupted run can be resumed without changing any offer twice."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from allegro_async import _args, _redact
from allegro_async.errors import AllegroError, InvalidArgumentError
from allegro_async.models.offers import BulkItemResult, BulkResult

if TYPE_CHECKING:
    from allegro_async.services.offers import OffersService

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: A2: POST/PATCH of product offers per seller per minute.
PATCH_PER_MINUTE = 2490
#: A2: ... and per hour (below 60 x 2490: a long run must slow down after ~30 minutes).
PATCH_PER_HOUR = 74_700
#: Top-level PATCH fields a command changes for up to 1000 offers at once (finding: a bulk
#: PATCH of these spends 1000 times the A2 budget). Value: the method to use instead.
COMMAND_FIELDS = {
    ("sellingMode", "price"): "offers.change_price / offers.change_prices",
    ("stock",): "offers.change_quantity",
    ("publication",): "offers.publish / offers.end",
}


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
            data = self.path.read_bytes()
            if data and not data.endswith(b"\n"):
                # A torn last line (the process died mid-write): cut back to the last newline
                # so the next event starts on a line of its own.
                data = data[:data.rfind(b"\n") + 1]
                with self.path.open("r+b") as f:
                    f.truncate(len(data))
            for line in data.decode("utf-8", "replace").splitlines():
                event = _parse_event(line)
                if event is not None:
                    (self.done if event[0] == "done" else self.started).add(event[1])

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


def _parse_event(line: str) -> tuple[str, str] | None:
    """One journal line as (event, offer id), or ``None`` for a blank or unreadable line."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("e") not in ("started", "done") \
            or not isinstance(event.get("id"), str):
        return None
    return event["e"], event["id"]


class _Pacer:
    """Evenly spaced send slots: at most ``per_minute`` starts in any minute, no bursts, and at
    most ``per_hour`` starts in any 3600 s (a sliding window of the slots handed out)."""

    def __init__(self, per_minute: float, clock: Clock, sleep: Sleep,
                 per_hour: float | None = None) -> None:
        self.interval = 60.0 / per_minute
        self.per_hour = max(1, int(per_hour)) if per_hour is not None else None
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._slots: deque[float] = deque(maxlen=self.per_hour)

    async def wait(self) -> None:
        """Wait for the next send slot."""
        now = self._clock()
        slot = max(now, self._next)
        if self.per_hour is not None and len(self._slots) == self.per_hour:
            # the hour's budget is spent: the next start waits until the oldest one is an
            # hour old (slots are handed out in order, so the deque is sorted)
            slot = max(slot, self._slots[0] + 3600.0)
        if self.per_hour is not None:
            self._slots.append(slot)
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
    per_hour: float | None = PATCH_PER_HOUR,
    headroom: float = 0.98,
    progress: Callable[[BulkProgress], Any] | None = None,
    journal: BulkJournal | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = anyio.sleep,
) -> BulkResult:
    """PATCH many product offers, each with its own change. See
    :meth:`~allegro_async.services.offers.OffersService.bulk_update`."""
    # Every argument and every change is checked before the first request; ids are
    # canonical from here on (an int id 7700000000 is the text "7700000000").
    items = _check_items(changes)
    _args.count(concurrency, "concurrency", minimum=1)
    _args.positive(per_minute, "per_minute")
    if per_hour is not None and _args.positive(per_hour, "per_hour") < 1:
        raise InvalidArgumentError("per_hour", f"{per_hour} is below 1",
                                   "allow at least 1 PATCH an hour, or None for no window")
    _args.positive(headroom, "headroom", maximum=1.0)
    _args.callable_or_none(progress, "progress")
    _args.optional(journal, lambda j: _args.instance(j, "journal", BulkJournal))
    _args.callable_or_none(clock, "clock")
    _args.callable_or_none(sleep, "sleep")
    journal = journal if journal is not None else BulkJournal()
    pacer = _Pacer(per_minute * headroom, clock, sleep,
                   per_hour * headroom if per_hour is not None else None)
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
        except Exception as exc:  # one odd failure must not end the run and lose the rest
            return BulkItemResult(offer_id=offer_id, ok=False,
                                  error=_redact.scrub(f"{type(exc).__name__}: {exc}"))
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


#: The keyword options of :func:`bulk_update`.
OPTIONS = ("concurrency", "per_minute", "per_hour", "headroom", "progress", "journal", "clock",
           "sleep")


def _check_items(changes: object) -> list[tuple[str, dict[str, Any]]]:
    """Every (canonical offer id, change), or the whole run refused before anything is sent:
    an id that is not one or repeats, a change that is not an offer PATCH (checked against
    the offer model) or that sets what a command changes."""
    from allegro_async.services.product_offers import offer_body

    items: list[tuple[str, dict[str, Any]]] = []
    for offer_id, change in _args.id_mapping(changes, "changes"):
        try:
            body = offer_body(change, "change")
        except InvalidArgumentError as exc:
            raise InvalidArgumentError("changes", f"offer {offer_id}: {exc.field}: "
                                       f"{exc.problem}", exc.fix) from None
        for path, method in COMMAND_FIELDS.items():
            node: Any = body
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                raise InvalidArgumentError(
                    "changes", f"the change for offer {offer_id} sets {'.'.join(path)}, which "
                    "a command changes for up to 1000 offers in one request",
                    f"use {method} (bulk_update is for fields no command can change)")
        items.append((offer_id, body))
    return items
