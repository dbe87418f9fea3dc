"""The answer builder and the schema check the other tests here rely on: the check refuses
what the spec refuses, and the builder is deterministic per seed and follows discriminators."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import require_spec
from tests.spec_answers._build import UNKNOWN_TAG, AnswerBuilder
from tests.spec_answers._schema import SpecSchemas
from tests.spec_answers.conftest import raw_spec

EVENTS = {"$ref": "#/components/schemas/CategoryEventsResponse"}
DIMENSION = {"$ref": "#/components/schemas/DimensionValue"}
PHONE = {"$ref": "#/components/schemas/PhoneNumberWithCountryCode"}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    require_spec()
    spec = raw_spec()
    assert spec is not None
    return spec


@pytest.fixture(scope="module")
def schemas(raw: dict[str, Any]) -> SpecSchemas:
    return SpecSchemas(raw)


def test_the_check_refuses_a_missing_required_field(schemas: SpecSchemas) -> None:
    assert schemas.errors({"value": 12}, DIMENSION)


def test_the_check_refuses_a_wrong_type(schemas: SpecSchemas) -> None:
    assert schemas.errors({"value": "twelve", "unit": "CENTIMETER"}, DIMENSION)


def test_the_check_takes_null_only_where_the_spec_says_nullable(schemas: SpecSchemas) -> None:
    assert not schemas.errors({"value": 12, "unit": None}, DIMENSION)
    assert schemas.errors({"value": None, "unit": "CENTIMETER"}, DIMENSION)


def test_the_check_holds_a_mapped_tag_to_its_subtype(schemas: SpecSchemas) -> None:
    event = {"id": "1", "occurredAt": "2026-01-01T00:00:00Z", "type": "CATEGORY_RENAMED"}
    assert schemas.errors({"events": [event]}, EVENTS)  # a renamed event carries its category
    assert not schemas.errors({"events": [{**event, "type": UNKNOWN_TAG}]}, EVENTS)


def test_same_seed_same_answer_other_seed_other_answer(raw: dict[str, Any]) -> None:
    first = AnswerBuilder(raw, 7).build(EVENTS)
    assert AnswerBuilder(raw, 7).build(EVENTS) == first
    assert any(AnswerBuilder(raw, seed).build(EVENTS) != first for seed in range(8, 12))


def test_a_forced_tag_builds_the_mapped_subtype(raw: dict[str, Any],
                                               schemas: SpecSchemas) -> None:
    builder = AnswerBuilder(raw, 1, force={"CategoryBaseEvent": "CATEGORY_RENAMED"})
    answer = builder.build(EVENTS)
    event = answer["events"][0]
    assert event["type"] == "CATEGORY_RENAMED" and "category" in event
    [record] = builder.record.tags
    assert (record.target, record.path, record.own) == ("CategoryRenamedEvent", ("events", 0),
                                                        ("category",))
    assert not schemas.errors(answer, EVENTS)


def test_modes_shape_the_answer(raw: dict[str, Any]) -> None:
    full = AnswerBuilder(raw, 3, "full").build(DIMENSION)
    assert set(full) == {"value", "unit"}
    nulls = AnswerBuilder(raw, 3, "nulls")
    assert nulls.build(DIMENSION)["unit"] is None and nulls.record.nulls == [("unit",)]
    assert AnswerBuilder(raw, 3, "empty").build(EVENTS) == {"events": []}


def test_unknown_enum_values_are_recorded_where_they_are_put(raw: dict[str, Any]) -> None:
    builder = AnswerBuilder(raw, 3, unknown_enums=True)
    answer = builder.build(DIMENSION)
    assert builder.record.enums == [(("unit",), answer["unit"])]
    assert answer["unit"] != "CENTIMETER"


def test_patterns_are_met_and_beyond_limits_breaks_them(raw: dict[str, Any],
                                                        schemas: SpecSchemas) -> None:
    for seed in range(5):
        assert not schemas.errors(AnswerBuilder(raw, seed).build(PHONE), PHONE)
    builder = AnswerBuilder(raw, 5, beyond_limits=True)
    answer = builder.build(PHONE)
    # "(\\d{1,15})" is unanchored: a prefix cannot break it, a 16th character does
    assert sorted(builder.record.beyond) == [(("countryCode",), "pattern"),
                                             (("number",), "maxLength")]
    assert {e.split(":")[0] for e in schemas.errors(answer, PHONE)} == {"countryCode", "number"}
