"""The emulator refuses what Allegro refuses, with a status and body the operation declares:
the committed spec table, uuid and date formats, empty enum values, bodies against the spec's
own schema, and error bodies in the declared shape."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.conformance import ConformanceRecorder, check
from allegro_async.testing.emulator import refusals, spec_index, spec_rules, spec_schemas
from allegro_async.testing.emulator.limits import LimitsConfig

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "allegro-openapi.yaml"
UUID = "3f2c5a8e-2b7e-4c1a-9d7e-0b6b8b7a1c11"
VND = {"Accept": PUBLIC_MEDIA_TYPE, "Content-Type": PUBLIC_MEDIA_TYPE}
#: Marks a request as bad on purpose for the suite's conformance recorder.
BAD = {"x-emulator-expect-invalid": "1"}


@pytest.fixture
async def emulator_and_client() -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    scopes = sorted({s for op in spec_index.operations().values() for s in op.scopes})
    token = emulator.mint_token(0, scopes=scopes)
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Accept": PUBLIC_MEDIA_TYPE}) as client:
        yield emulator, client


def test_the_table_records_the_spec_it_was_generated_from() -> None:
    # the table itself is checked against the spec with the rest of the generated layer
    # (python -m tools.apigen --check, tests/api/test_generator.py)
    if not SPEC.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {SPEC}")
    data = SPEC.read_bytes()
    recorded = spec_rules.table()["spec"]
    assert recorded["sha256"] == hashlib.sha256(data).hexdigest(), "run `nox -s generate`"
    assert recorded["version"] == str(yaml.load(data, Loader=yaml.CSafeLoader)["info"]["version"])


def test_a_refusal_takes_a_status_the_operation_documents() -> None:
    # GET /payments/refunds documents 422 and no 400
    assert refusals.status_for("getRefundedPayments", "param", 400) == 422
    # GET /order/checkout-forms/{id} documents 404: a malformed id names no order
    assert refusals.status_for("getOrdersDetailsUsingGET", "path", 400) == 404
    # an operation documenting none of them keeps the check's own status (A7)
    assert refusals.status_for("deleteManualTranslationUsingDELETE", "param", 400) == 400
    assert refusals.status_for(None, "param", 400) == 400


async def test_a_malformed_uuid_path_id_is_the_resources_404(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, client = emulator_and_client
    good = await client.get(f"/fulfillment/advance-ship-notices/{UUID}")
    bad = await client.get("/fulfillment/advance-ship-notices/not-a-uuid", headers=BAD)
    assert good.status_code == 200
    assert bad.status_code == 404
    assert bad.json()["errors"][0]["path"] == "id"


async def test_a_malformed_uuid_query_value_is_refused_with_the_documented_status(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, client = emulator_and_client
    assert (await client.get("/payments/refunds", params={"id": UUID})).status_code == 200
    bad = await client.get("/payments/refunds", params={"id": "12345"}, headers=BAD)
    assert bad.status_code == 422  # the operation documents 422, not 400
    assert bad.json()["errors"][0]["path"] == "id"


@pytest.mark.parametrize("language", ["", "de-DE"])
async def test_accept_language_outside_its_enum_or_empty_is_refused(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient], language: str) -> None:
    _, client = emulator_and_client
    answer = await client.get("/sale/offer-tags", headers={"Accept-Language": language, **BAD})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "Accept-Language"


async def test_a_date_parameter_is_checked_against_its_format(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, client = emulator_and_client
    bad = await client.get("/billing/billing-entries", params={"occurredAt.gte": "yesterday"},
                           headers=BAD)
    assert bad.status_code == 422  # documented: 422, no 400
    ok = await client.get("/billing/billing-entries",
                          params={"occurredAt.gte": "2026-01-01T00:00:00Z"})
    assert ok.status_code == 200


async def test_a_body_breaking_the_specs_schema_is_refused_though_the_model_takes_it(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, client = emulator_and_client
    # the generated model takes null for any optional field; the spec's "hidden" is a boolean
    refused = await client.post("/sale/offer-tags", json={"name": "shoes", "hidden": None},
                                headers={**VND, **BAD})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "hidden"
    made = await client.post("/sale/offer-tags", json={"name": "shoes", "hidden": False},
                             headers=VND)
    assert made.is_success


async def test_an_error_declared_without_a_body_has_none(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, client = emulator_and_client
    answer = await client.get("/charity/fundraising-campaigns",
                              params={"limit": "0", "phrase": "help"},
                              headers={"Accept": BETA_MEDIA_TYPE, **BAD})
    assert answer.status_code == 400  # the one refusal it documents
    assert answer.content == b""


async def test_error_bodies_declared_as_any_type_fit_their_schema(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    if not SPEC.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {SPEC}")
    emulator, client = emulator_and_client
    recorder = ConformanceRecorder()
    emulator.recorder = recorder
    bad = {**VND, **BAD}
    answers = [
        await client.delete("/sale/offer-tags/no-such-tag"),
        await client.post("/account/additional-emails", content=b"{", headers=bad),
        await client.post("/account/additional-emails", json={}, headers=bad),
    ]
    assert [a.status_code for a in answers] == [404, 400, 422]
    report = check(recorder, SPEC)
    assert report.checked == 3, report.format()  # '*/*' bodies are read, not skipped
    assert not report.violations, report.format()


def _promotion(percentage: float) -> dict[str, object]:
    """A multi-pack rebate (the UNIT_PERCENTAGE_DISCOUNT variant of BenefitSpecification)."""
    return {"benefits": [{"specification": {
                "type": "UNIT_PERCENTAGE_DISCOUNT", "configuration": {"percentage": percentage},
                "trigger": {"forEachQuantity": 2, "discountedNumber": 1}}}],
            "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": "1234567890"}]}]}


def test_the_table_holds_the_variants_a_tag_names() -> None:
    # BenefitSpecification maps its tags to variants that extend it, with no oneOf
    mapping = spec_rules.definitions()["BenefitSpecification"]["discriminator"]["mapping"]
    assert {ref.rsplit("/", 1)[-1] for ref in mapping.values()} <= set(spec_rules.definitions())


def test_a_tagged_object_is_held_to_the_variant_its_tag_names() -> None:
    schema = {"$ref": "#/components/schemas/Benefit"}
    low = _promotion(0.5)["benefits"][0]  # type: ignore[index]
    found = spec_schemas.problem(low, schema, spec_rules.definitions(), tagged=True)
    assert found is not None and found.startswith("$.specification.configuration.percentage")
    assert spec_schemas.problem(low, schema, spec_rules.definitions()) is None  # untagged
    ok = _promotion(5)["benefits"][0]  # type: ignore[index]
    assert spec_schemas.problem(ok, schema, spec_rules.definitions(), tagged=True) is None


async def test_a_limit_of_a_tagged_variant_is_refused_with_its_path(
        emulator_and_client: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, client = emulator_and_client
    refused = await client.post("/sale/loyalty/promotions", json=_promotion(0.5),
                                headers={**VND, **BAD})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert (error["code"], error["path"]) == (
        "VALIDATION_ERROR", "benefits[0].specification.configuration.percentage")
    made = await client.post("/sale/loyalty/promotions", json=_promotion(5), headers=VND)
    assert made.is_success, made.text
