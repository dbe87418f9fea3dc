"""bulk_update: per-offer PATCHes, bounded concurrency and rate, progress, failures, resume."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from allegro_async.errors import InvalidArgumentError
from allegro_async.services.bulk import BulkJournal, BulkProgress, change_key
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator


def _renames(emulator: Emulator, seller: int = 0) -> dict[str, dict[str, object]]:
    offers = emulator.offers.offers_of(emulator.sellers[seller].id)
    return {offer_id: {"name": f"Renamed {offer_id}"} for offer_id in offers}


async def test_bulk_update_patches_every_offer_with_progress(offers_emulator: Emulator) -> None:
    changes = _renames(offers_emulator)
    seen: list[BulkProgress] = []
    async with fast_client(offers_emulator) as client:
        result = await client.offers.bulk_update(
            changes, concurrency=4, progress=seen.append, clock=offers_emulator.clock.monotonic)
        sample = await client.offers.get(next(iter(changes)))
    assert len(result.succeeded) == len(changes) == 50 and not result.failed
    assert [p.done for p in seen] == list(range(1, 51))
    assert sample.name == f"Renamed {sample.id}"
    assert set(offers_emulator.offers.counters.patches.values()) == {1}


async def test_bulk_update_goes_on_past_failures(offers_emulator: Emulator) -> None:
    changes = {**_renames(offers_emulator), "7799999999": {"name": "Ghost offer title"}}
    async with fast_client(offers_emulator) as client:
        result = await client.offers.bulk_update(changes, clock=offers_emulator.clock.monotonic)
    assert list(result.failed) == ["7799999999"]
    assert "not found" in result.failed["7799999999"]
    assert len(result.succeeded) == 50


async def test_bulk_update_keeps_to_the_rate_in_emulated_time() -> None:
    emulator = make_emulator(active=300, drafts=0, ended=0)
    changes = _renames(emulator)
    async with fast_client(emulator) as client:
        started = emulator.clock.monotonic()
        await client.offers.bulk_update(changes, concurrency=16, per_minute=600, headroom=1.0,
                                        clock=emulator.clock.monotonic)
        elapsed = emulator.clock.monotonic() - started
    # 300 PATCHes at 600/min: about 30 emulated seconds, never faster
    assert 29.0 <= elapsed < 40.0


async def test_killed_bulk_run_resumes_without_patching_any_offer_twice(
    tmp_path: Path, offers_emulator: Emulator
) -> None:
    changes = _renames(offers_emulator)
    path = tmp_path / "rename.journal"
    async with fast_client(offers_emulator) as client:
        with anyio.CancelScope() as scope:
            def stop_half_way(p: BulkProgress) -> None:
                if p.done >= 20:
                    scope.cancel()  # as if the process were killed mid-run

            await client.offers.bulk_update(changes, concurrency=6, progress=stop_half_way,
                                            journal=BulkJournal(path),
                                            clock=offers_emulator.clock.monotonic)
        patched_first = sum(offers_emulator.offers.counters.patches.values())
        assert 20 <= patched_first < 50
        resumed = await client.offers.bulk_update(changes, journal=BulkJournal(path),
                                                  clock=offers_emulator.clock.monotonic)
    counters = offers_emulator.offers.counters.patches
    assert set(counters) == set(changes) and max(counters.values()) == 1
    assert len(resumed.succeeded) == 50 and len(resumed.skipped) >= 20


async def test_started_but_unconfirmed_offer_is_checked_not_patched_again(
    offers_emulator: Emulator,
) -> None:
    changes = dict(list(_renames(offers_emulator).items())[:2])
    first, second = changes
    async with fast_client(offers_emulator) as client:
        await client.offers.patch(first, changes[first])  # applied, but the run died before
        journal = BulkJournal()                            # it could write "done"
        journal.mark_started(first)
        journal.mark_started(second)
        result = await client.offers.bulk_update(changes, journal=journal)
    assert offers_emulator.offers.counters.patches[first] == 1
    assert offers_emulator.offers.counters.patches[second] == 1
    assert result.skipped == [first]


async def test_bad_bulk_input_is_refused_before_sending(offers_emulator: Emulator) -> None:
    async with fast_client(offers_emulator) as client:
        with pytest.raises(InvalidArgumentError):
            await client.offers.bulk_update({"7700000001": {}})
        with pytest.raises(InvalidArgumentError):
            await client.offers.bulk_update([("1", {"name": "a"}), ("1", {"name": "b"})])
        with pytest.raises(InvalidArgumentError):
            await client.offers.bulk_update({"1": {"name": "a"}}, concurrency=0)
    assert offers_emulator.stats.requests == 0


def test_journal_file_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = BulkJournal(path)
    change = {"name": "Blue kettle 1.7 l"}
    journal.mark_started("1", change)
    journal.mark_done("1", change)
    journal.mark_started("2", change)
    again = BulkJournal(path)
    assert again.done == {"1"} and again.started == {"1", "2"}
    assert again.is_done("1", {"name": "Blue kettle 1.7 l"})
    assert not again.is_done("2", change) and again.unconfirmed("2")


async def test_a2_bulk_update_keeps_to_the_hourly_limit_in_emulated_time() -> None:
    emulator = make_emulator(active=60, drafts=0, ended=0)
    changes = _renames(emulator)
    starts: list[float] = []
    async with fast_client(emulator) as client:
        t0 = emulator.clock.monotonic()
        result = await client.offers.bulk_update(
            changes, concurrency=8, per_minute=600, per_hour=25, headroom=1.0,
            progress=lambda p: starts.append(emulator.clock.monotonic() - t0),
            clock=emulator.clock.monotonic)
    assert len(result.succeeded) == 60
    # 60 PATCHes at 25/h: the 26th waits an hour after the 1st, the 51st two hours
    assert max(starts) >= 7200.0
    assert sum(1 for t in starts if t < 3600.0) <= 25


async def test_pacer_never_exceeds_either_window() -> None:
    from allegro_async.services.bulk import _Pacer

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = _Pacer(120.0, lambda: now[0], sleep, per_hour=300)
    slots = []
    for _ in range(1000):
        await pacer.wait()
        slots.append(now[0])
    for i, t in enumerate(slots):
        in_minute = sum(1 for u in slots[i:i + 200] if u - t < 60.0)
        in_hour = sum(1 for u in slots[i:i + 400] if u - t < 3600.0)
        assert in_minute <= 120 and in_hour <= 300
    assert slots[-1] >= 3 * 3600.0  # 1000 starts at 300/h take over three hours


def test_torn_journal_line_is_skipped_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "j"
    key = change_key({"name": "Blue kettle 1.7 l"})
    path.write_text(f'{{"e": "started", "id": "1", "change": "{key}"}}\n'
                    f'{{"e": "done", "id": "1", "change": "{key}"}}\n'
                    f'garbage\n{{"e": "done", "id": "2", "change": "{key}"}}\n{{"e": "do')
    journal = BulkJournal(path)
    assert journal.done == {"1", "2"} and journal.started == {"1"}
    journal.mark_done("3", {"name": "Blue kettle 1.7 l"})
    again = BulkJournal(path)
    assert again.done == {"1", "2", "3"}
    assert path.read_text().endswith(f'"id":"3","change":"{key}"}}\n')


async def test_a2_command_fields_are_refused_with_the_method_to_use(
    offers_emulator: Emulator,
) -> None:
    async with fast_client(offers_emulator) as client:
        for change, method in [
            ({"sellingMode": {"price": {"amount": "9.99", "currency": "PLN"}}}, "change_price"),
            ({"stock": {"available": 3}}, "change_quantity"),
            ({"publication": {"status": "ACTIVE"}}, "publish"),
        ]:
            with pytest.raises(InvalidArgumentError, match=method):
                await client.offers.bulk_update({"7700000001": {"name": "A fine title", **change}})
    assert offers_emulator.stats.requests == 0


async def test_one_bad_title_refuses_the_whole_run_before_sending(
    offers_emulator: Emulator,
) -> None:
    changes = _renames(offers_emulator)
    changes[next(iter(changes))] = {"name": "short"}
    async with fast_client(offers_emulator) as client:
        with pytest.raises(InvalidArgumentError, match="12 to 75"):
            await client.offers.bulk_update(changes)
    assert offers_emulator.stats.requests == 0


async def test_unexpected_exception_on_one_offer_keeps_the_rest(
    offers_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes = _renames(offers_emulator)
    broken = next(iter(changes))
    async with fast_client(offers_emulator) as client:
        real_patch = client.offers.patch

        async def patch(offer_id: str, change: dict[str, object]) -> object:
            if offer_id == broken:
                raise KeyError("surprise")
            return await real_patch(offer_id, change)

        monkeypatch.setattr(client.offers, "patch", patch)
        result = await client.offers.bulk_update(changes, clock=offers_emulator.clock.monotonic)
    assert list(result.failed) == [broken] and "KeyError" in result.failed[broken]
    assert len(result.succeeded) == 49


async def test_one_offer_written_two_ways_is_refused_before_sending(
    offers_emulator: Emulator,
) -> None:
    # "1" and " 1" passed the duplicate check and were PATCHed concurrently as one offer.
    async with fast_client(offers_emulator) as client:
        with pytest.raises(InvalidArgumentError, match="twice"):
            await client.offers.bulk_update({"7700000001": {"name": "Blue kettle 1.7 l"},
                                             7700000001: {"name": "Red kettle 1.7 l x"}})
        with pytest.raises(InvalidArgumentError, match="not an id"):  # padded: refused
            await client.offers.bulk_update({" 7700000001": {"name": "Red kettle 1.7 l x"}})
    assert offers_emulator.stats.requests == 0


async def test_a_journal_reused_for_another_change_skips_none_of_it(
    tmp_path: Path, offers_emulator: Emulator
) -> None:
    # The journal held offer ids only: a file reused for a second change (new titles) marked
    # every offer done, so nothing was sent and the server kept the old titles.
    path = tmp_path / "titles.journal"
    first = _renames(offers_emulator)
    second = {offer_id: {"name": f"Second title {offer_id}"} for offer_id in first}
    async with fast_client(offers_emulator) as client:
        await client.offers.bulk_update(first, journal=BulkJournal(path),
                                        clock=offers_emulator.clock.monotonic)
        result = await client.offers.bulk_update(second, journal=BulkJournal(path),
                                                 clock=offers_emulator.clock.monotonic)
        sample = next(iter(second))
        offer = await client.offers.get_raw(sample)
    assert result.skipped == [] and len(result.succeeded) == 50
    assert offer["name"] == f"Second title {sample}"
    assert set(offers_emulator.offers.counters.patches.values()) == {2}


async def test_a_journal_reused_for_the_same_change_still_resumes(
    tmp_path: Path, offers_emulator: Emulator
) -> None:
    path = tmp_path / "titles.journal"
    changes = _renames(offers_emulator)
    # the same change written with its keys in another order is the same change
    reordered = {o: dict(reversed(list({**c, "language": "pl-PL"}.items())))
                 for o, c in changes.items()}
    with_language = {o: {**c, "language": "pl-PL"} for o, c in changes.items()}
    async with fast_client(offers_emulator) as client:
        await client.offers.bulk_update(with_language, journal=BulkJournal(path),
                                        clock=offers_emulator.clock.monotonic)
        again = await client.offers.bulk_update(reordered, journal=BulkJournal(path),
                                                clock=offers_emulator.clock.monotonic)
    assert len(again.skipped) == 50
    assert set(offers_emulator.offers.counters.patches.values()) == {1}


async def test_a_then_b_then_a_again_is_not_skipped(offers_emulator: Emulator) -> None:
    # Change A is done, then B; the journal must not call A done any more.
    offer_id = next(iter(_renames(offers_emulator)))
    a, b = {"name": "Blue kettle 1.7 l"}, {"name": "Red kettle 1.7 l"}
    journal = BulkJournal()
    async with fast_client(offers_emulator) as client:
        for change in (a, b, a):
            result = await client.offers.bulk_update({offer_id: change}, journal=journal)
            assert result.skipped == []
        offer = await client.offers.get_raw(offer_id)
    assert offer["name"] == "Blue kettle 1.7 l"
    assert offers_emulator.offers.counters.patches[offer_id] == 3


def test_a_done_line_without_a_change_key_is_read_back_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "old.journal"
    path.write_text('{"e": "started", "id": "1"}\n{"e": "done", "id": "1"}\n')
    journal = BulkJournal(path)
    assert not journal.is_done("1", {"name": "Blue kettle 1.7 l"})
    assert journal.unconfirmed("1")  # resume reads the offer before skipping it


async def test_a_raising_progress_callback_does_not_end_the_run(
    offers_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The callback's exception escaped the task group: the run stopped after one offer.
    changes = _renames(offers_emulator)

    def broken_bar(p: BulkProgress) -> None:
        raise RuntimeError(f"bar broke at {p.done}")

    async with fast_client(offers_emulator) as client:
        with caplog.at_level("WARNING", logger="allegro_async.bulk"):
            result = await client.offers.bulk_update(changes, progress=broken_bar,
                                                     clock=offers_emulator.clock.monotonic)
    assert len(result.succeeded) == 50 and not result.failed
    assert len(result.callback_errors) == 50
    assert result.callback_errors[0].startswith("RuntimeError: bar broke at")
    warnings = [r for r in caplog.records if "progress callback" in r.getMessage()]
    assert len(warnings) == 1
    assert set(offers_emulator.offers.counters.patches.values()) == {1}
