"""The hand-written response models require every field the spec's schemas require, at every
depth the models type (a body missing one is a ResponseValidationError, not a half-empty model).
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pydantic
import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.errors import ResponseValidationError
from allegro_async.models.base import AllegroModel
from allegro_async.models.commands import CommandReport, TaskPage
from allegro_async.models.events import OrderEvent, OrderEventsList, OrderEventStats
from allegro_async.models.offers import OfferParts, OffersPage, ProductOffer
from allegro_async.models.orders import (
    CarrierList,
    CheckoutForm,
    CheckoutFormList,
    Shipment,
    ShipmentList,
)
from allegro_async.models.products import Product, ProductSearchResponse
from allegro_async.models.shipping import ShippingRatesList, ShippingRatesSet
from allegro_async.models.user import Me
from tests.orders.conftest import load_spec

#: Each response model and where its schema is: a component name, or (path, method) for the
#: inline schema of that operation's 200 answer.
RESPONSES: list[tuple[type[AllegroModel], str | tuple[str, str]]] = [
    (CheckoutForm, "CheckoutForm"),
    (CheckoutFormList, "CheckoutForms"),
    (CarrierList, "OrdersShippingCarriersResponse"),
    (Shipment, "CheckoutFormAddWaybillCreated"),
    (ShipmentList, "CheckoutFormOrderWaybillResponse"),
    (OrderEvent, "OrderEvent"),
    (OrderEventsList, "OrderEventsList"),
    (OrderEventStats, "OrderEventStats"),
    (Product, "SaleProductDto"),
    (ProductSearchResponse, "GetSaleProductsResponse"),
    (ShippingRatesSet, "ShippingRatesSet"),
    (ShippingRatesList, ("/sale/shipping-rates", "get")),
    (Me, "MeResponse"),
    (OffersPage, "OffersSearchResultDto"),
    (OfferParts, "SalePartialProductOfferResponse"),
    (ProductOffer, "SaleProductOfferResponseV1"),
    (CommandReport, "GeneralReport"),
    (TaskPage, "TaskReport"),
]


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A schema with ``$ref`` followed and ``allOf`` parts merged (properties, required)."""
    if "$ref" in schema:
        return _resolve(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "items" in schema and schema.get("type") == "array":
        return _resolve(schema["items"], components)
    merged: dict[str, Any] = {"properties": dict(schema.get("properties", {})),
                              "required": list(schema.get("required", []))}
    for part in schema.get("allOf", []):
        resolved = _resolve(part, components)
        merged["properties"].update(resolved["properties"])
        merged["required"] += resolved["required"]
    return merged


def _model_of(annotation: Any) -> type[AllegroModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, AllegroModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _problems(model: type[AllegroModel], schema: dict[str, Any], components: dict[str, Any],
              where: str, seen: set[tuple[type[Any], int]]) -> list[str]:
    if (model, id(schema)) in seen:
        return []
    seen.add((model, id(schema)))
    resolved = _resolve(schema, components)
    fields: dict[str, pydantic.fields.FieldInfo] = {
        (info.alias or name): info for name, info in model.model_fields.items()}
    out = [f"{where}.{name}: the spec requires it, {model.__name__} does not"
           for name in resolved["required"]
           if name not in fields or not fields[name].is_required()]
    for name, info in fields.items():
        nested = _model_of(info.annotation)
        prop = resolved["properties"].get(name)
        if nested is not None and prop is not None:
            out += _problems(nested, prop, components, f"{where}.{name}", seen)
    return out


@pytest.mark.parametrize(("model", "where"), RESPONSES,
                         ids=[m.__name__ for m, _ in RESPONSES])
def test_model_requires_what_the_spec_requires(
        model: type[AllegroModel], where: str | tuple[str, str]) -> None:
    spec = load_spec()
    components = spec["components"]["schemas"]
    if isinstance(where, tuple):
        path, method = where
        content = spec["paths"][path][method]["responses"]["200"]["content"]
        schema = next(iter(content.values()))["schema"]
    else:
        schema = components[where]
    assert _problems(model, schema, components, model.__name__, set()) == []


async def test_product_offer_without_id_is_not_an_offer() -> None:
    # The spec lists no required field for SaleProductOfferResponseV1; every offer Allegro
    # returns has an id, and the service refuses {} naming the field, instead of returning
    # an offer with id None.
    assert ProductOffer.model_validate({}).id is None  # the one model is lenient
    with respx.mock() as router:
        router.get(url__regex=r"/sale/product-offers/77$").respond(200, json={})
        async with AllegroClient("token-abcdef", throttle=False, retry=False) as client:
            with pytest.raises(ResponseValidationError, match=r"field 'id'"):
                await client.offers.get("77")
