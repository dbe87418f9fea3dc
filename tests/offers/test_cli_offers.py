"""``allegro-async offers bulk-update`` / ``change-price`` through typer's CliRunner against the
in-process emulator (``--emulator``): no network, no credentials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from allegro_async.cli import build_app
from allegro_async.testing import Emulator


def _ids(count: int) -> list[str]:
    # --emulator builds a default Emulator: the same seed gives the same offer ids
    emulator = Emulator()
    ids = [o for o, offer in emulator.offers.offers_of(emulator.sellers[0].id).items()
           if offer["publication"]["status"] == "ACTIVE"]
    return ids[:count]


def _run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(build_app(), list(args), env=env)  # type: ignore[arg-type]


def test_bulk_update_from_json_lines_with_a_journal(tmp_path: Path) -> None:
    ids = _ids(5)
    changes = tmp_path / "changes.jsonl"
    changes.write_text("\n".join(json.dumps({"offer_id": o, "changes": {
        "name": f"CLI renamed {o}"}}) for o in ids) + "\n")
    journal = tmp_path / "j"
    result = _run("offers", "bulk-update", str(changes), "--emulator", "--journal", str(journal))
    assert result.exit_code == 0, result.output
    assert "done 5 (skipped 0), failed 0" in result.output
    assert len(journal.read_text().splitlines()) == 10  # started + done per offer


def test_bulk_update_from_csv_reports_failures(tmp_path: Path) -> None:
    ids = _ids(2)
    changes = tmp_path / "changes.csv"
    changes.write_text("offer_id,name\n" + "".join(f"{o},CSV renamed {o}\n" for o in ids)
                       + "7799999999,Ghost offer title\n")
    result = _run("offers", "bulk-update", str(changes), "--emulator")
    assert result.exit_code == 1
    assert "FAILED 7799999999" in result.output and "done 2" in result.output


def test_change_price_by_percent(tmp_path: Path) -> None:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(_ids(3)) + "\n")
    result = _run("offers", "change-price", str(ids_file), "--percent", "5", "--emulator")
    assert result.exit_code == 0, result.output
    assert "changed 3, failed 0" in result.output


def test_change_price_needs_exactly_one_change(tmp_path: Path) -> None:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("1\n")
    assert _run("offers", "change-price", str(ids_file), "--emulator").exit_code != 0


def test_no_credentials_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLEGRO_ACCESS_TOKEN", raising=False)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("7700000001\n")
    result = _run("offers", "change-price", str(ids_file), "--to", "10",
                  "--store", str(tmp_path / "none.json"))
    assert result.exit_code != 0
    assert "ALLEGRO_ACCESS_TOKEN" in str(result.exception)


def test_change_price_with_a_journal_settles_every_command(tmp_path: Path) -> None:
    from allegro_async.services.command_journal import CommandJournal

    ids_file, journal = tmp_path / "ids.txt", tmp_path / "price.commands"
    ids_file.write_text("\n".join(_ids(3)) + "\n")
    result = _run("offers", "change-price", str(ids_file), "--percent", "5", "--emulator",
                  "--journal", str(journal))
    assert result.exit_code == 0, result.output
    assert "changed 3, failed 0, unknown 0" in result.output
    events = [json.loads(line)["e"] for line in journal.read_text().splitlines()]
    assert events == ["planned", "sent", "settled"]
    assert CommandJournal(journal).pending == {}


def test_resume_finishes_the_commands_of_a_journal(tmp_path: Path) -> None:
    # A run killed after its PUT left a planned, sent command in the journal.
    from allegro_async.services.command_journal import CommandJournal

    ids = _ids(2)
    journal = tmp_path / "price.commands"
    journal.write_text(json.dumps({
        "e": "planned", "id": "5b0f8a4e-6d51-4c1b-9a55-7f0c8a3b9d21",
        "kind": "offer-quantity-change-commands", "offers": ids,
        "payload": {"modification": {"changeType": "FIXED", "value": 3}}}) + "\n"
        + json.dumps({"e": "sent", "id": "5b0f8a4e-6d51-4c1b-9a55-7f0c8a3b9d21"}) + "\n")
    result = _run("offers", "resume", str(journal), "--emulator")
    assert result.exit_code == 0, result.output
    assert "changed 2, failed 0, unknown 0" in result.output
    assert CommandJournal(journal).pending == {}
