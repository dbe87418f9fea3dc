"""Offer command models: the reports Allegro returns and the one result the command engine
gives back for any number of offers (S20)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pydantic import Field

from allegro_async.models.base import AllegroModel, OpenEnum


class CommandKind(OpenEnum):
    """The four offer command families; the value is the URL segment."""

    PUBLICATION = "offer-publication-commands"
    PRICE = "offer-price-change-commands"
    QUANTITY = "offer-quantity-change-commands"
    MODIFICATION = "offer-modification-commands"


class TaskCount(AllegroModel):
    """How many of a command's tasks are done."""

    total: int = 0
    success: int = 0
    failed: int = 0


class CommandReport(AllegroModel):
    """GET /sale/{kind}/{commandId} (GeneralReport)."""

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


class TaskError(AllegroModel):
    """One error of a failed task."""

    code: str | None = None
    message: str | None = None
    user_message: str | None = None
    path: str | None = None


class CommandTask(AllegroModel):
    """One task (one offer) of a command report."""

    offer: dict[str, Any] = Field(default_factory=dict)
    status: str | None = None
    message: str | None = None
    field: str | None = None
    errors: list[TaskError] = Field(default_factory=list)

    @property
    def offer_id(self) -> str:
        """The offer this task changed."""
        return str(self.offer.get("id", ""))


class TaskPage(AllegroModel):
    """GET /sale/{kind}/{commandId}/tasks (TaskReport)."""

    tasks: list[CommandTask] = Field(default_factory=list)


class OfferOutcome(AllegroModel):
    """What a command did to one offer. ``status``: SUCCESS, FAIL, NOT_SENT when the command
    holding the offer could not be registered, NEW when its task had not finished by the
    deadline, or UNKNOWN when the report could not be read (``message`` says why)."""

    offer_id: str
    status: str
    command_id: str | None = None
    message: str | None = None
    errors: list[TaskError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the change was applied."""
        return self.status == "SUCCESS"


class CommandResult(AllegroModel):
    """The one result of a change to any number of offers, spread over commands of <= 1000.

    ``outcomes`` has one entry per offer, in the order given; ``command_ids`` lists the
    commands made (reuse them to look reports up later).
    """

    kind: CommandKind
    command_ids: list[str] = Field(default_factory=list)
    outcomes: list[OfferOutcome] = Field(default_factory=list)

    @property
    def succeeded(self) -> list[str]:
        """Offer ids changed."""
        return [o.offer_id for o in self.outcomes if o.ok]

    @property
    def failed(self) -> dict[str, str]:
        """Offer id -> message, for offers not changed (failed tasks and unsent commands)."""
        return {o.offer_id: o.message or o.status for o in self.outcomes if not o.ok}

    @property
    def ok(self) -> bool:
        """Whether every offer was changed."""
        return all(o.ok for o in self.outcomes)

    @property
    def unfinished(self) -> list[str]:
        """Offer ids whose fate is not known yet (status ``UNKNOWN`` or ``NEW``): run the same
        change again with ``command_ids=`` this result's ``command_ids`` to collect them."""
        return [o.offer_id for o in self.outcomes if o.status in ("UNKNOWN", "NEW")]
