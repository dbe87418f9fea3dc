"""The most used models survive model -> JSON -> model, for any document the spec allows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegro_async.api import resolve_model
from allegro_async.api.models import MODULES
from tests.api._strategies import from_schema

#: checkout form, product offer, offer listing, order event
MODELS = ["CheckoutForm", "SaleProductOfferResponseV1", "OffersSearchResultDto", "OrderEvent"]


@pytest.mark.parametrize("name", MODELS)
def test_model_json_model_round_trip(spec: dict[str, Any], name: str) -> None:
    model = resolve_model(f"{MODULES[name]}.{name}")
    schema = {"$ref": f"#/components/schemas/{name}"}

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data: st.DataObject) -> None:
        document = data.draw(from_schema(spec, schema))
        first = model.model_validate(document)
        text = first.model_dump_json(by_alias=True, exclude_unset=True)
        again = model.model_validate_json(text)
        assert again == first
        assert again.model_dump_json(by_alias=True, exclude_unset=True) == text

    check()
