"""The order models against the spec: every example parses, fields match, unknowns are kept."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from allegro_async.models.events import OrderEvent, OrderEventsList, OrderEventStats, OrderEventType
from allegro_async.models.orders import (
    CarrierList,
    CheckoutForm,
    CheckoutFormList,
    FulfillmentStatus,
    Shipment,
    ShipmentList,
)

from .conftest import load_spec

MODELS: dict[str, type[BaseModel]] = {
    "CheckoutForm": CheckoutForm,
    "CheckoutForms": CheckoutFormList,
    "OrderEvent": OrderEvent,
    "OrderEventsList": OrderEventsList,
    "OrderEventStats": OrderEventStats,
    "OrdersShippingCarriersResponse": CarrierList,
    "CheckoutFormAddWaybillCreated": Shipment,
    "CheckoutFormOrderWaybillResponse": ShipmentList,
}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _example(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """An instance built from the spec's examples (property examples where the schema has
    none), so every example value in the tree gets parsed."""
    schema = _resolve(spec, schema)
    if "example" in schema:
        return schema["example"]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _example(spec, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if kind == "array" or "items" in schema:
        return [] if depth > 12 else [_example(spec, schema.get("items", {}), depth + 1)]
    if kind == "object" or "properties" in schema:
        return {name: _example(spec, sub, depth + 1)
                for name, sub in (schema.get("properties") or {}).items()}
    if "enum" in schema:
        return schema["enum"][0]
    return {"integer": 1, "number": 1, "boolean": True}.get(str(kind), "x")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_spec_example_parses(name: str) -> None:
    spec = load_spec()
    instance = _example(spec, {"$ref": f"#/components/schemas/{name}"})
    MODELS[name].model_validate(instance)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_fields_cover_the_spec_properties(name: str) -> None:
    spec = load_spec()
    schema = _resolve(spec, {"$ref": f"#/components/schemas/{name}"})
    aliases = {f.alias or n for n, f in MODELS[name].model_fields.items()}
    assert set(schema.get("properties", {})) <= aliases
    required = {n for n in schema.get("required", [])}
    model_required = {f.alias or n for n, f in MODELS[name].model_fields.items()
                      if f.is_required()}
    assert model_required <= required


def test_unknown_fields_and_enum_values_are_kept() -> None:
    spec = load_spec()
    data = _example(spec, {"$ref": "#/components/schemas/CheckoutForm"})
    data["brandNewField"] = {"x": 1}
    data["fulfillment"]["status"] = "TELEPORTED"
    form = CheckoutForm.model_validate(data)
    assert form.model_extra == {"brandNewField": {"x": 1}}
    assert form.fulfillment is not None
    assert form.fulfillment.status == "TELEPORTED"
    assert form.fulfillment.status != FulfillmentStatus.SENT
    assert OrderEventType("SOMETHING_NEW").value == "SOMETHING_NEW"


def test_event_dedup_key_is_the_same_for_a_duplicate() -> None:
    spec = load_spec()
    data = _example(spec, {"$ref": "#/components/schemas/OrderEvent"})
    data["occurredAt"] = "2026-01-01T10:00:00.000Z"
    a = OrderEvent.model_validate(data)
    same_instant = "2026-01-01T11:00:00+01:00"
    b = OrderEvent.model_validate({**data, "id": "other", "occurredAt": same_instant})
    assert a.dedup_key == b.dedup_key
    c = OrderEvent.model_validate({**data, "type": "BOUGHT"})
    assert (a.type == c.type) == (a.dedup_key == c.dedup_key)
