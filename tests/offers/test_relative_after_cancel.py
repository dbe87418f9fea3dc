"""S20: a relative change (a price up or down by an amount or a percentage, a stock gain) is
refused for offers whose earlier commands are still unsettled in the journal: re-running a
cancelled ``increase_percent="10"`` instead of ``resume()`` gave +21 %."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import InvalidArgumentError
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator

PRICE = "/sale/offer-price-change-commands/{commandId}"


def _price(emulator: Emulator, offer_id: str) -> Decimal:
    offer = emulator.offers.get(offer_id)
    assert offer is not None
    return Decimal(offer["sellingMode"]["price"]["amount"])


def _times(amount: Decimal, factor: str) -> Decimal:
    return (amount * Decimal(factor)).quantize(Decimal("0.01"), ROUND_HALF_UP)


async def _cancelled_plus_10(client: AllegroClient, ids: list[str]) -> None:
    """change_price(+10 %) cancelled as the PUT's answer comes in (Ctrl-C)."""
    send = client.request_raw
    with anyio.CancelScope() as scope:
        async def cancel_after_the_put(method: str, url: str, **kw: Any) -> Any:
            answer = await send(method, url, **kw)
            if method == "PUT":
                scope.cancel()
                await anyio.lowlevel.checkpoint()
            return answer

        client.request_raw = cancel_after_the_put  # type: ignore[method-assign]
        await client.offers.change_price(ids, increase_percent="10")
    client.request_raw = send  # type: ignore[method-assign]
    assert scope.cancelled_caught


async def _setup(client: AllegroClient, count: int) -> list[str]:
    return [o.id async for o in client.offers.list(publication_status="ACTIVE",
                                                  max_items=count)]


@pytest.mark.parametrize("change", [
    {"increase_percent": "10"}, {"decrease_percent": "5"}, {"increase_by": "1.00"},
    {"decrease_by": "1.00"},
])
async def test_a_relative_change_over_unsettled_commands_is_refused_before_sending(
    change: dict[str, str],
) -> None:
    emulator = make_emulator(active=2, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _setup(client, 2)
        before = {o: _price(emulator, o) for o in ids}
        await _cancelled_plus_10(client, ids)
        puts = emulator.stats.route("PUT", PRICE)
        with pytest.raises(InvalidArgumentError, match="resume") as caught:
            await client.offers.change_price(ids, **change)  # type: ignore[arg-type]
        assert caught.value.field == "offer_ids" and "allow_unsettled=True" in str(caught.value)
        assert emulator.stats.route("PUT", PRICE) == puts  # nothing sent
        resumed = await client.offers.commands().resume()
    assert resumed.ok
    assert {o: _price(emulator, o) for o in ids} == {o: _times(p, "1.1") for o, p in
                                                     before.items()}


async def test_after_resume_the_relative_change_runs_once_more() -> None:
    emulator = make_emulator(active=2, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _setup(client, 2)
        before = {o: _price(emulator, o) for o in ids}
        await _cancelled_plus_10(client, ids)
        await client.offers.commands().resume()
        result = await client.offers.change_price(ids, increase_percent="10")
    assert result.ok
    assert {o: _price(emulator, o) for o in ids} == {
        o: _times(_times(p, "1.1"), "1.1") for o, p in before.items()}


async def test_absolute_changes_and_other_offers_stay_allowed() -> None:
    emulator = make_emulator(active=3, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        a, b, other = await _setup(client, 3)
        await _cancelled_plus_10(client, [a, b])
        fixed = await client.offers.change_price([a, b], to="50.00")
        untouched = await client.offers.change_price([other], increase_percent="10")
        stock = await client.offers.change_quantity([a, b], to=3)
    assert fixed.ok and untouched.ok and stock.ok


async def test_allow_unsettled_applies_the_change_again_on_purpose() -> None:
    emulator = make_emulator(active=1, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _setup(client, 1)
        before = _price(emulator, ids[0])
        await _cancelled_plus_10(client, ids)
        again = await client.offers.change_price(
            ids, increase_percent="10", engine=client.offers.commands(allow_unsettled=True))
    assert again.ok
    assert _price(emulator, ids[0]) == _times(_times(before, "1.1"), "1.1")


async def test_resending_the_same_commands_by_id_is_not_a_repeat() -> None:
    emulator = make_emulator(active=1, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _setup(client, 1)
        before = _price(emulator, ids[0])
        await _cancelled_plus_10(client, ids)
        pending = client.offers.command_journal.command_ids
        result = await client.offers.change_price(ids, increase_percent="10",
                                                  command_ids=pending)
    assert result.ok and result.command_ids == pending
    assert _price(emulator, ids[0]) == _times(before, "1.1")


async def test_a_stock_gain_over_unsettled_commands_is_refused() -> None:
    emulator = make_emulator(active=1, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _setup(client, 1)
        send = client.request_raw
        with anyio.CancelScope() as scope:
            async def cancel_after_the_put(method: str, url: str, **kw: Any) -> Any:
                answer = await send(method, url, **kw)
                if method == "PUT":
                    scope.cancel()
                    await anyio.lowlevel.checkpoint()
                return answer

            client.request_raw = cancel_after_the_put  # type: ignore[method-assign]
            await client.offers.change_quantity(ids, gain=2)
        client.request_raw = send  # type: ignore[method-assign]
        with pytest.raises(InvalidArgumentError, match="unsettled"):
            await client.offers.change_quantity(ids, gain=2)
        assert (await client.offers.change_quantity(ids, to=7)).ok
