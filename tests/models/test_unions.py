"""Each mapped tag lands in its mapped class; an unknown tag or enum value parses (and is
logged once); a union the spec gives no tag picks its class by shape, not by order."""

from __future__ import annotations

import enum
import logging
import typing
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from allegro_async.api import models as generated
from allegro_async.api._base import OpenEnum, OpenIntEnum, UnknownVariant
from allegro_async.api.models import MODULES
from tests.models._spec_docs import discriminated, merged, minimal
from tests.models.test_lenient import every_model
from tools.apigen.spec import Spec


def _field(model: type[BaseModel], wire: str) -> str:
    return next(n for n, f in model.model_fields.items() if (f.alias or n) == wire)


def test_every_mapped_tag_lands_in_its_mapped_class(digest: Spec) -> None:
    unions = discriminated(digest)
    assert len(unions) >= 19
    wrong = []
    tags = 0
    for union in unions:
        holder = getattr(generated, union.container)
        field_schema = merged(digest, {"$ref": f"#/components/schemas/{union.container}"})[
            "properties"][union.field]
        many = isinstance(field_schema, dict) and field_schema.get("type") == "array"
        for tag, target in union.mapping.items():
            tags += 1
            doc = minimal(digest, {"$ref": f"#/components/schemas/{target}"}) | {union.prop: tag}
            body = minimal(digest, {"$ref": f"#/components/schemas/{union.container}"})
            body[union.field] = [doc] if many else doc
            value = getattr(holder.model_validate(body), _field(holder, union.field))
            got = value[0] if many else value
            if type(got).__name__ != target:
                wrong.append(f"{union.where} {tag}: {type(got).__name__}, not {target}")
    assert tags >= 80
    assert not wrong, "\n".join(wrong)


def _doc(digest: Spec, name: str) -> Any:
    return minimal(digest, {"$ref": f"#/components/schemas/{name}"})


def test_a_ship_notice_takes_each_of_its_four_shipping_methods(digest: Spec) -> None:
    notice = generated.AdvanceShipNoticeListItemResponse
    for method, cls in [("OWN_TRANSPORT", "OwnTransportShipping"),
                        ("COURIER_BY_SELLER", "CourierBySellerShipping"),
                        ("THIRD_PARTY_DELIVERY", "ThirdPartyDeliveryShipping"),
                        ("ALREADY_IN_WAREHOUSE", "AlreadyInWarehouseShipping")]:
        data = _doc(digest, notice.__name__) | {"shipping": _doc(digest, cls) | {"method": method}}
        parsed = notice.model_validate(data)
        assert type(parsed.shipping).__name__ == cls


def test_several_tags_may_map_to_one_class() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(generated.SellerOfferBaseEventUnion)
    event = adapter.validate_python({
        "id": "1", "type": "OFFER_DELIVERY_COUNTRIES_BLOCKED",
        "occurredAt": "2024-01-02T03:04:05Z", "offer": {"id": "9"}})
    assert isinstance(event, generated.OfferDeliveryCountriesChangedEvent)


def test_an_unknown_tag_parses_into_the_base_class_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(list[generated.SellerOfferBaseEventUnion])
    event = {"id": "1", "type": "OFFER_TELEPORTED_7f3", "occurredAt": "2024-01-02T03:04:05Z",
             "offer": {"id": "9"}}
    with caplog.at_level(logging.WARNING, logger="allegro_async"):
        events = adapter.validate_python([event, event | {"id": "2"}])
        adapter.validate_python([event])
    assert [type(e) for e in events] == [generated.SellerOfferBaseEvent] * 2
    assert events[0].type == "OFFER_TELEPORTED_7f3"
    assert events[1].model_dump(by_alias=True)["offer"] == {"id": "9"}  # kept
    logged = [r for r in caplog.records if "OFFER_TELEPORTED_7f3" in r.getMessage()]
    assert len(logged) == 1 and logged[0].name == "allegro_async"
    assert "SellerOfferBaseEvent" in logged[0].getMessage()


def test_the_base_class_itself_gives_the_mapped_class() -> None:
    data = {"id": "1", "type": "OFFER_STOCK_CHANGED", "occurredAt": "2024-01-02T03:04:05Z",
            "offer": {"id": "9"}}
    event = generated.SellerOfferBaseEvent.model_validate(data)
    assert type(event) is generated.OfferStockChangedEvent
    suggestion = generated.CompatibilityList.model_validate(
        {"type": "PRODUCT_BASED", "items": [], "id": "1"})
    assert type(suggestion).__name__ == "CompatibilityListProductBased"


def test_an_unknown_tag_of_a_union_without_a_base_keeps_every_field() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(generated.CompatibilityListItem)
    item = adapter.validate_python({"type": "VIN_9c1", "vin": "WVW", "x": {"y": 1}})
    assert isinstance(item, UnknownVariant)
    assert item.model_dump() == {"type": "VIN_9c1", "vin": "WVW", "x": {"y": 1}}


def test_a_built_member_keeps_its_class_and_dumps_as_sent() -> None:
    event = generated.OfferArchivedEvent.model_validate({
        "id": "1", "type": "OFFER_ARCHIVED", "occurredAt": "2024-01-02T03:04:05Z",
        "offer": {"id": "9"}})
    page = generated.SellerOfferEventsResponse(offer_events=[event])
    assert type(page.offer_events[0]) is generated.OfferArchivedEvent
    again = generated.SellerOfferEventsResponse.model_validate(
        page.model_dump(mode="json", by_alias=True))
    assert type(again.offer_events[0]) is generated.OfferArchivedEvent


def test_a_union_without_a_tag_picks_by_required_properties_not_by_order(
    digest: Spec,
) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(generated.AutomaticPricingRuleConfiguration)
    for name in ("AutomaticPricingRuleConfigurationChangeByPercentage",
                 "AutomaticPricingRuleConfigurationChangeByAmount"):
        assert type(adapter.validate_python(_doc(digest, name))).__name__ == name
    badge: TypeAdapter[Any] = TypeAdapter(generated.BadgePatchRequestUnion)
    assert isinstance(badge.validate_python({"prices": {}}), generated.BadgePatchPrices)


def test_an_object_the_spec_allows_beside_a_class_is_kept_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = generated.OfferStatusItemDto.model_fields[_field(
        generated.OfferStatusItemDto, "recommendedPriceReduction")]
    assert item.annotation is not None
    adapter: TypeAdapter[Any] = TypeAdapter(item.annotation)
    with caplog.at_level(logging.WARNING, logger="allegro_async"):
        value = adapter.validate_python({})
    assert isinstance(value, UnknownVariant) and not caplog.records


def _enum_types(annotation: Any) -> list[Any]:
    found = []
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found.append(annotation)
    for arg in typing.get_args(annotation):
        found += _enum_types(arg)
    if typing.get_origin(annotation) is typing.Literal:
        found.append(annotation)
    return found


def test_every_enum_ish_field_is_open() -> None:
    closed = []
    for model in every_model():
        model.model_rebuild()
        for name, info in model.model_fields.items():
            for kind in _enum_types(info.annotation):
                if not (isinstance(kind, type) and issubclass(kind, (OpenEnum, OpenIntEnum))):
                    closed.append(f"{model.__name__}.{name}: {kind}")
    assert not closed, "\n".join(closed[:20])
    item = generated.CompatibilityListIdItem.model_validate({"type": "NEW_KIND", "id": "1"})
    assert item.type == "NEW_KIND"
    assert "CompatibilityListIdItem" in MODULES


def test_invented_tags_cannot_grow_the_log_without_bound(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from allegro_async.api import _base

    monkeypatch.setattr(_base, "_warned", set())
    monkeypatch.setattr(_base, "_WARN_LIMIT", 3)
    adapter: TypeAdapter[Any] = TypeAdapter(generated.CompatibilityListItem)
    with caplog.at_level(logging.WARNING, logger="allegro_async"):
        for i in range(10):
            adapter.validate_python({"type": f"KIND_{i}_" + "x" * 200})
    assert len(caplog.records) == 3
    assert all(len(r.getMessage()) < 200 for r in caplog.records)
