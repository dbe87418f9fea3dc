"""S20: a command PUT that may have reached Allegro is never reported as not sent. Faults are
injected at the emulator: the PUT is applied and its answer dropped, the report read fails,
the caller is cancelled after the PUT. Its offers come back UNKNOWN with the command id (not
in ``result.failed``), the journal keeps the command from before the first PUT, and
``resume()`` reads the real outcome without applying anything twice."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from allegro_async import AllegroClient
from allegro_async.models.commands import CommandKind
from allegro_async.services.command_journal import CommandJournal
from allegro_async.services.commands import OfferPace
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator

PRICE = "/sale/offer-price-change-commands/{commandId}"
QUANTITY = "/sale/offer-quantity-change-commands/{commandId}"
GHOST = "7799999999"  # no such offer: its task fails


def _price(emulator: Emulator, offer_id: str) -> Decimal:
    offer = emulator.offers.get(offer_id)
    assert offer is not None
    return Decimal(offer["sellingMode"]["price"]["amount"])


def _plus_10_percent(amount: Decimal) -> Decimal:
    return (amount * Decimal("1.1")).quantize(Decimal("0.01"), ROUND_HALF_UP)


async def _active(client: AllegroClient, count: int) -> list[str]:
    return [o.id async for o in client.offers.list(publication_status="ACTIVE",
                                                  max_items=count)]


async def test_s20_a_lost_put_answer_is_read_from_the_report() -> None:
    # Every PUT is applied and its answer dropped: the engine gave up and reported the offers
    # NOT_SENT, in result.failed, although the command was registered and applied.
    emulator = make_emulator(active=3, drafts=0, ended=0)
    async with fast_client(emulator, retry=False) as client:
        ids = await _active(client, 3)
        before = {o: _price(emulator, o) for o in ids}
        drop = emulator.faults.add(route=f"PUT {PRICE}", drop=True, when="after")
        result = await client.offers.change_price(ids, increase_percent="10")
    assert drop.fired == 4 and drop.lost == [201] * 4  # registered once, then the same one
    assert result.ok and result.failed == {} and result.unknown == {}
    assert {o: _price(emulator, o) for o in ids} == {o: _plus_10_percent(p)
                                                     for o, p in before.items()}
    assert all(emulator.offers.counters.command_changes[o] == 1 for o in ids)
    assert client.offers.command_journal.pending == {}


async def test_s20_lost_answer_and_unreadable_report_is_unknown_then_resume_succeeds() -> None:
    emulator = make_emulator(active=2, drafts=0, ended=0)
    async with fast_client(emulator, retry=False) as client:
        ids = await _active(client, 2)
        before = {o: _price(emulator, o) for o in ids}
        emulator.faults.add(route=f"PUT {PRICE}", drop=True, when="after")
        emulator.faults.add(route=f"GET {PRICE}", status=503)
        engine = client.offers.commands()
        first = await client.offers.change_price(ids, increase_percent="10", engine=engine)
        (cid,) = first.command_ids
        assert first.failed == {} and not first.ok
        assert first.unknown == {o: cid for o in ids}
        outcome = first.outcomes[0]
        assert outcome.status == "UNKNOWN" and outcome.command_id == cid
        assert "may have been applied" in (outcome.message or "")
        assert engine.journal.command_ids == [cid]
        emulator.faults.clear()
        resumed = await engine.resume()
    assert resumed.ok and resumed.command_ids == [cid] and resumed.kind is CommandKind.PRICE
    assert [o.offer_id for o in resumed.outcomes] == ids
    assert engine.journal.pending == {}
    assert {o: _price(emulator, o) for o in ids} == {o: _plus_10_percent(p)
                                                     for o, p in before.items()}
    assert all(emulator.offers.counters.command_changes[o] == 1 for o in ids)


async def test_s20_rerunning_a_relative_change_on_failed_never_applies_it_twice() -> None:
    # The offers of a command whose answer was lost were in result.failed; re-running
    # increase_percent="10" on result.failed raised their prices by 21 %.
    emulator = make_emulator(active=3, drafts=0, ended=0)
    async with fast_client(emulator, retry=False) as client:
        a, b, c = await _active(client, 3)
        before = {o: _price(emulator, o) for o in (a, b, c)}
        engine = client.offers.commands(chunk_size=2)
        # the first command ([a, b]) is applied, all 4 answers lost, its first report read
        # fails; the second ([c, GHOST]) goes through: c changes, GHOST's task fails
        emulator.faults.add(route=f"PUT {PRICE}", drop=True, when="after", times=4)
        emulator.faults.add(route=f"GET {PRICE}", status=503, times=1)
        first = await client.offers.change_price([a, b, c, GHOST], increase_percent="10",
                                                 engine=engine)
        assert list(first.failed) == [GHOST]
        assert set(first.unknown) == {a, b} and first.succeeded == [c]
        again = await client.offers.change_price(list(first.failed), increase_percent="10",
                                                 engine=engine)
        assert list(again.failed) == [GHOST]
        emulator.clock.advance(3600)
        assert {o: _price(emulator, o) for o in (a, b, c)} == {
            o: _plus_10_percent(p) for o, p in before.items()}
        resumed = await engine.resume()
    assert resumed.succeeded == [a, b]
    assert {o: _price(emulator, o) for o in (a, b, c)} == {
        o: _plus_10_percent(p) for o, p in before.items()}
    assert all(emulator.offers.counters.command_changes[o] == 1 for o in (a, b, c))


async def test_s20_a_caller_cancelled_after_the_put_finds_the_command_and_resumes(
    tmp_path: Path,
) -> None:
    # The command ids lived only in the result that a cancelled call never returned.
    emulator = make_emulator(active=3, drafts=0, ended=0)
    path = tmp_path / "stock.commands"
    async with fast_client(emulator) as client:
        ids = await _active(client, 3)
        send = client.request_raw

        with anyio.CancelScope() as scope:
            async def cancel_after_the_put(method: str, url: str, **kw: Any) -> Any:
                answer = await send(method, url, **kw)
                if method == "PUT":
                    scope.cancel()  # as if Ctrl-C landed as the answer came in
                    await anyio.lowlevel.checkpoint()
                return answer

            client.request_raw = cancel_after_the_put  # type: ignore[method-assign]
            await client.offers.change_quantity(
                ids, to=9, engine=client.offers.commands(journal=CommandJournal(path)))
        client.request_raw = send  # type: ignore[method-assign]
        assert scope.cancelled_caught
        # the default journal of client.offers was not used; the file holds the command
        assert client.offers.command_journal.pending == {}
        journal = CommandJournal(path)  # as a new process would read it
        (pending,) = journal.pending.values()
        assert pending.sent and pending.offer_ids == ids and pending.kind is CommandKind.QUANTITY
        resumed = await client.offers.commands(journal=journal).resume()
        stock = [(await client.offers.get_raw(o))["stock"]["available"] for o in ids]
    assert resumed.ok and resumed.command_ids == [pending.command_id]
    assert stock == [9, 9, 9]
    assert emulator.stats.route("PUT", QUANTITY) == 2  # the first and the same one again
    assert all(emulator.offers.counters.command_changes[o] == 1 for o in ids)
    assert CommandJournal(path).pending == {}


async def test_s20_the_default_journal_of_client_offers_keeps_a_cancelled_command() -> None:
    emulator = make_emulator(active=2, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _active(client, 2)
        send = client.request_raw
        with anyio.CancelScope() as scope:
            async def cancel_after_the_put(method: str, url: str, **kw: Any) -> Any:
                answer = await send(method, url, **kw)
                if method == "PUT":
                    scope.cancel()
                    await anyio.lowlevel.checkpoint()
                return answer

            client.request_raw = cancel_after_the_put  # type: ignore[method-assign]
            await client.offers.end(ids)
        client.request_raw = send  # type: ignore[method-assign]
        assert scope.cancelled_caught
        assert len(client.offers.command_journal.command_ids) == 1
        resumed = await client.offers.commands().resume()
        statuses = [(await client.offers.get_raw(o))["publication"]["status"] for o in ids]
    assert resumed.ok and statuses == ["ENDED", "ENDED"]
    assert client.offers.command_journal.pending == {}


async def test_s20_cancelled_before_a_put_started_is_not_sent_on_a_read_only_resume() -> None:
    emulator = make_emulator(active=2, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        first, second = await _active(client, 2)

        with anyio.CancelScope() as scope:
            async def cancel_instead_of_waiting(seconds: float) -> None:
                scope.cancel()  # the second command waits for the pace: Ctrl-C lands there
                await anyio.sleep(0)

            engine = client.offers.commands(
                chunk_size=1, pace=OfferPace(1, clock=emulator.clock.monotonic,
                                             sleep=cancel_instead_of_waiting))
            await client.offers.change_quantity([first, second], to=4, engine=engine)
        assert scope.cancelled_caught
        assert emulator.stats.route("PUT", QUANTITY) == 1
        result = await engine.resume(resend=False)
    assert [o.status for o in result.outcomes] == ["SUCCESS", "NOT_SENT"]
    assert result.failed == {second: "the command was never sent"}
    assert emulator.stats.route("PUT", QUANTITY) == 1  # reading sends nothing
    assert engine.journal.pending == {}
