"""S3: two concurrent creates at 249 price lists: one POST, one local refusal (no race)."""

from __future__ import annotations

import anyio
import anyio.lowlevel

from allegro_async import AllegroClient
from allegro_async.models.shipping import (
    DeliveryMethodRef,
    Money,
    NextItemMoney,
    ShippingRate,
    ShippingRatesSet,
    ShippingTime,
)
from allegro_async.services.shipping_rates import ShippingRatesLimitError
from allegro_async.testing import Emulator


def _rates(name: str) -> ShippingRatesSet:
    return ShippingRatesSet(name=name, rates=[ShippingRate(
        delivery_method=DeliveryMethodRef(id="7203ca90-a2f6-4fd0-8ca8-bd4ac3a4ee27"),
        max_quantity_per_package=5,
        first_item_rate=Money(amount="9.99", currency="PLN"),
        next_item_rate=NextItemMoney(amount="1.00", currency="PLN"),
        shipping_time=ShippingTime(from_="PT24H", to="PT72H"),
    )])


async def test_s3_concurrent_creates_at_249_send_one_post(
    emulator: Emulator, client: AllegroClient
) -> None:
    emulator.catalogue.add_shipping_rates(0, 249 - len(emulator.catalogue.shipping_rates_of(0)))
    outcomes: list[str] = []
    service = client.shipping_rates
    real_count = service.count
    counting = {"started": 0, "finished": 0}

    async def count() -> int:
        # Hold the first count's answer until a concurrent count (if one can start) has
        # read the same number: without the lock, both creates then see 249.
        counting["started"] += 1
        held = await real_count()
        counting["finished"] += 1
        for _ in range(200):
            if counting["started"] == counting["finished"] and counting["started"] > 1:
                break
            await anyio.lowlevel.checkpoint()
        return held

    service.count = count  # type: ignore[method-assign]

    async def create(name: str) -> None:
        try:
            await client.shipping_rates.create(_rates(name))
            outcomes.append("created")
        except ShippingRatesLimitError:
            outcomes.append("refused")

    async with anyio.create_task_group() as tg:
        tg.start_soon(create, "First racer")
        tg.start_soon(create, "Second racer")
    assert sorted(outcomes) == ["created", "refused"]
    assert emulator.stats.route("POST", "/sale/shipping-rates") == 1
    assert len(emulator.catalogue.shipping_rates_of(0)) == 250
