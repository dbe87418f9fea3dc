"""Responses are parsed leniently: no request-side limits, nulls accepted, no wrapper classes,
and every class named after its place in the spec."""

from __future__ import annotations

import importlib
import re
import typing
from typing import Annotated, Any

import annotated_types
import pytest
from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo

from allegro_async.api import OPERATIONS, resolve_model
from allegro_async.api import models as generated
from allegro_async.api.models import MODULES
from tests.models._spec_docs import merged, minimal
from tools.apigen.spec import Spec


def _enforced(annotation: Any) -> list[Any]:
    """The constraints pydantic would check, at any depth of ``annotation``."""
    found = []
    if typing.get_origin(annotation) is Annotated:
        found += [m for m in annotation.__metadata__ if _is_limit(m)]
    for arg in typing.get_args(annotation):
        found += _enforced(arg)
    return found


def _is_limit(meta: Any) -> bool:
    if isinstance(meta, annotated_types.BaseMetadata):
        return True
    if isinstance(meta, FieldInfo):
        return any(_is_limit(m) for m in meta.metadata)
    return getattr(meta, "pattern", None) is not None


def every_model() -> list[type[BaseModel]]:
    out = []
    for name, module in sorted(MODULES.items()):
        value = getattr(importlib.import_module(f"allegro_async.api.models.{module}"), name)
        if isinstance(value, type) and issubclass(value, BaseModel):
            out.append(value)
    return out


def test_no_model_enforces_a_request_side_limit() -> None:
    enforcing = []
    for model in every_model():
        model.model_rebuild()
        for name, info in model.model_fields.items():
            limits = [m for m in info.metadata if _is_limit(m)] + _enforced(info.annotation)
            if limits:
                enforcing.append(f"{model.__name__}.{name}: {limits}")
    assert not enforcing, "\n".join(enforcing[:20])


def test_the_spec_limits_stay_in_the_json_schema_as_documentation() -> None:
    schema = generated.CheckoutForms.model_json_schema()
    assert schema["properties"]["count"]["minimum"] == 1  # stated, and 0 still parses (above)
    with_limit = [m for m in every_model() if "maxLength" in str(m.model_json_schema())]
    assert len(with_limit) > 20


def test_an_empty_order_page_parses() -> None:
    page = generated.CheckoutForms.model_validate(
        {"checkoutForms": [], "count": 0, "totalCount": 0})
    assert page.checkout_forms == [] and page.count == 0


def test_a_text_longer_than_the_request_limit_parses() -> None:
    event = generated.SellerOfferBaseEvent.model_validate(
        {"id": "x" * 1000, "type": "OFFER_ACTIVATED", "occurredAt": "2024-01-02T03:04:05Z",
         "offer": {"id": "1"}})
    assert len(event.id) == 1000


def test_a_required_nullable_field_accepts_null() -> None:
    bundle = generated.OfferBundleDTO.model_fields["discounts"]
    assert bundle.is_required()
    data = {"discounts": None}
    with pytest.raises(ValueError, match="discounts") as caught:
        generated.OfferBundleDTO.model_validate(data)  # the other required fields are missing
    assert all(e["loc"][0] != "discounts" for e in caught.value.errors())  # type: ignore[attr-defined]


def _components(digest: Spec) -> list[tuple[type[BaseModel], dict[str, Any]]]:
    out = []
    for model in every_model():
        schema = digest.schemas.get(model.__name__)
        if schema is None or issubclass(model, RootModel):
            continue
        whole = merged(digest, schema)
        if whole.get("type", "object") == "object" and whole.get("properties"):
            out.append((model, whole))
    return out


def test_null_is_accepted_wherever_the_spec_allows_it_and_on_every_optional_field(
    digest: Spec,
) -> None:
    refused = []
    checked = 0
    for model, schema in _components(digest):
        try:
            base = minimal(digest, schema)
            model.model_validate(base)
        except (ValueError, RecursionError):
            continue  # a union without a fitting first member: covered by the union tests
        required = set(schema.get("required") or [])
        for prop, value in (schema.get("properties") or {}).items():
            nullable = isinstance(value, dict) and value.get("nullable")
            if prop in required and not nullable:
                continue
            checked += 1
            try:
                model.model_validate({**base, prop: None})
            except ValueError:
                refused.append(f"{model.__name__}.{prop}")
    assert checked > 1000
    assert not refused, "\n".join(refused[:30])


def test_no_single_value_wrapper_classes_remain() -> None:
    bodies = {m for op in OPERATIONS.values() for m in (op.response_model, op.request_model) if m}
    wrappers = [m.__name__ for m in every_model() if issubclass(m, RootModel)
                and f"{MODULES[m.__name__]}.{m.__name__}" not in bodies]
    assert wrappers == []


def test_a_publication_end_is_a_datetime_and_warnings_a_list() -> None:
    offer = generated.SaleProductOfferResponseV1.model_validate({
        "id": "1", "publication": {"endingAt": "2024-01-02T03:04:05Z"},
        "warnings": [{"code": "W", "message": "m"}]})
    assert offer.publication is not None
    assert offer.publication.ending_at is not None and offer.publication.ending_at.year == 2024
    assert offer.warnings is not None and len(offer.warnings) == 1


def test_classes_of_inline_schemas_are_named_after_their_place(digest: Spec) -> None:
    numbered = [n for n in MODULES if n not in digest.schemas and re.search(r"\d$", n)]
    assert numbered == []
    assert MODULES["PostPurchaseIssueExpectationName"] == "post_purchase_issues"
    assert MODULES["SellerOfferBaseEventType"] == "users_offer_information"  # was Type55
    assert resolve_model("order_management.CheckoutFormDeliveryTimeDispatch")
