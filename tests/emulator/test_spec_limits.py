"""The emulator refuses a request body breaking one of the spec's limits, which the generated
models document (JSON schema) but never enforce."""

from __future__ import annotations

from allegro_async.api import models as generated
from allegro_async.testing.emulator.spec_limits import first_broken


def test_a_number_below_its_minimum_is_named_with_its_place() -> None:
    page = generated.CheckoutForms.model_validate(
        {"checkoutForms": [], "count": 0, "totalCount": 0})  # parses: answers are lenient
    assert first_broken(page) == ("count", "must have minimum 1")


def test_a_body_within_the_limits_passes() -> None:
    page = generated.CheckoutForms.model_validate(
        {"checkoutForms": [], "count": 1, "totalCount": 1})
    assert first_broken(page) is None


def test_a_nested_text_over_its_length_is_found() -> None:
    tag = generated.TagRequest.model_validate({"name": "x" * 26, "hidden": False})
    assert first_broken(tag) == ("name", "must have maxLength 25")
    wrapped = {"tags": [tag]}
    assert first_broken(wrapped) == ("tags[0].name", "must have maxLength 25")
