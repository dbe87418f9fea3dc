"""Bulk concurrent updates: per-offer PATCHes with bounded concurrency under the per-seller
rates (A2: 2490 PATCH/min and 74 700/h), progress reports, per-item results, and a journal so
an interrupted run can be resumed without changing any offer twice."""

from __future__ import annotations

import hashlib
import json
import logging
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
from allegro_async.services.command_journal import append_events, read_events

if TYPE_CHECKING:
    from allegro_async.services.offers import OffersService

logger = logging.getLogger("allegro_async.bulk")

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

    Each entry is keyed by the offer and by the change (a hash of its canonical JSON), so a
    journal reused for another change skips nothing of it: only the same change to the same
    offer is "done". An offer started but not confirmed (the run died mid-request) is checked
    with a GET on resume and only patched again if the change is not there yet.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.started: set[str] = set()  # offer ids a change was sent to
        self.done: set[str] = set()     # offer ids a change was confirmed for
        # offer id -> its latest event and change key: only the latest says what the offer
        # holds now (A done, then B started: A is no longer known to be there)
        self._last: dict[str, tuple[str, str | None]] = {}
        for event in read_events(self.path):
            parsed = _parse_event(event)
            if parsed is None:
                continue
            name, offer_id, key = parsed
            if name == "done" and key is None:
                # a "done" without a change key (an older journal) proves nothing about
                # this change: the offer is read back before it is skipped
                name = "started"
            (self.done if name == "done" else self.started).add(offer_id)
            self._last[offer_id] = (name, key)

    def is_done(self, offer_id: str, change: Mapping[str, Any]) -> bool:
        """Whether this very change is the last one confirmed for the offer."""
        return self._last.get(offer_id) == ("done", change_key(change))

    def unconfirmed(self, offer_id: str) -> bool:
        """Whether the offer's last change was sent but not confirmed: a resume reads the
        offer back before sending the change again."""
        last = self._last.get(offer_id)
        return last is not None and last[0] == "started"

    def mark_started(self, offer_id: str, change: Mapping[str, Any] | None = None) -> None:
        """Record that a change is about to be sent (``None``: a change of unknown kind)."""
        key = change_key(change) if change is not None else None
        self.started.add(offer_id)
        self._last[offer_id] = ("started", key)
        append_events(self.path, [{"e": "started", "id": offer_id, "change": key}])

    def mark_done(self, offer_id: str, change: Mapping[str, Any]) -> None:
        """Record that a change is confirmed."""
        key = change_key(change)
        self.done.add(offer_id)
        self._last[offer_id] = ("done", key)
        append_events(self.path, [{"e": "done", "id": offer_id, "change": key}])


def change_key(change: Mapping[str, Any]) -> str:
    """A short hash of a PATCH body's canonical JSON (key order and spacing do not matter)."""
    canonical = json.dumps(change, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _parse_event(event: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """One journal event as (event, offer id, change key), or ``None`` if unreadable."""
    name, offer_id, key = event.get("e"), event.get("id"), event.get("change")
    if name not in ("started", "done") or not isinstance(offer_id, str):
        return None
    return name, offer_id, key if isinstance(key, str) else None


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
    callback_errors: list[str] = []

    def report(item: BulkItemResult) -> None:
        results[item.offer_id] = item
        counts["skipped" if item.skipped else "done" if item.ok else "failed"] += 1
        if progress is None:
            return
        try:
            progress(BulkProgress(total=len(items), done=counts["done"], failed=counts["failed"],
                                  skipped=counts["skipped"], offer_id=item.offer_id))
        except Exception as exc:  # a progress bar's bug must not end the run half-way
            note = _redact.scrub(f"{type(exc).__name__}: {exc}")
            if not callback_errors:  # once per run: a broken bar raises on every offer
                logger.warning("the progress callback raised %s; the run goes on", note,
                               exc_info=exc)
            callback_errors.append(note)

    async def one(offer_id: str, change: dict[str, Any]) -> BulkItemResult:
        if journal.is_done(offer_id, change):
            return BulkItemResult(offer_id=offer_id, ok=True, skipped=True)
        try:
            if journal.unconfirmed(offer_id):
                # The earlier run may have been cut off after Allegro applied the change.
                await pacer.wait()
                current = await service.get_raw(offer_id)
                if _contains(current, change):
                    journal.mark_done(offer_id, change)
                    return BulkItemResult(offer_id=offer_id, ok=True, skipped=True)
            journal.mark_started(offer_id, change)
            await pacer.wait()
            await service.patch(offer_id, change)
        except AllegroError as exc:
            return BulkItemResult(offer_id=offer_id, ok=False, error=str(exc))
        except Exception as exc:  # one odd failure must not end the run and lose the rest
            return BulkItemResult(offer_id=offer_id, ok=False,
                                  error=_redact.scrub(f"{type(exc).__name__}: {exc}"))
        journal.mark_done(offer_id, change)
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
    return BulkResult(items=[results[o] for o, _ in items if o in results],
                      callback_errors=callback_errors)


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
