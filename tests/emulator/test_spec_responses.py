"""The emulator's spec-driven answers come from the spec's own response schemas (the generated
table), not from the generated models: they meet the raw spec, they import no model, and the
table says which spec it was read from."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import sys
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from pydantic import ValidationError

from allegro_async.api._operation import Operation
from allegro_async.testing.emulator import spec_index, spec_responses, spec_schemas
from tests.conftest import SPEC, require_spec


@functools.lru_cache(maxsize=1)
def _raw_spec() -> dict[str, Any]:
    found: dict[str, Any] = yaml.load(require_spec().read_bytes(), Loader=yaml.CSafeLoader)
    return found


def _raw_schema(operation: Operation) -> Any | None:
    """The schema the published spec gives ``operation``'s answer (status and media type)."""
    item = _raw_spec()["paths"][operation.path][operation.method.lower()]
    responses = item["responses"]
    response = responses.get(operation.success_status) or responses.get(
        str(operation.success_status)) or {}
    media = (response.get("content") or {}).get(operation.response_media_type or "")
    return None if media is None else media.get("schema")


def _spec_errors(body: Any, schema: Any) -> list[str]:
    """What jsonschema (OpenAPI 3.0 rules, formats checked) finds wrong in ``body``."""
    root = {"allOf": [schema], "components": _raw_spec()["components"]}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(body)]


def _json_operations() -> list[Operation]:
    return [o for o in sorted(spec_index.operations().values(), key=lambda o: o.operation_id)
            if o.response_media_type and spec_responses.is_json(o.response_media_type)]


@pytest.mark.parametrize("seed", [0, 7])
def test_every_built_answer_meets_the_published_spec(seed: int) -> None:
    problems, checked = [], 0
    for operation in _json_operations():
        schema = _raw_schema(operation)
        if schema is None:
            continue
        checked += 1
        body = spec_responses.success_body(operation, seed)
        errors = _spec_errors(body, schema)
        if errors:
            problems.append(f"{operation.operation_id}: {errors[0]}")
    assert checked > 200, checked
    assert not problems, "\n".join(problems)


def test_a_spec_example_is_served_exactly_when_it_meets_the_published_schema() -> None:
    served = refused = 0
    for operation in _json_operations():
        schema = _raw_schema(operation)
        if operation.example is None or schema is None:
            continue
        data = json.loads(operation.example)
        if isinstance(data, str):
            continue
        meets = not _spec_errors(data, schema)
        assert (spec_responses.example(operation) is not None) == meets, operation.operation_id
        served += meets
        refused += not meets
    assert served > 20, served


#: A oneOf of two identical schemas (price and stock task reports): no item matches only one.
SPEC_AMBIGUOUS = frozenset({"batchOfferModificationCommandTaskStatusesUsingGET"})


def _variants() -> range:
    """Enough variants to take every entry of the longest discriminator mapping once."""
    def lengths(node: Any) -> list[int]:
        if isinstance(node, dict):
            found = [len((node.get("discriminator") or {}).get("mapping") or ())]
            return found + [n for v in node.values() for n in lengths(v)]
        if isinstance(node, list):
            return [n for v in node for n in lengths(v)]
        return []
    return range(max(lengths(dict(spec_schemas.definitions()))))


@functools.lru_cache(maxsize=1)
def _fuller_answers_refused() -> tuple[frozenset[str], frozenset[str]]:
    """(operations whose fuller answers a response model refuses, operations whose fuller
    answers miss the spec) over every variant; odd variants answer null where nullable."""
    refused, unbuildable = set(), set()
    for variant in _variants():
        for operation in spec_index.operations().values():
            _, schema = spec_schemas.response_schema(operation)
            if schema is None or operation.response_model is None:
                continue
            body = spec_responses.instance(schema, 3, complete=True, variant=variant,
                                           nulls=variant % 2 == 1)
            if spec_schemas.problem(body, schema) is not None:
                unbuildable.add(operation.operation_id)
                continue
            try:
                spec_index.model(operation.response_model).model_validate_json(json.dumps(body))
            except ValidationError:
                refused.add(operation.operation_id)
    return frozenset(refused), frozenset(unbuildable)


def test_every_fuller_answer_the_spec_allows_fits_the_response_models() -> None:
    # every optional property, each mapped subtype and enum value in turn, nulls where the
    # spec allows them: what a model must read besides the minimal answers the emulator serves
    refused, unbuildable = _fuller_answers_refused()
    assert unbuildable <= SPEC_AMBIGUOUS
    assert refused == frozenset(), sorted(refused)


def test_fuller_answers_meet_the_published_spec() -> None:
    problems = []
    for operation in _json_operations():
        schema = _raw_schema(operation)
        if schema is None or operation.operation_id in SPEC_AMBIGUOUS:
            continue
        body = spec_responses.instance(spec_schemas.response_schema(operation)[1], 3,
                                       complete=True, variant=1, nulls=True)
        if errors := _spec_errors(body, schema):
            problems.append(f"{operation.operation_id}: {errors[0]}")
    assert not problems, "\n".join(problems)


def test_the_table_records_the_spec_it_was_generated_from() -> None:
    data = require_spec().read_bytes()
    recorded = spec_schemas.table()["spec"]
    assert recorded["sha256"] == hashlib.sha256(data).hexdigest(), (
        f"{SPEC} changed since the table was generated: run `nox -s generate`")
    assert recorded["version"] == str(_raw_spec()["info"]["version"])


def test_answers_are_built_without_importing_a_generated_model() -> None:
    code = (
        "import sys\n"
        "from allegro_async.testing.emulator import spec_index, spec_responses\n"
        "for op in spec_index.operations().values():\n"
        "    spec_responses.success_body(op, 1)\n"
        "print(sorted(m for m in sys.modules if m.startswith('allegro_async.api.models')))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert json.loads(output.replace("'", '"')) == []


def test_the_table_is_loaded_only_when_an_answer_needs_it() -> None:
    code = (
        "import sys\n"
        "from allegro_async.testing import Emulator\n"
        "from allegro_async.testing.emulator import spec_schemas\n"
        "Emulator()\n"
        "print(spec_schemas.table.cache_info().currsize)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "0"


# -- unions: the builder on small tables ----------------------------------------------------

_TAGGED = {
    "Benefit": {"type": "object", "required": ["type"],
                "properties": {"type": {"type": "string"}},
                "discriminator": {"propertyName": "type",
                                  "mapping": {"LARGE": "LargeBenefit", "WHOLESALE": "Wholesale"}}},
    "LargeBenefit": {"allOf": [{"$ref": "Benefit"}, {
        "type": "object", "required": ["threshold"],
        "properties": {"threshold": {"type": "integer", "minimum": 5}}}]},
    "Wholesale": {"allOf": [{"$ref": "Benefit"}, {
        "type": "object", "required": ["priceList"],
        "properties": {"priceList": {"type": "string", "example": "PL-1"}}}]},
    "Either": {"oneOf": [{"$ref": "Wholesale"}, {"$ref": "LargeBenefit"}],
               "discriminator": {"propertyName": "type",
                                 "mapping": {"WHOLESALE": "Wholesale", "LARGE": "LargeBenefit"}}},
}


def test_a_base_naming_its_subtypes_is_answered_as_one_of_them_with_its_tag() -> None:
    assert spec_responses.instance({"$ref": "Benefit"}, 1, _TAGGED) == {
        "type": "LARGE", "threshold": 5}


def test_a_subtype_answered_directly_carries_the_tag_its_base_maps_to_it() -> None:
    assert spec_responses.instance({"$ref": "Wholesale"}, 1, _TAGGED) == {
        "type": "WHOLESALE", "priceList": "PL-1"}


def test_a_tagged_one_of_carries_the_tag_of_the_subtype_it_chose() -> None:
    found = spec_responses.instance({"$ref": "Either"}, 1, _TAGGED)
    assert found == {"type": "WHOLESALE", "priceList": "PL-1"}
    assert spec_schemas.problem(found, {"$ref": "Wholesale"}, _TAGGED) is None


def test_an_untagged_one_of_takes_a_branch_no_other_branch_matches() -> None:
    defs = {
        "Loose": {"type": "object", "properties": {"note": {"type": "string"}}},
        "Strict": {"type": "object", "required": ["price"],
                   "properties": {"price": {"type": "string", "pattern": r"^\d+\.\d\d$",
                                            "example": "9.99"}},
                   "additionalProperties": False},
        "Choice": {"oneOf": [{"$ref": "Loose"}, {"$ref": "Strict"}]},
    }
    found = spec_responses.instance({"$ref": "Choice"}, 1, defs)
    # {} (Loose's minimal instance) would match Loose only; a match of exactly one branch
    assert sum(spec_schemas.problem(found, {"$ref": n}, defs) is None
               for n in ("Loose", "Strict")) == 1
    assert spec_schemas.problem(found, {"$ref": "Choice"}, defs) is None


def test_a_required_property_named_by_an_all_of_part_is_filled() -> None:
    defs = {"Base": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}},
            "Item": {"allOf": [{"$ref": "Base"}, {"required": ["id"]}]}}
    found = spec_responses.instance({"$ref": "Item"}, 1, defs)
    assert set(found) == {"id"}
    assert spec_schemas.problem(found, {"$ref": "Item"}, defs) is None


def test_the_checker_reads_openapi_nullable_and_strict_types() -> None:
    assert spec_schemas.problem(None, {"type": "string", "nullable": True}, {}) is None
    assert spec_schemas.problem(None, {"type": "string"}, {}) is not None
    assert spec_schemas.problem("1", {"type": "number"}, {}) is not None
    assert spec_schemas.problem(True, {"type": "integer"}, {}) is not None



def test_the_checker_admits_null_only_where_every_level_does() -> None:
    # OpenAPI 3.0.3: nullable does not reach into allOf parts, oneOf branches or an enum
    defs = {"Money": {"type": "object", "properties": {"amount": {"type": "string"}}}}
    assert spec_schemas.problem(
        None, {"nullable": True, "allOf": [{"$ref": "Money"}]}, defs) is not None
    assert spec_schemas.problem(
        None, {"type": "string", "nullable": True, "enum": ["A", "B"]}, {}) is not None
    assert spec_schemas.problem(
        None, {"type": "string", "nullable": True, "enum": ["A", None]}, {}) is None


def test_a_property_both_all_of_parts_declare_stays_a_scalar() -> None:
    defs = {"Base": {"type": "object", "required": ["duration"],
                     "properties": {"duration": {"type": "string"}}},
            "Sub": {"allOf": [{"$ref": "Base"}, {"type": "object", "properties": {
                "duration": {"type": "string", "example": "PT24H"}}}]}}
    assert spec_responses.instance({"$ref": "Sub"}, 1, defs) == {"duration": "PT24H"}


def test_a_schema_with_items_and_no_type_is_answered_as_a_list() -> None:
    # the spec leaves out `type: array` in places (CheckoutFormAddWaybillCreated.lineItems)
    schema = {"type": "object", "required": ["lineItems"], "properties": {"lineItems": {
        "minItems": 1, "items": {"type": "object", "required": ["id"],
                                 "properties": {"id": {"type": "string", "example": "a1"}}}}}}
    assert spec_responses.instance(schema, 1, {}) == {"lineItems": [{"id": "a1"}]}
