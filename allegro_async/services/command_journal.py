"""The commands a run has made, written down before the first PUT (S20).

A command whose PUT got no answer may have been applied. Its id is what finds out: Allegro
keeps a report under it, and a second PUT of the same body under the same id is the same
command (never a second change). So every command is recorded here, with its id, kind, offers
and payload, before anything is sent, and stays ``pending`` until each of its offers has a
known outcome. A cancelled or crashed run is finished with
:meth:`~allegro_async.services.commands.CommandEngine.resume`::

    journal = CommandJournal("reprice.commands")          # or CommandJournal() in memory
    engine = client.offers.commands(journal=journal)
    await client.offers.change_price(ids, increase_percent="10", engine=engine)  # killed...
    result = await client.offers.commands(journal=CommandJournal("reprice.commands")).resume()
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allegro_async import _args
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.commands import CommandKind


@dataclass
class PlannedCommand:
    """One command as it is (or will be) sent: ``PUT /sale/{kind}/{command_id}``.

    ``sent`` turns true just before its first PUT starts: a command never sent cannot have
    reached Allegro.
    """

    command_id: str
    kind: CommandKind
    offer_ids: list[str]
    payload: dict[str, Any]
    sent: bool = False

    def body(self) -> dict[str, Any]:
        """The PUT body (the same on every attempt and on resume, so a repeat is no-op)."""
        return {"offerCriteria": [{"type": "CONTAINS_OFFERS",
                                   "offers": [{"id": o} for o in self.offer_ids]}],
                **self.payload}


class CommandJournal:
    """Commands whose outcome is not settled yet, in memory or in a file.

    ``pending`` maps command id -> :class:`PlannedCommand`, in the order they were planned.
    With ``path``, each event is one JSON line appended and flushed at once, so the file
    survives a killed process; a torn last line is cut back on load.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.pending: dict[str, PlannedCommand] = {}
        for event in read_events(self.path):
            self._replay(event)

    @property
    def command_ids(self) -> list[str]:
        """The ids of the pending commands, in the order they were planned."""
        return list(self.pending)

    def unsettled(self, commands: list[PlannedCommand]) -> dict[str, str]:
        """Offer id -> pending command id, for each offer of ``commands`` that a pending
        command of the same kind (other than ``commands`` themselves: a resend) also names."""
        ours = {c.command_id for c in commands}
        named: dict[tuple[str, str], str] = {}
        for pending in self.pending.values():
            if pending.command_id not in ours:
                for offer_id in pending.offer_ids:
                    named.setdefault((pending.kind.value, offer_id), pending.command_id)
        return {o: named[(c.kind.value, o)] for c in commands for o in c.offer_ids
                if (c.kind.value, o) in named}

    def plan(self, commands: list[PlannedCommand]) -> None:
        """Record commands about to be sent (all of a run at once, before its first PUT).
        A command already pending (a resume) keeps its record, ``sent`` flag included."""
        new = [c for c in commands if self.pending.get(c.command_id) is not c]
        for command in new:
            known = self.pending.get(command.command_id)
            # the same id planned again (run with command_ids=): once sent, always "maybe sent"
            command.sent = command.sent or (known is not None and known.sent)
            self.pending[command.command_id] = command
        append_events(self.path, [{
            "e": "planned", "id": c.command_id, "kind": c.kind.value, "offers": c.offer_ids,
            "payload": c.payload, "sent": c.sent} for c in new])

    def mark_sent(self, command_id: str) -> None:
        """Record that the first PUT of a command is about to start."""
        command = self.pending.get(command_id)
        if command is not None and not command.sent:
            command.sent = True
            append_events(self.path, [{"e": "sent", "id": command_id}])

    def settle(self, command_id: str) -> None:
        """Drop a command whose every offer has a known outcome."""
        if self.pending.pop(command_id, None) is not None:
            append_events(self.path, [{"e": "settled", "id": command_id}])

    def _replay(self, event: dict[str, Any]) -> None:
        cid = event.get("id")
        if not isinstance(cid, str):
            return
        kind = event.get("e")
        if kind == "planned":
            offers, payload, kind_name = event.get("offers"), event.get("payload"), \
                event.get("kind")
            # only the four real kinds: the kind is a URL segment of the resumed PUT
            if isinstance(offers, list) and isinstance(payload, dict) \
                    and kind_name in _KINDS:
                known = self.pending.get(cid)
                self.pending[cid] = PlannedCommand(
                    command_id=cid, kind=CommandKind(kind_name),
                    offer_ids=[str(o) for o in offers], payload=payload,
                    sent=event.get("sent") is True or (known is not None and known.sent))
        elif kind == "sent" and cid in self.pending:
            self.pending[cid].sent = True
        elif kind == "settled":
            self.pending.pop(cid, None)


_KINDS = frozenset(k.value for k in CommandKind)
# Changes relative to the offer's current value: applied twice, they change it twice.
_RELATIVE_PRICE = frozenset({"INCREASE_PRICE", "DECREASE_PRICE", "INCREASE_PERCENTAGE",
                             "DECREASE_PERCENTAGE"})


def is_relative(payload: dict[str, Any]) -> bool:
    """Whether a command payload shifts the current value (a price raised or lowered by an
    amount or a percentage, stock gained or lost) instead of setting it."""
    mod = payload.get("modification")
    return isinstance(mod, dict) and (
        mod.get("type") in _RELATIVE_PRICE or mod.get("changeType") == "GAIN"
    )


def refuse_relative_repeat(journal: CommandJournal, plans: list[PlannedCommand]) -> None:
    """Raise :class:`~allegro_async.errors.InvalidArgumentError` when a relative change names
    an offer that an unsettled command in ``journal`` also names.

    A cancelled +10 % run left commands that may have been applied: running it again instead
    of ``resume()`` would give +21 %. Absolute changes are safe to repeat and pass."""
    clash = journal.unsettled([p for p in plans if is_relative(p.payload)])
    if clash:
        offers = ", ".join(list(clash)[:3]) + (", ..." if len(clash) > 3 else "")
        raise InvalidArgumentError(
            "offer_ids", f"{len(clash)} offer(s) ({offers}) have unsettled commands "
            f"({', '.join(sorted(set(clash.values())))}): this relative change could be "
            "applied on top of them", "finish them first with engine.resume() (or "
            "client.offers.commands().resume()); to apply it again on purpose, use "
            "engine=client.offers.commands(allow_unsettled=True)",
        )


def read_events(path: Path | None) -> list[dict[str, Any]]:
    """The JSON-object lines of a journal file (none if there is no file). A torn last line
    (the process died mid-write) is cut off the file, so the next event starts on a line of
    its own; other unreadable lines are skipped."""
    if path is None or not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[:data.rfind(b"\n") + 1]
        with path.open("r+b") as f:
            f.truncate(len(data))
    events = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def append_events(path: Path | None, events: list[dict[str, Any]]) -> None:
    """Append events as JSON lines in one write, flushed when the file closes."""
    if path is not None and events:
        with path.open("a", encoding="utf-8") as f:
            f.write("".join(json.dumps(e, separators=(",", ":"), default=str) + "\n"
                            for e in events))


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
