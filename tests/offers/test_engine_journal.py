"""The commands journal: what a new process reads back from the file of a killed one."""

from __future__ import annotations

import json
from pathlib import Path

from allegro_async.models.commands import CommandKind
from allegro_async.services.command_journal import CommandJournal, PlannedCommand

CID = "0b7f3c1e-2a4d-4e8b-9c6f-5d1a2b3c4d5e"
OTHER = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"


def _plan(cid: str = CID) -> PlannedCommand:
    return PlannedCommand(command_id=cid, kind=CommandKind.PRICE, offer_ids=["1", "2"],
                          payload={"modification": {"type": "INCREASE_PERCENTAGE",
                                                    "percentage": "10"}})


def test_a_file_journal_reads_back_pending_commands_and_their_sent_flag(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = CommandJournal(path)
    journal.plan([_plan(), _plan(OTHER)])
    journal.mark_sent(CID)
    again = CommandJournal(path)
    assert again.command_ids == [CID, OTHER]
    assert again.pending[CID].sent and not again.pending[OTHER].sent
    assert again.pending[CID].body() == {
        "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": "1"}, {"id": "2"}]}],
        "modification": {"type": "INCREASE_PERCENTAGE", "percentage": "10"}}
    again.settle(CID)
    assert CommandJournal(path).command_ids == [OTHER]


def test_planning_a_sent_command_again_keeps_it_sent(tmp_path: Path) -> None:
    # A second "planned" line (run with command_ids=) must not make a sent command look
    # never sent: a read-only resume would call it NOT_SENT although it may have applied.
    path = tmp_path / "j"
    journal = CommandJournal(path)
    journal.plan([_plan()])
    journal.mark_sent(CID)
    journal.plan([_plan()])
    assert journal.pending[CID].sent
    assert CommandJournal(path).pending[CID].sent


def test_a_torn_line_and_an_unknown_kind_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "j"
    good = {"e": "planned", "id": CID, "kind": CommandKind.QUANTITY.value, "offers": ["1"],
            "payload": {"modification": {"changeType": "FIXED", "value": 1}}}
    odd = {**good, "id": OTHER, "kind": "../../me"}  # the kind becomes a URL segment
    path.write_text(json.dumps(good) + "\n" + json.dumps(odd) + "\n" + '{"e": "sent", "i')
    journal = CommandJournal(path)
    assert journal.command_ids == [CID] and not journal.pending[CID].sent
    journal.mark_sent(CID)
    assert CommandJournal(path).pending[CID].sent
    assert path.read_text().endswith(f'{{"e":"sent","id":"{CID}"}}\n')
