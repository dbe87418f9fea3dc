"""The command engine: one way to change publication, price, quantity or other fields of any
number of offers (S17, S20).

Offers are split into commands of at most 1000; each command's id is made once and reused on
every retry of its PUT (a retried PUT can then never register the change twice); the engine
waits for each report with backoff and collects every task into one :class:`CommandResult`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio

from allegro_async import _args
from allegro_async.errors import (
    AllegroError,
    APIError,
    InvalidArgumentError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from allegro_async.models.commands import (
    CommandKind,
    CommandReport,
    CommandResult,
    CommandTask,
    OfferOutcome,
    TaskPage,
)
from allegro_async.retry import RETRY_SAFE as _RETRY_SAFE_KEY

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: S20: the most offers one command may name.
MAX_OFFERS_PER_COMMAND = 1000
#: Marks a request the retry layer may repeat although its method is PUT: the commandId in the
#: URL makes a repeat a no-op on Allegro's side.
RETRY_SAFE = {_RETRY_SAFE_KEY: True}
_TASKS_MAX_OFFSET = 999  # the tasks endpoint refuses a larger offset


class OfferPace:
    """Keeps command PUTs under a per-user budget of offer changes per minute (A2: 9000/min).

    A sliding 60-second window of what was sent; ``acquire(n)`` waits until ``n`` more fit.
    ``clock`` and ``sleep`` are injectable so tests run on emulated time.
    """

    def __init__(self, per_minute: float, *, clock: Clock = time.monotonic,
                 sleep: Sleep = anyio.sleep) -> None:
        # nan would make every comparison false: one PUT a minute, whatever the budget.
        self.per_minute = _args.positive(per_minute, "per_minute")
        self._clock = clock
        self._sleep = sleep
        self._sent: list[tuple[float, int]] = []

    async def acquire(self, count: int) -> None:
        """Wait until ``count`` offer changes fit in the window, then book them."""
        while True:
            now = self._clock()
            self._sent = [(t, n) for t, n in self._sent if now - t < 60.0]
            used = sum(n for _, n in self._sent)
            if not self._sent or used + count <= self.per_minute:
                self._sent.append((now, count))
                return
            await self._sleep(max(0.001, 60.0 - (now - self._sent[0][0])))


class CommandEngine:
    """Runs a change over any number of offers as commands of <= ``chunk_size`` offers.

    Args:
        client: the client (its view for the seller who owns the offers).
        sleep: awaited between report polls and retries (inject one for tests).
        poll_initial / poll_max: the first wait before re-reading a report, and its cap
            (doubling in between).
        deadline: seconds of waiting per command report after which the engine stops waiting
            and returns the tasks as they stand (unfinished ones with status ``NEW``).
        put_attempts: how often a command PUT is tried on 5xx, 429 or a broken connection,
            always with the same ``commandId``.
        pace: an :class:`OfferPace` for command PUTs, or ``None`` when the client's throttle
            already weighs command PUTs by their offer count.
        chunk_size: offers per command, at most 1000 (S20).
        tasks_page: tasks read per call (the tasks endpoint allows offset <= 999).
        progress: called with ``(offers_settled, offers_total)`` after each command's
            outcomes are known (a progress bar, a log line).
    """

    def __init__(
        self,
        client: AllegroClient,
        *,
        sleep: Sleep = anyio.sleep,
        poll_initial: float = 0.5,
        poll_max: float = 15.0,
        deadline: float | None = 3600.0,
        put_attempts: int = 4,
        pace: OfferPace | None = None,
        chunk_size: int = MAX_OFFERS_PER_COMMAND,
        tasks_page: int = 1000,
        progress: Callable[[int, int], Any] | None = None,
    ) -> None:
        _args.page_size(chunk_size, "chunk_size", 1, MAX_OFFERS_PER_COMMAND,
                        "S20: a command")
        _args.page_size(tasks_page, "tasks_page", 1, 1000, "GET .../{commandId}/tasks")
        _args.positive(poll_initial, "poll_initial")
        _args.positive(poll_max, "poll_max")
        _args.optional(deadline, lambda d: _args.positive(d, "deadline", zero=True))
        _args.count(put_attempts, "put_attempts", minimum=1)
        _args.optional(pace, lambda p: _args.instance(p, "pace", OfferPace))
        _args.callable_or_none(sleep, "sleep")
        _args.callable_or_none(progress, "progress")
        self._client = client
        self._sleep = sleep
        self.poll_initial = poll_initial
        self.poll_max = poll_max
        self.deadline = deadline
        self.put_attempts = max(1, put_attempts)
        self.pace = pace
        self.chunk_size = chunk_size
        self.tasks_page = tasks_page
        self.progress = progress

    async def run(
        self,
        kind: CommandKind,
        offer_ids: Sequence[str],
        payload: dict[str, Any],
        *,
        command_ids: Sequence[str] | None = None,
    ) -> CommandResult:
        """Apply ``payload`` (``{"modification": ...}`` or ``{"publication": ...}``) to every
        offer, and return per-offer outcomes. ``command_ids`` resumes: give the ids of an
        earlier run to re-send the same commands (Allegro answers with the existing ones)."""
        kind = _args.instance(kind, "kind", CommandKind)
        payload = _args.mapping(payload, "payload")
        ids = _args.id_list(offer_ids, "offer_ids")
        chunks = [ids[i:i + self.chunk_size] for i in range(0, len(ids), self.chunk_size)]
        given = command_id_list(command_ids, len(chunks))
        # Made once, before any attempt: every retry of a chunk reuses its id (S20).
        cids = given if given is not None else [str(uuid.uuid4()) for _ in chunks]
        result = CommandResult(kind=kind, command_ids=cids)
        registered: list[tuple[str, list[str]]] = []
        for cid, chunk in zip(cids, chunks, strict=True):
            body = {"offerCriteria": [{"type": "CONTAINS_OFFERS",
                                       "offers": [{"id": o} for o in chunk]}], **payload}
            problem = await self._put(kind, cid, body, len(chunk))
            if problem is None:
                registered.append((cid, chunk))
            else:
                result.outcomes += [OfferOutcome(offer_id=o, status="NOT_SENT", command_id=cid,
                                                 message=problem) for o in chunk]
        for cid, chunk in registered:
            tasks: dict[str, CommandTask] = {}
            lost = "no task reported for this offer"
            try:
                await self._collect(kind, cid, len(chunk), tasks)
            except AllegroError as exc:  # any failure: a 4xx or a malformed report too
                # The command is registered: its id (in result.command_ids) lets a later run
                # with command_ids= read the report again instead of losing every outcome.
                lost = (f"the report of command {cid} could not be read ({exc}); run again "
                        "with command_ids=result.command_ids to collect it")
            for offer_id in chunk:
                task = tasks.get(offer_id)
                if task is None:
                    result.outcomes.append(OfferOutcome(
                        offer_id=offer_id, status="UNKNOWN", command_id=cid, message=lost))
                    continue
                result.outcomes.append(OfferOutcome(
                    offer_id=offer_id, status=(task.status or "UNKNOWN").upper(),
                    command_id=cid, message=task.message or None, errors=task.errors))
            if self.progress is not None:
                self.progress(len(result.outcomes), len(ids))
        order = {o: i for i, o in enumerate(ids)}
        result.outcomes.sort(key=lambda out: order[out.offer_id])
        return result

    def _path(self, kind: CommandKind, command_id: str) -> str:
        return f"/sale/{kind.value}/{command_id}"

    async def _put(self, kind: CommandKind, cid: str, body: dict[str, Any],
                   count: int) -> str | None:
        """Register one command; ``None`` on success, else why it could not be sent."""
        if self.pace is not None:
            await self.pace.acquire(count)
        delay = self.poll_initial
        last = ""
        for attempt in range(self.put_attempts):
            try:
                await self._client.request("PUT", self._path(kind, cid), json=body,
                                           extensions=RETRY_SAFE)
                return None
            except (ServerError, RateLimitedError, TransportError) as exc:
                last = str(exc)  # the same commandId goes again: no double registration
            except APIError as exc:
                return str(exc)
            if attempt + 1 < self.put_attempts:
                await self._sleep(delay)
                delay = min(delay * 2, self.poll_max)
        return f"gave up after {self.put_attempts} attempts: {last}"

    async def _collect(self, kind: CommandKind, cid: str, count: int,
                       tasks: dict[str, CommandTask]) -> None:
        """Wait for the report (backoff), then read every task (offset <= 999) into ``tasks``
        (filled as pages arrive, so what was read survives a failure on a later page)."""
        delay, waited = self.poll_initial, 0.0
        while True:
            report = await self._client.request("GET", self._path(kind, cid),
                                                cast_to=CommandReport)
            if report.done or (self.deadline is not None and waited >= self.deadline):
                break
            await self._sleep(delay)
            waited += delay
            delay = min(delay * 2, self.poll_max)
        total = max(report.task_count.total, count)
        offset = 0
        while offset < total and offset <= _TASKS_MAX_OFFSET:
            page = await self._client.request(
                "GET", f"{self._path(kind, cid)}/tasks",
                params={"limit": self.tasks_page, "offset": offset}, cast_to=TaskPage)
            for task in page.tasks:
                tasks[task.offer_id] = task
            if len(page.tasks) < self.tasks_page:
                break
            offset += self.tasks_page


def command_id_list(command_ids: object, commands: int) -> list[str] | None:
    """``command_ids`` of an earlier result, one UUID per command, or ``None``."""
    if command_ids is None:
        return None
    if isinstance(command_ids, (str, bytes)) or not isinstance(command_ids, Sequence):
        raise InvalidArgumentError("command_ids", f"{type(command_ids).__name__} is not a "
                                   "list", "pass result.command_ids of an earlier run")
    cids = [_args.uuid_text(c, f"command_ids[{i}]") for i, c in enumerate(command_ids)]
    if len(cids) != commands:
        raise InvalidArgumentError(
            "command_ids", f"{len(cids)} ids for {commands} commands",
            "pass the command_ids of the earlier run with the same offers in the same order")
    _args.unique_ids(cids, "command_ids")
    return cids
