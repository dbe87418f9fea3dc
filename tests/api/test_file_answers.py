"""File answers (labels, PDFs, CSV) are checked against the operation's declared media types:
a web page, an error body, an undeclared type or a body the client cannot decode is an error,
never the file (single calls, so respx)."""

from __future__ import annotations

import pickle

import httpx
import pytest
import respx

from allegro_async import (
    AllegroClient,
    ResponseValidationError,
    TransportError,
    UnexpectedContentError,
)
from allegro_async._redact import register
from allegro_async.api import OPERATIONS
from allegro_async.api.models.fulfillment_stock import StockProductList

API = "https://api.allegro.pl"
LABELS = f"{API}/shipment-management/label"
NOTICE_ID = "7f3c0d1e-5b2a-4c8e-9f10-2d3e4a5b6c7d"
NOTICE_LABELS = f"{API}/fulfillment/advance-ship-notices/{NOTICE_ID}/labels"
SECRET = "s3cr3t-label-token-0123456789"


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


def _labels(client: AllegroClient) -> object:
    return client.api.shipment_management.get_shipment_labels(body={"shipmentIds": ["s-1"]})


@respx.mock
async def test_a_web_page_is_not_returned_as_the_label(client: AllegroClient) -> None:
    register(SECRET)
    page = f"<!DOCTYPE html><html><body>Maintenance, session {SECRET}</body></html>"
    respx.post(LABELS).mock(return_value=httpx.Response(
        200, text=page, headers={"content-type": "text/html; charset=utf-8", "trace-id": "t-1"}))
    with pytest.raises(UnexpectedContentError) as caught:
        await _labels(client)
    error = caught.value
    assert (error.status_code, error.content_type, error.trace_id) == (200, "text/html", "t-1")
    assert "Maintenance" in error.excerpt
    assert "web page" in str(error) and "Hint:" in str(error)
    for shown in (str(error), repr(error), error.excerpt, pickle.dumps(error).decode("latin-1")):
        assert SECRET not in shown


@respx.mock
async def test_an_error_body_on_a_success_status_is_not_a_pdf(client: AllegroClient) -> None:
    respx.get(NOTICE_LABELS).mock(return_value=httpx.Response(
        200, json={"errors": [{"code": "NotFound", "message": "no labels yet"}]}))
    with pytest.raises(UnexpectedContentError, match="expected a file, got JSON") as caught:
        await client.api.advance_ship_notices.get_advance_ship_notice_labels(id=NOTICE_ID)
    assert "no labels yet" in caught.value.excerpt
    assert isinstance(caught.value, ResponseValidationError)  # a 2xx body the spec forbids


@respx.mock
async def test_an_undeclared_file_type_is_refused(client: AllegroClient) -> None:
    respx.get(NOTICE_LABELS).mock(return_value=httpx.Response(
        200, content=b"\x89PNG\r\n", headers={"content-type": "image/png"}))
    with pytest.raises(UnexpectedContentError, match="application/pdf, x-application/zpl"):
        await client.api.advance_ship_notices.get_advance_ship_notice_labels(id=NOTICE_ID)


@respx.mock
async def test_each_declared_file_type_is_accepted(client: AllegroClient) -> None:
    route = respx.get(NOTICE_LABELS)
    route.mock(return_value=httpx.Response(
        200, content=b"%PDF-1.7", headers={"content-type": "application/pdf"}))
    pdf = await client.api.advance_ship_notices.get_advance_ship_notice_labels(id=NOTICE_ID)
    route.mock(return_value=httpx.Response(
        200, content=b"^XA^XZ", headers={"content-type": "x-application/zpl; charset=utf-8"}))
    zpl = await client.api.advance_ship_notices.get_advance_ship_notice_labels(
        id=NOTICE_ID, accept="x-application/zpl")
    assert (pdf, zpl) == (b"%PDF-1.7", b"^XA^XZ")


@respx.mock
async def test_a_body_still_brotli_encoded_is_an_error(client: AllegroClient) -> None:
    respx.post(LABELS).mock(return_value=httpx.Response(
        200, content=b"\x1b\x07\x00\xf8\xa5@\x02", headers={
            "content-type": "application/octet-stream", "content-encoding": "br"}))
    # the client asks only for gzip and deflate, and refuses any other coding before reading
    # the body: never handed on as the file, brotli installed or not
    with pytest.raises(TransportError, match="encoded as 'br'"):
        await _labels(client)


@respx.mock
async def test_an_unknown_encoding_fails_a_json_answer_too(client: AllegroClient) -> None:
    respx.get(f"{API}/order/checkout-forms").mock(return_value=httpx.Response(
        200, content=b"(\xb5/\xfd\x00", headers={"content-type": "application/json",
                                                 "content-encoding": "x-custom"}))
    with pytest.raises(TransportError, match="encoded as 'x-custom'"):
        await client.api.order_management.get_list_of_orders()


@respx.mock
async def test_a_users_own_http_client_gets_the_encoding_checked_by_the_typed_call() -> None:
    # used as it is, no body-bounding transport sees the answer: the typed call checks it
    respx.get(f"{API}/order/checkout-forms").mock(return_value=httpx.Response(
        200, content=b"(\xb5/\xfd\x00", headers={"content-type": "application/json",
                                                 "content-encoding": "x-custom"}))
    async with httpx.AsyncClient() as http, AllegroClient(
            access_token="token", http_client=http, throttle=False, retry=False) as client:
        with pytest.raises(UnexpectedContentError, match="x-custom") as caught:
            await client.api.order_management.get_list_of_orders()
    assert caught.value.content_encoding == "x-custom"


@respx.mock
async def test_stock_answers_json_as_the_model_and_csv_as_bytes(client: AllegroClient) -> None:
    route = respx.get(f"{API}/fulfillment/stock")
    route.mock(return_value=httpx.Response(200, json={"stock": [], "count": 0, "totalCount": 0},
                                           headers={"content-type": OPERATIONS[
                                               "getFulfillmentStock"].response_media_type}))
    page = await client.api.fulfillment_stock.get_fulfillment_stock()
    assert isinstance(page, StockProductList)
    assert page.total_count == 0
    route.mock(return_value=httpx.Response(200, content=b"sku;qty\nA;1\n",
                                           headers={"content-type": "text/csv"}))
    csv = await client.api.fulfillment_stock.get_fulfillment_stock(accept="text/csv")
    assert csv == b"sku;qty\nA;1\n"
    assert route.calls.last.request.headers["accept"] == "text/csv"


@respx.mock
async def test_any_file_type_is_an_attachment_but_a_page_is_not(client: AllegroClient) -> None:
    route = respx.get(f"{API}/messaging/message-attachments/a-1")
    route.mock(return_value=httpx.Response(200, content=b"GIF89a",
                                           headers={"content-type": "image/gif"}))
    assert await client.api.message_center.download_attachment(attachment_id="a-1") == b"GIF89a"
    route.mock(return_value=httpx.Response(200, text="<html><body>login</body></html>",
                                           headers={"content-type": "text/html"}))
    with pytest.raises(UnexpectedContentError, match="web page"):
        await client.api.message_center.download_attachment(attachment_id="a-1")


@respx.mock
async def test_an_untyped_page_is_recognised_by_its_start(client: AllegroClient) -> None:
    respx.post(LABELS).mock(return_value=httpx.Response(200, content=b"  <html><head>"))
    with pytest.raises(UnexpectedContentError, match="web page"):
        await _labels(client)


@respx.mock
async def test_labels_declared_empty_give_none(client: AllegroClient) -> None:
    respx.post(LABELS).mock(return_value=httpx.Response(204))
    assert await _labels(client) is None


@respx.mock
async def test_the_raw_twin_checks_the_file_when_parsed(client: AllegroClient) -> None:
    respx.get(NOTICE_LABELS).mock(return_value=httpx.Response(
        200, text="<html>busy</html>", headers={"content-type": "text/html"}))
    raw = await client.api.advance_ship_notices.with_raw_response.get_advance_ship_notice_labels(
        id=NOTICE_ID)
    assert raw.status_code == 200  # the raw answer itself is there to read
    with pytest.raises(UnexpectedContentError):
        raw.parse()


def test_the_index_records_every_declared_answer_type() -> None:
    assert OPERATIONS["getFulfillmentStock"].response_media_types == (
        "application/vnd.allegro.public.v1+json", "text/csv")
    assert OPERATIONS["getAdvanceShipNoticeLabels"].response_media_types == (
        "application/pdf", "x-application/zpl")
