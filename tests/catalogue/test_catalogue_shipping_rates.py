"""Shipping price lists: list, get, create, update; 250 per account, no DELETE (S3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import APIError, InvalidArgumentError, UnprocessableEntityError
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


def _rates(name: str = "Parcels PL") -> ShippingRatesSet:
    return ShippingRatesSet(
        name=name,
        rates=[ShippingRate(
            delivery_method=DeliveryMethodRef(id="7203ca90-a2f6-4fd0-8ca8-bd4ac3a4ee27"),
            max_quantity_per_package=5,
            first_item_rate=Money(amount="9.99", currency="PLN"),
            next_item_rate=NextItemMoney(amount="1.00", currency="PLN"),
            shipping_time=ShippingTime(from_="PT24H", to="PT72H"),
        )],
    )


async def test_create_then_get_round_trips(client: AllegroClient) -> None:
    created = await client.shipping_rates.create(_rates())
    assert created.id and created.last_modified
    got = await client.shipping_rates.get(created.id)
    assert got.name == "Parcels PL"
    assert got.rates[0].shipping_time is not None
    assert got.rates[0].shipping_time.from_ == "PT24H"
    assert got.features is not None and got.features.managed_by_allegro is False


async def test_list_shows_the_sellers_own_price_lists(
    emulator: Emulator, client: AllegroClient
) -> None:
    created = await client.shipping_rates.create(_rates("Mine"))
    ids = {s.id for s in await client.shipping_rates.list()}
    assert created.id in ids
    assert len(ids) == emulator.config.catalogue.shipping_rates_per_seller + 1
    async with emulator.client(1) as other:
        assert created.id not in {s.id for s in await other.shipping_rates.list()}


async def test_update_replaces_name_and_rates(client: AllegroClient) -> None:
    created = await client.shipping_rates.create(_rates())
    assert created.id is not None
    changed = _rates("Parcels PL 2")
    changed.rates[0].first_item_rate = Money(amount="14.50", currency="PLN")
    updated = await client.shipping_rates.update(created.id, changed)
    assert updated.name == "Parcels PL 2"
    assert (await client.shipping_rates.get(created.id)).rates[0].first_item_rate.amount == "14.50"


async def test_s3_create_refuses_locally_at_250(emulator: Emulator, client: AllegroClient) -> None:
    held = len(emulator.catalogue.shipping_rates_of(0))
    emulator.catalogue.add_shipping_rates(0, 249 - held)
    await client.shipping_rates.create(_rates("The 250th"))  # 249 -> 250 is allowed
    with pytest.raises(ShippingRatesLimitError) as info:
        await client.shipping_rates.create(_rates("One too many"))
    assert info.value.count == 250 and info.value.limit == 250
    assert "update" in str(info.value)
    assert emulator.stats.route("POST", "/sale/shipping-rates") == 1  # the refused one not sent


async def test_s3_emulator_itself_refuses_the_251st(
    emulator: Emulator, client: AllegroClient
) -> None:
    emulator.catalogue.add_shipping_rates(0, 250 - len(emulator.catalogue.shipping_rates_of(0)))
    with pytest.raises(UnprocessableEntityError) as info:
        await client.request("POST", "/sale/shipping-rates", json=_rates().to_api())
    assert info.value.mentions("250")


async def test_s3_there_is_no_delete(emulator: Emulator, client: AllegroClient) -> None:
    assert not hasattr(client.shipping_rates, "delete")
    rates_id = emulator.catalogue.shipping_rates_of(0)[0]["id"]
    with pytest.raises(APIError) as info:
        await client.request("DELETE", f"/sale/shipping-rates/{rates_id}")
    assert info.value.status_code == 405
    assert len(emulator.catalogue.shipping_rates_of(0)) == (
        emulator.config.catalogue.shipping_rates_per_seller
    )


async def test_bad_price_lists_are_refused_before_sending(
    emulator: Emulator, client: AllegroClient
) -> None:
    before = emulator.stats.requests
    with pytest.raises(InvalidArgumentError):
        await client.shipping_rates.create(_rates(""))
    bad = _rates()
    bad.rates[0].max_quantity_per_package = 0
    with pytest.raises(InvalidArgumentError):
        await client.shipping_rates.create(bad)
    with pytest.raises(InvalidArgumentError):
        await client.shipping_rates.update("abc", _rates().model_copy(update={"id": "other"}))
    assert emulator.stats.requests == before


async def test_emulator_validates_names(client: AllegroClient) -> None:
    with pytest.raises(UnprocessableEntityError):
        await client.request("POST", "/sale/shipping-rates",
                             json=_rates("bad/name!").to_api())


@pytest.mark.parametrize("name", ["bad/name!", "Kurier (24h)", "Paczka_PL"])
async def test_names_allegro_refuses_are_refused_before_sending(
    emulator: Emulator, client: AllegroClient, name: str
) -> None:
    # Only the length was checked: a name with other characters than letters, digits, hyphens,
    # dots, commas and spaces reached Allegro and earned a 422.
    before = emulator.stats.requests
    with pytest.raises(InvalidArgumentError):
        await client.shipping_rates.create(_rates(name))
    with pytest.raises(InvalidArgumentError):
        await client.shipping_rates.update("abc", _rates(name))
    assert emulator.stats.requests == before
    await client.shipping_rates.create(_rates("Kurier 24h, gabaryt A-B. Łódź"))


@pytest.mark.parametrize(("rate", "field"), [
    ({"firstItemRate": {"amount": "9.99"}}, "rates.rates[0].first_item_rate.currency"),
    ({"nextItemRate": {"currency": "PLN"}}, "rates.rates[0].next_item_rate.amount"),
    ({"deliveryMethod": {}}, "rates.rates[0].delivery_method.id"),
])
async def test_a_rate_missing_what_allegro_needs_is_refused_before_sending(
    rate: dict[str, Any], field: str,
) -> None:
    sent: list[httpx.Request] = []
    full = {"deliveryMethod": {"id": "7203ca90-a2f6-4fd0-8ca8-bd4ac3a4ee27"},
            "maxQuantityPerPackage": 1, "firstItemRate": {"amount": "9.99", "currency": "PLN"},
            "nextItemRate": {"amount": "0.00", "currency": "PLN"}}
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    async with AllegroClient(access_token="token-abcdef", throttle=False, retry=False,
                             transport=transport) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            await client.shipping_rates.create({"name": "Parcels", "rates": [{**full, **rate}]})
    assert caught.value.field == field and sent == []
