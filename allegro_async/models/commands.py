"""Offer command models: the reports Allegro returns and the one result the command engine
gives back for any number of offers (S20).

The report models are the generated ones (``GeneralReport``, ``TaskReport``, ``CommandTask``,
``TaskCount``, ``CommandOutputErrors``) under this library's names; ``CommandReport.done``,
``CommandReport.tasks_total`` and ``CommandTask.offer_id`` are helpers the generator attaches.
"""

from __future__ import annotations

from pydantic import Field

from allegro_async.api.models import CommandOutputErrors, CommandTask, GeneralReport, TaskCount
from allegro_async.api.models import TaskReport as TaskPage
from allegro_async.models.base import AllegroModel, OpenEnum

__all__ = ["FAILED_STATUSES", "CommandKind", "CommandReport", "CommandResult", "CommandTask",
           "OfferOutcome", "TaskCount", "TaskError", "TaskPage"]


class CommandKind(OpenEnum):
    """The four offer command families; the value is the URL segment."""

    PUBLICATION = "offer-publication-commands"
    PRICE = "offer-price-change-commands"
    QUANTITY = "offer-quantity-change-commands"
    MODIFICATION = "offer-modification-commands"


#: GET /sale/{kind}/{commandId} (``GeneralReport``).
CommandReport = GeneralReport
#: One error of a failed task.
TaskError = CommandOutputErrors


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
