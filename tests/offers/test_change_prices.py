"""Per-offer prices as few commands as there are distinct prices; non-finite amounts refused."""

from __future__ import annotations

import pytest

from allegro_async.errors import InvalidArgumentError
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator

PRICE_PUT = "/sale/offer-price-change-commands/{commandId}"


async def test_change_prices_groups_equal_prices_into_commands() -> None:
    emulator: Emulator = make_emulator(active=2500, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = [o.id async for o in client.offers.list()]
        # 2500 offers at 3 distinct prices: 1200 + 900 + 400 -> 2 + 1 + 1 commands
        prices = {o: ("19.99" if i < 1200 else "5" if i < 2100 else "7.50")
                  for i, o in enumerate(ids)}
        prices[ids[0]] = "19.990"  # the same amount written differently: same group
        result = await client.offers.change_prices(prices)
        sample = await client.offers.get(ids[2200])
    assert emulator.stats.route("PUT", PRICE_PUT) == 4
    assert len(result.command_ids) == 4 and result.ok
    assert [o.offer_id for o in result.outcomes] == ids
    assert sample.selling_mode is not None
    assert str(sample.model_dump(by_alias=True)["sellingMode"]["price"]["amount"]) == "7.50"


@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity", "0", "abc", "-1"])
async def test_non_finite_or_non_positive_prices_are_refused_before_sending(
    offers_emulator: Emulator, bad: str
) -> None:
    async with fast_client(offers_emulator) as client:
        with pytest.raises(InvalidArgumentError):
            await client.offers.change_price(["7700000001"], to=bad)
        with pytest.raises(InvalidArgumentError):
            await client.offers.change_prices({"7700000001": "10", "7700000002": bad})
    assert offers_emulator.stats.requests == 0


@pytest.mark.parametrize("bad", ["0.001", "19.995", "7.505", "1e30"])
async def test_amounts_finer_than_a_grosz_are_refused_not_rounded(
    offers_emulator: Emulator, bad: str
) -> None:
    # They were rounded to 2 places and sent: "0.001" became a price of 0.00, "19.995" 20.00.
    # ("1e30" is refused as exponent notation now: the text checked is the text sent.)
    why = r"decimal places|too large|not a plain decimal"
    async with fast_client(offers_emulator) as client:
        with pytest.raises(InvalidArgumentError, match=why):
            await client.offers.change_prices({"7700000001": "10", "7700000002": bad})
        with pytest.raises(InvalidArgumentError, match=why):
            await client.offers.change_price(["7700000001"], to=bad)
        with pytest.raises(InvalidArgumentError, match=why):
            await client.offers.change_price(["7700000001"], increase_by=bad)
    assert offers_emulator.stats.requests == 0
