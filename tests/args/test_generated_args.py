"""The argument layer of the generated methods, one behaviour each: what the spec declares is
checked before sending, the error names the parameter (or the field's path) and the way
through, and what passes is sent exactly as the caller gave it."""

from __future__ import annotations

import datetime as _dt
import json
import math
import subprocess
import sys
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.api.models import (
    FlexibleBundleCreateDTO,
    FlexibleBundleSlotDTO,
    OfferStatusQueryRequestDto,
)
from allegro_async.errors import APIError, InvalidArgumentError

FORM_ID = "29d5d640-2f6c-11ee-9a36-1f9b5fcb9d3e"
SLOT = {"order": 0, "entryPoint": True, "requiredQuantity": 1,
        "offers": [{"id": "7700000001", "excludedFromDiscount": False}]}


class Capture:
    """A transport that records requests and answers 404 (nothing needs to exist)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
async def client(capture: Capture) -> Any:
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(capture)) as c:
        yield c


def sent_json(capture: Capture) -> Any:
    assert len(capture.requests) == 1
    return json.loads(capture.requests[0].content)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
async def test_a_non_finite_limit_names_the_limit_and_the_fix(
        client: AllegroClient, capture: Capture, bad: float) -> None:
    # nan raised a raw ValueError and inf an OverflowError, while building the message
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.order_management.get_list_of_orders(limit=bad)  # type: ignore[arg-type]
    assert caught.value.field == "limit" and "int" in caught.value.fix
    assert capture.requests == []


async def test_a_limit_outside_the_spec_bounds_is_refused(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(InvalidArgumentError, match=r"outside 1\.\.100") as caught:
        await client.api.order_management.get_list_of_orders(limit=101)
    assert caught.value.field == "limit"
    assert capture.requests == []


async def test_an_unknown_enum_value_lists_the_allowed_ones_and_the_way_through(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.products.get_sale_products(mode="NEAR")  # type: ignore[arg-type]
    assert caught.value.field == "mode"
    assert "GTIN" in caught.value.fix and "extra_query={'mode': ...}" in caught.value.fix
    with pytest.raises(InvalidArgumentError) as header:
        await client.api.products.get_sale_products(
            accept_language="xx-XX")  # type: ignore[arg-type]
    assert "extra_headers={'Accept-Language': ...}" in header.value.fix
    assert capture.requests == []


async def test_dynamic_filters_may_not_override_a_declared_parameter(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.products.get_sale_products(phrase="kettle",
                                                    dynamic_filters={"phrase": "lamp"})
    assert caught.value.field == "dynamic_filters['phrase']"
    assert "phrase" in caught.value.problem and "keyword" in caught.value.fix
    assert capture.requests == []
    with pytest.raises(APIError):  # a filter the operation does not declare is sent
        await client.api.products.get_sale_products(
            phrase="kettle", dynamic_filters={"parameter.11323": ["11323_1", "11323_2"]})
    params = capture.requests[0].url.params
    assert params.get_list("parameter.11323") == ["11323_1", "11323_2"]
    assert params["phrase"] == "kettle"


async def test_text_for_a_mapping_parameter_is_refused_clearly(
        client: AllegroClient, capture: Capture) -> None:
    # a str raised AttributeError: 'str' object has no attribute 'items'
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.products.get_sale_products(
            dynamic_filters="parameter.1=2")  # type: ignore[arg-type]
    assert caught.value.field == "dynamic_filters" and "mapping" in caught.value.problem
    assert capture.requests == []


async def test_an_upload_given_text_is_refused_not_sent_json_quoted(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.images_and_attachments.upload_offer_attachment(
            attachment_id="a1", content_type="application/pdf",
            body="%PDF-1.4")  # type: ignore[arg-type]
    assert caught.value.field == "body" and "read_bytes" in caught.value.fix
    assert capture.requests == []
    with pytest.raises(APIError):  # the file's bytes are sent as they are
        await client.api.images_and_attachments.upload_offer_attachment(
            attachment_id="a1", content_type="application/pdf", body=b"%PDF-1.4")
    assert capture.requests[0].content == b"%PDF-1.4"
    assert capture.requests[0].headers["content-type"] == "application/pdf"


async def test_a_missing_required_body_is_refused(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(InvalidArgumentError, match="requires a body") as caught:
        await client.api.allegro_prices.exclude_offer_commands(body=None)  # type: ignore[arg-type]
    assert caught.value.field == "body"
    assert capture.requests == []


async def test_a_nested_missing_field_is_named_by_its_path(
        client: AllegroClient, capture: Capture) -> None:
    body = {"offers": [{"id": "1", "marketplace": {"id": "allegro-pl"}},
                       {"marketplace": {"id": "allegro-cz"}}]}
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.allegro_prices.exclude_offer_commands(body=body)
    assert caught.value.field == "body.offers[1].id"
    assert "required" in caught.value.problem
    assert capture.requests == []


async def test_a_wrong_type_deep_in_a_body_is_named_by_its_path(
        client: AllegroClient, capture: Capture) -> None:
    slots = [SLOT, {**SLOT, "order": 1, "requiredQuantity": "2"}]
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.flexible_bundles.create_flexible_bundle(body={"slots": slots})
    assert caught.value.field == "body.slots[1].requiredQuantity"
    assert "int" in caught.value.problem
    assert capture.requests == []


async def test_a_dict_body_passes_keys_the_spec_lacks(
        client: AllegroClient, capture: Capture) -> None:
    body = {"offers": [{"id": "1", "marketplace": {"id": "allegro-pl"}, "newField": 1}],
            "addedByAllegro": {"x": True}}
    with pytest.raises(APIError):
        await client.api.allegro_prices.exclude_offer_commands(body=body)
    assert sent_json(capture) == body


async def test_a_nullable_field_accepts_none(client: AllegroClient, capture: Capture) -> None:
    body = {"slots": [SLOT, {**SLOT, "order": 1}], "discount": None}
    with pytest.raises(APIError):
        await client.api.flexible_bundles.create_flexible_bundle(body=body)
    assert sent_json(capture) == body


async def test_a_model_body_keeps_the_nulls_the_caller_set(
        client: AllegroClient, capture: Capture) -> None:
    model = FlexibleBundleCreateDTO.model_validate(
        {"slots": [SLOT, {**SLOT, "order": 1}], "discount": None})
    with pytest.raises(APIError):
        await client.api.flexible_bundles.create_flexible_bundle(body=model)
    assert sent_json(capture)["discount"] is None  # dropped by exclude_none


async def test_a_model_body_adds_no_default_the_caller_did_not_set(
        client: AllegroClient, capture: Capture) -> None:
    model = OfferStatusQueryRequestDto.model_validate({"marketplace": {"id": "allegro-pl"}})
    with pytest.raises(APIError):
        await client.api.allegro_prices.get_allegro_prices_offers(body=model)
    assert sent_json(capture) == {"marketplace": {"id": "allegro-pl"}}  # no limit=20, offset=0


def test_to_api_sends_what_was_set() -> None:
    slots = [SLOT, {**SLOT, "order": 1}]
    model = FlexibleBundleCreateDTO.model_validate({"slots": slots, "discount": None})
    assert model.to_api() == {"slots": slots, "discount": None}


def test_the_body_rules_load_on_the_first_body_check_only() -> None:
    code = ("import sys\nfrom allegro_async import AllegroClient\n"
            "client = AllegroClient(access_token='t')\n"
            "client.api.allegro_prices.exclude_offer_commands\n"
            "print('allegro_async.api._request_rules' in sys.modules)\n"
            "from allegro_async import _args\n"
            "try:\n    _args.json_body({}, 'SubsidyExcludeOffersCommand', required=True)\n"
            "except Exception:\n    pass\n"
            "print('allegro_async.api._request_rules' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]


@pytest.mark.parametrize("bad", [math.nan, Decimal("1.5"), b"x", object()])
async def test_a_value_json_cannot_hold_is_refused_even_under_an_unknown_key(
        client: AllegroClient, capture: Capture, bad: object) -> None:
    # nan was sent as the invalid JSON token NaN, or json encoding raised a raw error
    body = {"offers": [{"id": "1", "marketplace": {"id": "allegro-pl"}, "added": [bad]}]}
    with pytest.raises(InvalidArgumentError) as caught:
        await client.api.allegro_prices.exclude_offer_commands(body=body)
    assert caught.value.field == "body.offers[0].added[0]"
    assert capture.requests == []


async def test_a_model_inside_a_dict_body_is_sent_as_it_was_set(
        client: AllegroClient, capture: Capture) -> None:
    slot = FlexibleBundleSlotDTO.model_validate(SLOT)
    with pytest.raises(APIError):
        await client.api.flexible_bundles.create_flexible_bundle(
            body={"slots": [slot, {**SLOT, "order": 1}]})
    assert sent_json(capture)["slots"][0] == SLOT


async def test_a_uuid_parameter_is_sent_in_its_canonical_form(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(APIError):
        await client.api.billing.get_billing_entries(order_id=FORM_ID.upper())
    assert capture.requests[0].url.params["order.id"] == FORM_ID


async def test_an_aware_datetime_for_if_modified_since_is_sent_as_an_http_date(
        client: AllegroClient, capture: Capture) -> None:
    moment = _dt.datetime(2026, 12, 1, 9, 30, tzinfo=_dt.timezone(_dt.timedelta(hours=1)))
    with pytest.raises(APIError):
        await client.api.order_management.get_allegro_pickup_drop_off_points(
            if_modified_since=moment)  # type: ignore[arg-type]
    assert capture.requests[0].headers["if-modified-since"] == "Tue, 01 Dec 2026 08:30:00 GMT"


async def test_an_amount_given_as_a_decimal_is_sent_as_written(
        client: AllegroClient, capture: Capture) -> None:
    with pytest.raises(APIError):
        await client.api.users_offer_information.search_offers(
            selling_mode_price_amount_gte=Decimal("19.90"))  # type: ignore[arg-type]
    assert capture.requests[0].url.params["sellingMode.price.amount.gte"] == "19.90"


async def test_a_file_media_type_the_spec_does_not_list_is_refused(
        client: AllegroClient, capture: Capture) -> None:
    area = client.api.images_and_attachments
    with pytest.raises(InvalidArgumentError) as caught:
        await area.upload_offer_attachment(attachment_id="a1", content_type="text/plain",
                                           body=b"x")  # type: ignore[arg-type]
    assert caught.value.field == "content_type" and "application/pdf" in caught.value.fix
    with pytest.raises(InvalidArgumentError, match="image/webp"):
        await area.upload_offer_image(body=b"GIF89a",
                                      content_type="image/gif")  # type: ignore[arg-type]
    assert capture.requests == []
