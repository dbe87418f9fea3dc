"""The catalogue services return the generated models (every field of the spec), as thin
subclasses that keep the library's helpers and stricter rules."""

from __future__ import annotations

from typing import Any

from allegro_async import AllegroClient
from allegro_async.api.models import (
    BaseSaleProductResponseDto,
    CreateShippingRatesSetUsingPOSTResponse,
    GetShippingRatesSetUsingGETResponse,
    MeResponse,
    SaleProductDto,
)
from allegro_async.api.models import ShippingRate as GeneratedRatesSummary
from allegro_async.models.products import Product
from allegro_async.models.shipping import ShippingRatesSet
from allegro_async.models.user import Me
from allegro_async.testing import Emulator


async def test_me_is_the_generated_me_response(emulator: Emulator) -> None:
    async with emulator.client(0) as client:
        me = await client.user.me()
    assert Me is MeResponse and type(me) is MeResponse
    assert me.features is None  # as the answer has it (the emulator leaves it out)


async def test_product_types_every_spec_field(emulator: Emulator, client: AllegroClient) -> None:
    raw = emulator.catalogue.products[0]
    raw["offerRequirements"] = {"id": "1234567890", "parameters": []}
    raw["trustedContent"] = {"paths": ["name"], "productPaths": ["images"]}
    product = await client.products.get(raw["id"])
    assert isinstance(product, SaleProductDto)
    # fields the hand-written model lacked are typed attributes now, not extras
    assert product.offer_requirements is not None
    assert product.offer_requirements.id == "1234567890"
    assert product.trusted_content is not None
    assert product.trusted_content.product_paths == ["images"]
    assert product.model_extra == {}
    assert product.identifying_parameters() == Product.model_validate(raw).identifying_parameters()


async def test_search_results_are_products_of_the_generated_shape(client: AllegroClient) -> None:
    page = await client.products.search_page("laptop")
    assert page.products
    # the spec's schema of a search result, with the S21 helpers of a product read by id
    assert all(type(p) is BaseSaleProductResponseDto for p in page.products)
    assert all(isinstance(p.identifying_parameters(), dict) for p in page.products)


async def test_shipping_rates_are_the_generated_models(client: AllegroClient) -> None:
    created = await client.shipping_rates.create({
        "name": "Parcels PL",
        "rates": [{
            "deliveryMethod": {"id": "7203ca90-a2f6-4fd0-8ca8-bd4ac3a4ee27"},
            "maxQuantityPerPackage": 2,
            "firstItemRate": {"amount": "9.99", "currency": "PLN"},
            "nextItemRate": {"amount": "0.00", "currency": "PLN"},
        }],
    })
    # the operation's own answer schema, a subclass of the spec's ShippingRatesSet
    assert type(created) is CreateShippingRatesSetUsingPOSTResponse
    assert isinstance(created, ShippingRatesSet)
    got = await client.shipping_rates.get(created.id or "")
    assert type(got) is GetShippingRatesSetUsingGETResponse and isinstance(got, ShippingRatesSet)
    summaries = await client.shipping_rates.list()
    assert created.id in [s.id for s in summaries]
    assert isinstance(summaries[0], GeneratedRatesSummary)


async def test_the_services_call_the_generated_operations(
    emulator: Emulator, client: AllegroClient,
) -> None:
    asked: list[str] = []
    for area, names in ((client.api.information_about_user.with_raw_response, ["me"]),
                        (client.api.products, ["get_sale_product"]),
                        (client.api.products.with_raw_response, ["get_sale_products"]),
                        (client.api.delivery.with_raw_response, ["get_list_of_shipping_rates"]),
                        (client.api.delivery, ["get_shipping_rates_set"])):
        for name in names:
            original = getattr(area, name)

            async def counting(*args: Any, __name: str = name, __call: Any = original,
                               **kwargs: Any) -> Any:
                asked.append(__name)
                return await __call(*args, **kwargs)

            setattr(area, name, counting)
    await client.user.me()
    await client.products.get(emulator.catalogue.products[0]["id"])
    await client.products.search_page("laptop")
    summaries = await client.shipping_rates.list()
    assert summaries  # the emulator's seller starts with price lists
    await client.shipping_rates.get(summaries[0].id)
    assert asked == ["me", "get_sale_product", "get_sale_products",
                     "get_list_of_shipping_rates", "get_shipping_rates_set"]
