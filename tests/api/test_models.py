"""What the generated models promise: snake_case names with camelCase aliases, unknown fields
and enum values kept, required fields as the spec says."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from allegro_async import AllegroClient
from allegro_async.api import models, resolve_model
from allegro_async.api.models import MODULES, order_management


@pytest.fixture
async def form_json(client: AllegroClient) -> dict[str, Any]:
    """A checkout form as the emulator (checked against the spec) sends it."""
    page = await client.request("GET", "/order/checkout-forms", params={"limit": 1})
    data: dict[str, Any] = page["checkoutForms"][0]
    return data


def test_fields_are_snake_case_with_the_wire_names_as_aliases(form_json: dict[str, Any]) -> None:
    form = order_management.CheckoutForm.model_validate(form_json)
    assert form.line_items and form.line_items[0].bought_at is not None
    dumped = form.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert "lineItems" in dumped and "line_items" not in dumped
    assert dumped["lineItems"][0]["boughtAt"]


def test_either_name_populates_a_field() -> None:
    by_alias = order_management.CheckoutFormFulfillment.model_validate({"status": "SENT"})
    by_name = order_management.CheckoutFormFulfillment(status="SENT")
    assert by_alias == by_name
    assert by_alias.to_api() == {"status": "SENT"}


def test_fields_allegro_adds_later_are_kept(form_json: dict[str, Any]) -> None:
    data = form_json | {"brandNewField": {"x": 1}}
    form = order_management.CheckoutForm.model_validate(data)
    assert form.model_dump(by_alias=True)["brandNewField"] == {"x": 1}


def test_enum_values_allegro_adds_later_are_accepted(form_json: dict[str, Any]) -> None:
    form = order_management.CheckoutForm.model_validate(form_json | {"status": "ON_HOLD"})
    assert form.status == "ON_HOLD" and str(form.status) == "ON_HOLD"
    assert isinstance(form.status, order_management.CheckoutFormStatus)
    assert form.model_dump(mode="json", by_alias=True)["status"] == "ON_HOLD"
    assert models.RatesDelivery(7) == 7  # integer enums too


def test_required_fields_are_required(form_json: dict[str, Any]) -> None:
    data = dict(form_json)
    del data["buyer"]
    with pytest.raises(ValidationError, match="buyer"):
        order_management.CheckoutForm.model_validate(data)


def test_every_model_is_importable_from_the_models_package() -> None:
    for name, module in list(MODULES.items())[::25]:
        value = getattr(models, name)
        home = importlib.import_module(f"allegro_async.api.models.{module}")
        assert getattr(home, name) is value  # a class, or a union's type alias
        if isinstance(value, type):  # defined there, or in one of its parts
            assert value.__module__ == home.__name__ or value.__module__.startswith(
                f"allegro_async.api.models._parts.{module}_")
        if isinstance(value, type) and issubclass(value, BaseModel):
            assert resolve_model(f"{module}.{name}") is value
    with pytest.raises(AttributeError):
        models.NoSuchModel  # noqa: B018


def test_type_checkers_see_every_model_the_package_resolves() -> None:
    # the re-exports live in the stub, so importing the package does not execute them
    stub = Path(models.__file__).with_suffix(".pyi")
    exported = {(node.module.rsplit(".", 1)[-1], alias.asname)
                for node in ast.parse(stub.read_text(encoding="utf-8")).body
                if isinstance(node, ast.ImportFrom) and node.module
                for alias in node.names}
    assert exported == {(module, name) for name, module in MODULES.items()}
