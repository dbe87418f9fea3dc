"""Offer command models: the reports Allegro returns and the one result the command engine
gives back for any number of offers (S20).

The report models subclass the generated ones (``GeneralReport``, ``TaskReport``,
``CommandTask``, ``TaskCount``, ``CommandOutputErrors``), so every field of the spec is there; they
keep the defaults the engine relies on (counts of 0, empty task lists).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pydantic import Field

from allegro_async.api.models import CommandOutputErrors as _ErrorModel
from allegro_async.api.models import CommandTask as _CommandTask
from allegro_async.api.models import GeneralReport as _GeneralReport
from allegro_async.api.models import TaskCount as _TaskCount
from allegro_async.api.models import TaskReport as _TaskReport
from allegro_async.models.base import AllegroModel, OpenEnum


class CommandKind(OpenEnum):
    """The four offer command families; the value is the URL segment."""

    PUBLICATION = "offer-publication-commands"
    PRICE = "offer-price-change-commands"
    QUANTITY = "offer-quantity-change-commands"
    MODIFICATION = "offer-modification-commands"


class TaskCount(_TaskCount, AllegroModel):
    """How many of a command's tasks are done (0 where Allegro leaves a count out)."""

    total: int = 0
    success: int = 0
    failed: int = 0


class CommandReport(_GeneralReport, AllegroModel):
    """GET /sale/{kind}/{commandId} (``GeneralReport``): the command's id is required here,
    since the engine matches reports to the commands it sent."""

    id: str
    created_at: _dt.datetime | None = None
    completed_at: _dt.datetime | None = None
    task_count: TaskCount = Field(default_factory=TaskCount)

    @property
    def done(self) -> bool:
        """Whether every task has finished."""
        count = self.task_count
        return self.completed_at is not None or (
            count.total > 0 and count.success + count.failed >= count.total
        )


class TaskError(_ErrorModel, AllegroModel):
    """One error of a failed task."""

    code: str | None = None
    message: str | None = None
    user_message: str | None = None
    path: str | None = None


class CommandTask(_CommandTask, AllegroModel):
    """One task (one offer) of a command report."""

    offer: dict[str, Any] = Field(default_factory=dict)  # type: ignore[assignment]
    status: str | None = None
    message: str | None = None
    field: str | None = None
    errors: list[TaskError] = Field(default_factory=list)  # type: ignore[assignment]

    @property
    def offer_id(self) -> str:
        """The offer this task changed."""
        return str(self.offer.get("id", ""))


class TaskPage(_TaskReport, AllegroModel):
    """GET /sale/{kind}/{commandId}/tasks (``TaskReport``)."""

    tasks: list[CommandTask] = Field(default_factory=list)  # type: ignore[assignment]


#: Outcomes that say the change was not applied and will not be: safe to send again.
FAILED_STATUSES = frozenset({"FAIL", "REFUSED", "NOT_SENT"})


class OfferOutcome(AllegroModel):
    """What a command did to one offer. ``status``:

    - ``SUCCESS``: applied;
    - ``FAIL``: Allegro's task for the offer failed (``message``, ``errors`` say why);
    - ``REFUSED``: Allegro answered the command's PUT with an error, so it was not registered;
    - ``NOT_SENT``: nothing reached Allegro (the connection could not be made, and Allegro
      has no command under the id);
    - ``NEW``: the task had not finished by the engine's deadline; it may still apply;
    - ``UNKNOWN``: the command may have been applied but its answer or report was lost
      (a dropped connection, a read timeout, 5xx after retries). Resolve it with
      :meth:`~allegro_async.services.commands.CommandEngine.resume`, which reads the report
      of ``command_id`` (re-sending the same command under the same id, never a second one).
    """

    offer_id: str
    status: str
    command_id: str | None = None
    message: str | None = None
    errors: list[TaskError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the change was applied."""
        return self.status == "SUCCESS"

    @property
    def settled(self) -> bool:
        """Whether the outcome is final: ``SUCCESS`` or one of the failed statuses. Anything
        else (``UNKNOWN``, ``NEW``, a status Allegro may add) may still change the offer."""
        return self.ok or self.status in FAILED_STATUSES


class CommandResult(AllegroModel):
    """The one result of a change to any number of offers, spread over commands of <= 1000.

    ``outcomes`` has one entry per offer, in the order given; ``command_ids`` lists the
    commands made (reuse them to look reports up later); ``kind`` is their family (``None``
    when a resumed journal held commands of several). ``callback_errors`` lists what a
    raising progress callback raised (the run went on).
    """

    kind: CommandKind | None = None
    command_ids: list[str] = Field(default_factory=list)
    outcomes: list[OfferOutcome] = Field(default_factory=list)
    callback_errors: list[str] = Field(default_factory=list)

    @property
    def succeeded(self) -> list[str]:
        """Offer ids changed."""
        return [o.offer_id for o in self.outcomes if o.ok]

    @property
    def failed(self) -> dict[str, str]:
        """Offer id -> message, for offers known not to be changed (failed tasks, refused or
        unsent commands): safe to send the same change again. Offers whose outcome is not
        known are in :attr:`unknown`, never here."""
        return {o.offer_id: o.message or o.status for o in self.outcomes
                if o.status in FAILED_STATUSES}

    @property
    def unknown(self) -> dict[str, str]:
        """Offer id -> command id, for offers the change may have reached or may still reach
        (``UNKNOWN``: the command's answer or report was lost; ``NEW``: unfinished at the
        deadline). Do not
        send a relative change (``increase_percent``, ``gain``, ...) to these again: resolve
        them with ``engine.resume()`` first, or send an absolute value."""
        return {o.offer_id: o.command_id or "" for o in self.outcomes if not o.settled}

    @property
    def ok(self) -> bool:
        """Whether every offer was changed."""
        return all(o.ok for o in self.outcomes)

    @property
    def unfinished(self) -> list[str]:
        """Offer ids whose fate is not known yet (status ``UNKNOWN`` or ``NEW``): the keys of
        :attr:`unknown`."""
        return list(self.unknown)
