"""The command engine: one way to change publication, price, quantity or other fields of any
number of offers (S17, S20).

Offers are split into commands of at most 1000; each command's id is made once, recorded in
the engine's journal before the first PUT, and reused on every retry of its PUT (a retried PUT
can then never register the change twice); the engine waits for each report with backoff and
collects every task into one :class:`CommandResult`. A PUT whose answer was lost is never
reported as not sent: its report is read, and if that fails too its offers are ``UNKNOWN``
until :meth:`CommandEngine.resume` reads it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import anyio
from typing_extensions import Unpack

from allegro_async import _args, _redact
from allegro_async._options import CallOptions
from allegro_async.errors import (
    AllegroError,
    APIError,
    ConnectError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitedError,
    ResponseValidationError,
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
from allegro_async.services._bind import bind
from allegro_async.services.command_journal import (
    CommandJournal,
    PlannedCommand,
    refuse_relative_repeat,
)
from allegro_async.services.command_journal import command_id_list as command_id_list
from allegro_async.services.offer_pace import Clock as Clock
from allegro_async.services.offer_pace import OfferPace as OfferPace
from allegro_async.services.offer_pace import Sleep as Sleep

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

#: S20: the most offers one command may name.
MAX_OFFERS_PER_COMMAND = 1000
_TASKS_MAX_OFFSET = 999  # the tasks endpoint refuses a larger offset
#: Per command family, the spec's operations (operationId) that register a command, read
#: its report and read its tasks; called through the generated layer (``client.api``).
OPERATION_IDS: dict[CommandKind, tuple[str, str, str]] = {
    CommandKind.PUBLICATION: ("changePublicationStatusUsingPUT", "getPublicationReportUsingGET",
                              "getPublicationTasksUsingGET"),
    CommandKind.PRICE: ("priceModificationCommandUsingPUT",
                        "getPriceModificationCommandStatusUsingGET",
                        "getPriceModificationCommandTasksStatusesUsingGET"),
    CommandKind.QUANTITY: ("quantityModificationCommandUsingPUT",
                           "getQuantityModificationCommandStatusUsingGET",
                           "getQuantityModificationCommandTasksStatusesUsingGET"),
    CommandKind.MODIFICATION: ("modificationCommandUsingPUT", "getGeneralReportUsingGET",
                               "getTasksUsingGET"),
}
#: Answers that refuse this very body or id: an earlier attempt, had it registered the same
#: command, would have made a repeat succeed (S20), so nothing was applied.
_REFUSES_THE_COMMAND = frozenset({400, 409, 422})

logger = logging.getLogger("allegro_async.commands")


class _Sent(NamedTuple):
    """How far a command's PUT got.

    ``registered``: answered; ``refused``: Allegro answered with an error (not applied);
    ``local``: refused before sending; ``not_reached``: no attempt reached Allegro as far as
    the engine saw (no connection, 429), still checked against its report; ``uncertain``: an
    attempt may have been applied (read timeout, dropped connection, 5xx).
    """

    state: Literal["registered", "refused", "local", "not_reached", "uncertain"]
    message: str = ""


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _maybe_applied(command_id: str, why: str) -> str:
    return (f"command {command_id} may have been applied ({why}). Do not send a relative "
            "change to this offer again: engine.resume(), or the same call with "
            "command_ids=result.command_ids, reads the report (re-sending the same command "
            "under the same id, which Allegro never applies twice)")


class CommandEngine:
    """Runs a change over any number of offers as commands of <= ``chunk_size`` offers.

    Args:
        client: the client (its view for the seller who owns the offers).
        sleep: awaited between report polls and retries (inject one for tests).
        poll_initial: the first wait before re-reading a report (doubling after each read).
        poll_max: the cap of that wait.
        deadline: seconds of waiting per command report after which the engine stops waiting
            and returns the tasks as they stand (unfinished ones with status ``NEW``).
        put_attempts: how often a command PUT is tried on 5xx, 429 or a broken connection,
            always with the same ``commandId``.
        pace: an :class:`OfferPace` for command PUTs, or ``None`` when the client's throttle
            already weighs command PUTs by their offer count.
        chunk_size: offers per command, at most 1000 (S20).
        tasks_page: tasks read per call (the tasks endpoint allows offset <= 999).
        progress: called with ``(offers_settled, offers_total)`` after each command's
            outcomes are known (a progress bar, a log line). An exception it raises is
            logged once and listed in ``result.callback_errors``; the run goes on.
        journal: a :class:`~allegro_async.services.command_journal.CommandJournal` that
            records every command before its first PUT (in memory by default; give one with
            a path to survive a crash); :meth:`resume` finishes what it still holds.
        allow_unsettled: run a relative change (a price up or down by an amount or a
            percentage, a stock gain) even for offers the journal holds unsettled commands
            of; by default that is refused, since :meth:`resume` may apply those too.
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
        journal: CommandJournal | None = None,
        allow_unsettled: bool = False,
    ) -> None:
        _args.page_size(chunk_size, "chunk_size", 1, MAX_OFFERS_PER_COMMAND,
                        "a command")  # S20
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
        self.journal = journal if journal is not None else CommandJournal()
        self.allow_unsettled = _args.instance(allow_unsettled, "allow_unsettled", bool)

    async def run(
        self,
        kind: CommandKind,
        offer_ids: Sequence[str],
        payload: dict[str, Any],
        *,
        command_ids: Sequence[str] | None = None,
        **options: Unpack[CallOptions],
    ) -> CommandResult:
        """Apply ``payload`` (``{"modification": ...}`` or ``{"publication": ...}``) to every
        offer, and return per-offer outcomes. ``command_ids`` resumes: give the ids of an
        earlier run to re-send the same commands (Allegro answers with the existing ones)."""
        svc = bind(self, options)
        kind = _args.instance(kind, "kind", CommandKind)
        payload = _args.mapping(payload, "payload")
        return await svc.run_groups(kind, [(offer_ids, payload)], command_ids=command_ids)

    async def run_groups(
        self,
        kind: CommandKind,
        groups: Sequence[tuple[Sequence[str], dict[str, Any]]],
        *,
        command_ids: Sequence[str] | None = None,
        **options: Unpack[CallOptions],
    ) -> CommandResult:
        """Like :meth:`run`, for several payloads at once (``[(offer_ids, payload), ...]``,
        e.g. one FIXED_PRICE per price): every command of every group is recorded in the
        journal before the first PUT. Outcomes come in the order of the offers given."""
        svc = bind(self, options)
        chunks: list[tuple[list[str], dict[str, Any]]] = []
        for offer_ids, payload in groups:
            ids = _args.id_list(offer_ids, "offer_ids")
            chunks += [(ids[i:i + svc.chunk_size], payload)
                       for i in range(0, len(ids), svc.chunk_size)]
        # one offer never gets two changes in one call, across groups too
        _args.unique_ids((o for chunk, _ in chunks for o in chunk), "offer_ids")
        given = command_id_list(command_ids, len(chunks))
        # Made once, before any attempt: every retry of a chunk reuses its id (S20).
        cids = given if given is not None else [str(uuid.uuid4()) for _ in chunks]
        plans = [PlannedCommand(command_id=cid, kind=kind, offer_ids=chunk, payload=payload)
                 for cid, (chunk, payload) in zip(cids, chunks, strict=True)]
        if not self.allow_unsettled:
            refuse_relative_repeat(self.journal, plans)  # before the first PUT
        result = await svc._execute(plans, resend=True)  # outcomes in plan order: as given
        result.kind = kind
        return result

    async def resume(self, kind: CommandKind | None = None, *,
                     resend: bool = True, **options: Unpack[CallOptions]) -> CommandResult:
        """Finish the commands the journal still holds (a run that was cancelled, crashed or
        left offers ``UNKNOWN``/``NEW``) and return their real outcomes.

        Each pending command is PUT again with its recorded id and body, which Allegro
        answers with the existing command (registered once, applied once) or registers now
        if the first PUT never arrived; then its report is read. ``resend=False`` only reads
        reports: a command never sent is ``NOT_SENT``, one Allegro has no report of stays
        ``UNKNOWN``. ``kind`` limits the resume to one command family.
        """
        svc = bind(self, options)
        plans = [p for p in svc.journal.pending.values() if kind is None or p.kind == kind]
        result = await svc._execute(plans, resend=resend)
        kinds = {p.kind for p in plans}
        result.kind = kinds.pop() if len(kinds) == 1 else kind
        return result

    async def _execute(self, plans: list[PlannedCommand], *, resend: bool) -> CommandResult:
        """PUT every command, then collect every report; outcomes in plan order."""
        result = CommandResult(command_ids=[p.command_id for p in plans])
        total = sum(len(p.offer_ids) for p in plans)
        self.journal.plan(plans)  # before the first PUT: a cancelled run stays resumable
        sent: list[tuple[PlannedCommand, _Sent]] = []
        for plan in plans:
            if resend:
                outcome = await self._put(plan)
            elif plan.sent:
                outcome = _Sent("uncertain", "sent by an earlier run")
            else:
                outcome = _Sent("local", "the command was never sent")
            if outcome.state in ("refused", "local"):
                status = "REFUSED" if outcome.state == "refused" else "NOT_SENT"
                self._settle(result, plan, [OfferOutcome(
                    offer_id=o, status=status, command_id=plan.command_id,
                    message=outcome.message) for o in plan.offer_ids], total)
            else:
                sent.append((plan, outcome))
        for plan, outcome in sent:
            self._settle(result, plan, await self._outcomes(plan, outcome), total)
        order = {o: i for i, o in enumerate(o for p in plans for o in p.offer_ids)}
        result.outcomes.sort(key=lambda out: order[out.offer_id])
        return result

    def _settle(self, result: CommandResult, plan: PlannedCommand,
                outcomes: list[OfferOutcome], total: int) -> None:
        result.outcomes += outcomes
        if all(o.settled for o in outcomes):
            self.journal.settle(plan.command_id)
        if self.progress is not None:
            try:
                self.progress(len(result.outcomes), total)
            except Exception as exc:  # a progress bar's bug must not end a run half-way
                note = _redact.scrub(f"{type(exc).__name__}: {exc}")
                if not result.callback_errors:  # once per run: a broken bar raises each time
                    logger.warning("the progress callback raised %s; the run goes on", note,
                                   exc_info=exc)
                result.callback_errors.append(note)

    async def _outcomes(self, plan: PlannedCommand, sent: _Sent) -> list[OfferOutcome]:
        """Read a command's report into one outcome per offer."""
        cid = plan.command_id
        tasks: dict[str, CommandTask] = {}
        status, lost = "UNKNOWN", "no task reported for this offer"
        try:
            await self._collect(plan.kind, cid, len(plan.offer_ids), tasks)
        except NotFoundError as exc:
            if sent.state == "not_reached":
                # every attempt failed before Allegro processed it, and it has no such command
                status, lost = "NOT_SENT", f"{sent.message}; Allegro has no command {cid}"
            else:
                lost = _maybe_applied(cid, _join(sent.message, f"its report: {exc}"))
        except AllegroError as exc:  # any failure: a 4xx or a malformed report too
            lost = _maybe_applied(cid, _join(sent.message,
                                             f"its report could not be read ({exc})"))
        outcomes = []
        for offer_id in plan.offer_ids:
            task = tasks.get(offer_id)
            if task is None:
                outcomes.append(OfferOutcome(offer_id=offer_id, status=status, command_id=cid,
                                             message=lost))
                continue
            outcomes.append(OfferOutcome(
                offer_id=offer_id, status=(task.status or "UNKNOWN").upper(), command_id=cid,
                message=task.message or None, errors=task.errors or []))
        return outcomes

    def _operation(self, kind: CommandKind, which: int) -> Callable[..., Awaitable[Any]]:
        """The generated raw-response method of one of ``kind``'s operations (0: PUT,
        1: report, 2: tasks); raw, so the answer parses into the engine's own models."""
        from allegro_async.api import OPERATIONS

        try:
            operation_id = OPERATION_IDS[kind][which]
        except KeyError:
            raise InvalidArgumentError(
                "kind", f"{kind!r} is not a command family the engine knows",
                "use a CommandKind: " + ", ".join(k.name for k in OPERATION_IDS)) from None
        area, method = OPERATIONS[operation_id].name.split(".")
        found: Callable[..., Awaitable[Any]] = getattr(
            getattr(self._client.api, area).with_raw_response, method)
        return found

    async def _put(self, plan: PlannedCommand) -> _Sent:
        """Register one command: how far it got (see :class:`_Sent`)."""
        if self.pace is not None:
            await self.pace.acquire(len(plan.offer_ids))
        self.journal.mark_sent(plan.command_id)
        put, body = self._operation(plan.kind, 0), plan.body()
        delay = self.poll_initial
        last, uncertain = "", False
        for attempt in range(self.put_attempts):
            try:
                # PUT is retried by the retry layer as it is: the commandId in the URL makes
                # a repeat a no-op on Allegro's side (S20)
                await put(command_id=plan.command_id, body=body)
                return _Sent("registered")
            except InvalidArgumentError as exc:  # refused here, before anything was sent
                return _Sent("local", str(exc))
            except (ConnectError, RateLimitedError) as exc:
                last = str(exc)  # no connection, or turned away at the gate: not processed
            except (ServerError, TransportError) as exc:
                # a read timeout, a dropped connection, a 5xx: it may have been applied
                last, uncertain = str(exc), True
            except APIError as exc:
                if uncertain and exc.status_code not in _REFUSES_THE_COMMAND:
                    # e.g. a 401 after a lost answer: the lost attempt may have registered it
                    return _Sent("uncertain", str(exc))
                return _Sent("refused", str(exc))
            except AllegroError as exc:  # an answer that could not be read
                last, uncertain = str(exc), True
            if attempt + 1 < self.put_attempts:
                await self._sleep(delay)
                delay = min(delay * 2, self.poll_max)
        return _Sent("uncertain" if uncertain else "not_reached",
                     f"gave up after {self.put_attempts} attempts: {last}")

    async def _collect(self, kind: CommandKind, cid: str, count: int,
                       tasks: dict[str, CommandTask]) -> None:
        """Wait for the report (backoff), then read every task (offset <= 999) into ``tasks``
        (filled as pages arrive, so what was read survives a failure on a later page)."""
        delay, waited = self.poll_initial, 0.0
        read_report, read_tasks = self._operation(kind, 1), self._operation(kind, 2)
        while True:
            raw = await read_report(command_id=cid)
            report = raw.parse(CommandReport)
            if not report.id:  # reports are matched to the commands sent by their id
                raise ResponseValidationError(
                    f"the report of command {cid} has no id (field 'id')",
                    body=raw.json(), trace_id=raw.trace_id)
            if report.done or (self.deadline is not None and waited >= self.deadline):
                break
            await self._sleep(delay)
            waited += delay
            delay = min(delay * 2, self.poll_max)
        total = max(report.tasks_total, count)
        offset = 0
        while offset < total and offset <= _TASKS_MAX_OFFSET:
            page = (await read_tasks(command_id=cid, limit=self.tasks_page,
                                     offset=offset)).parse(TaskPage)
            for task in page.tasks or []:
                tasks[task.offer_id] = task
            if len(page.tasks or []) < self.tasks_page:
                break
            offset += self.tasks_page
