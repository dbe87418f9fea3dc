"""One model per schema: the public models of ``allegro_async.models`` are the generated
classes, and the helpers the generator attaches add behaviour, never fields."""

from __future__ import annotations

import importlib
import inspect

import pydantic
import pytest

from allegro_async.api import _helpers
from allegro_async.api import models as generated
from tools.apigen import helpers as declared

AREAS = ["orders", "events", "offers", "products", "user", "shipping", "commands"]
#: The library's own result types: not models of a spec schema.
RESULT_TYPES = {"BulkItemResult", "BulkResult", "CommandResult", "OfferOutcome",
                "ProductSearchPage", "RawOrderEventsList"}


@pytest.mark.parametrize("area", AREAS)
def test_every_public_model_is_a_generated_class(area: str) -> None:
    module = importlib.import_module(f"allegro_async.models.{area}")
    for name in module.__all__:
        value = getattr(module, name)
        if not (inspect.isclass(value) and issubclass(value, pydantic.BaseModel)):
            continue
        if name in RESULT_TYPES:
            assert not any(base.__module__.startswith("allegro_async.api.models")
                           for base in value.__mro__), name
            continue
        assert value.__module__.startswith("allegro_async.api.models."), (area, name)
        assert getattr(generated, value.__name__) is value


@pytest.mark.parametrize(("cls", "mixin"), sorted(declared.HELPERS.items()))
def test_each_declared_helper_is_a_base_of_its_generated_class(cls: str, mixin: str) -> None:
    model = getattr(generated, cls)
    helper = getattr(_helpers, mixin)
    assert model.__mro__[1] is helper  # listed first, before ApiModel
    # a helper adds behaviour only: no field of its own, none narrowed (its annotations are
    # for the type checker alone)
    assert inspect.get_annotations(helper) == {}
    assert not set(vars(helper)) & set(model.model_fields)


def test_the_helpers_work_on_the_generated_models() -> None:
    product = generated.BaseSaleProductResponseDto.model_validate({
        "id": "p1", "name": "Laptop", "category": {"id": "1"},
        "parameters": [
            {"id": "225693", "name": "EAN", "values": ["5901234123457"],
             "options": {"identifiesProduct": True, "isGTIN": True}},
            {"id": "1", "name": "Disk size", "values": ["512"], "unit": "GB",
             "options": {"identifiesProduct": True}},
        ]})
    assert product.gtins == ["5901234123457"]
    assert product.identifying_parameters() == {"Disk size": "512 GB"}
    report = generated.GeneralReport.model_validate(
        {"id": "c", "taskCount": {"total": 2, "success": 2, "failed": 0}})
    assert report.done and report.tasks_total == 2
