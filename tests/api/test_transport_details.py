"""Media types, binary bodies, the upload host and headers, as each operation's spec says
(single calls, so respx)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from allegro_async import AllegroClient, InvalidArgumentError
from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE

API = "https://api.allegro.pl"
UPLOAD = "https://upload.allegro.pl"


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


@respx.mock
async def test_image_upload_goes_to_the_upload_host_with_the_files_media_type(
    client: AllegroClient,
) -> None:
    route = respx.post(f"{UPLOAD}/sale/images").mock(
        return_value=httpx.Response(201, json={"location": "https://a.allegroimg.com/x.png"},
                                    headers={"content-type": PUBLIC_MEDIA_TYPE})
    )
    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    result = await client.api.images_and_attachments.upload_offer_image(
        body=image, content_type="image/png"
    )
    assert result.location == "https://a.allegroimg.com/x.png"
    sent = route.calls.last.request
    assert sent.content == image
    assert sent.headers["content-type"] == "image/png"
    assert sent.headers["accept"] == PUBLIC_MEDIA_TYPE
    assert sent.headers["authorization"] == "Bearer token"


@respx.mock
async def test_image_by_link_is_json_in_allegros_media_type(client: AllegroClient) -> None:
    route = respx.post(f"{UPLOAD}/sale/images").mock(
        return_value=httpx.Response(201, json={"location": "https://a.allegroimg.com/y"})
    )
    await client.api.images_and_attachments.upload_offer_image(body={"url": "https://x/y.png"})
    sent = route.calls.last.request
    assert sent.headers["content-type"] == PUBLIC_MEDIA_TYPE
    assert json.loads(sent.content) == {"url": "https://x/y.png"}


async def test_a_file_without_its_media_type_is_refused_before_sending(
    client: AllegroClient,
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(f"{UPLOAD}/sale/images")
        with pytest.raises(InvalidArgumentError, match="content_type"):
            await client.api.images_and_attachments.upload_offer_image(body=b"\xff\xd8")
        assert not route.called


@respx.mock
async def test_attachment_upload_puts_bytes_on_the_upload_host(client: AllegroClient) -> None:
    route = respx.put(f"{UPLOAD}/sale/offer-attachments/a-1").mock(
        return_value=httpx.Response(200, json={"id": "a-1"})
    )
    await client.api.images_and_attachments.upload_offer_attachment(
        attachment_id="a-1", body=b"%PDF-1.4", content_type="application/pdf"
    )
    assert route.calls.last.request.headers["content-type"] == "application/pdf"


@respx.mock
async def test_labels_download_as_bytes(client: AllegroClient) -> None:
    pdf = b"%PDF-1.7 label"
    route = respx.post(f"{API}/shipment-management/label").mock(
        return_value=httpx.Response(200, content=pdf,
                                    headers={"content-type": "application/octet-stream"})
    )
    result = await client.api.shipment_management.get_shipment_labels(
        body={"shipmentIds": ["s-1"], "pageSize": "A4"}
    )
    assert result == pdf
    sent = route.calls.last.request
    assert sent.headers["accept"] == "application/octet-stream"
    assert sent.headers["content-type"] == PUBLIC_MEDIA_TYPE


@respx.mock
async def test_raw_download_parses_to_bytes(client: AllegroClient) -> None:
    notice = "4d3c8f2a-5b7e-4e1a-9c2d-6f8e0a1b2c3d"
    respx.get(f"{API}/fulfillment/advance-ship-notices/{notice}/labels").mock(
        return_value=httpx.Response(200, content=b"^XA^XZ",
                                    headers={"content-type": "x-application/zpl"})
    )
    raw = await client.api.advance_ship_notices.with_raw_response.get_advance_ship_notice_labels(
        id=notice, accept="x-application/zpl"
    )
    assert raw.http_response.request.headers["accept"] == "x-application/zpl"
    assert raw.parse() == b"^XA^XZ"


@respx.mock
async def test_beta_operations_send_the_beta_media_type(client: AllegroClient) -> None:
    route = respx.get(f"{API}/sale/issues").mock(
        return_value=httpx.Response(200, json={"issues": [], "count": 0},
                                    headers={"content-type": BETA_MEDIA_TYPE})
    )
    await client.api.post_purchase_issues.get_list_of_issues(limit=1)
    assert route.calls.last.request.headers["accept"] == BETA_MEDIA_TYPE


@respx.mock
async def test_an_empty_2xx_beside_a_body_gives_none(client: AllegroClient) -> None:
    respx.delete(f"{API}/after-sales-service-conditions/return-policies/r-1").mock(
        return_value=httpx.Response(204)
    )
    result = await client.api.after_sale_services.delete_after_sales_service_return_policy(
        return_policy_id="r-1"
    )
    assert result is None


@respx.mock
async def test_headers_and_arrays_as_the_spec_names_them(client: AllegroClient) -> None:
    route = respx.get(f"{API}/order/carriers/ALLEGRO/points").mock(
        return_value=httpx.Response(200, json={"points": []})
    )
    await client.api.order_management.get_allegro_pickup_drop_off_points(
        carriers=["UPS", "DPD"], accept_language="pl-PL"
    )
    sent = route.calls.last.request
    assert sent.url.params.get_list("carriers") == ["UPS", "DPD"]
    assert sent.headers["accept-language"] == "pl-PL"


async def test_a_float_for_an_integer_parameter_is_refused(client: AllegroClient) -> None:
    with pytest.raises(InvalidArgumentError, match="limit"):
        await client.api.order_management.get_list_of_orders(limit=2.5)  # type: ignore[arg-type]
