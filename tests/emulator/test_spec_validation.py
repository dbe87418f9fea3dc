"""The one validation path in front of every spec operation: parameters (400/422), media
types (415), bodies (422) and the unknown-field stripping that keeps junk out of stored state."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from allegro_async.api._operation import Operation, Param
from allegro_async.testing.emulator import spec_index, spec_validation
from allegro_async.testing.emulator.http import ApiError

LANG = Param("Accept-Language", "accept_language", "header", False, "string",
             enum=("en-US", "pl-PL"))
LIMIT = Param("limit", "limit", "query", False, "integer", minimum=1, maximum=100)
STATUS = Param("status", "status", "query", True, "array", items_type="string",
               enum=("ACTIVE", "ENDED"))
COMMAND = Param("commandId", "command_id", "path", True, "string", format="uuid")
OP = Operation("listThings", "GET", "/things/{commandId}", "things.list", "things", "",
               None, params=(COMMAND, LIMIT, STATUS, LANG))


class Stock(BaseModel):
    model_config = ConfigDict(extra="allow")
    available: int


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    stock: Stock | None = None
    line_items: list[Stock] = Field(default_factory=list, alias="lineItems")


POST = Operation("createThing", "POST", "/things", "things.create", "things", "", None,
                 request_model="things.Body", body_required=True,
                 request_media_types=("application/vnd.allegro.public.v1+json",))


def _request(query: str = "", headers: dict[str, str] | None = None,
             path_params: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/things/x", "headers": raw,
                    "query_string": query.encode(), "path_params": path_params or {}})


GOOD_ID = {"commandId": "3f2c5a8e-2b7e-4c1a-9d7e-0b6b8b7a1c11"}


def _refusal(query: str, headers: dict[str, str] | None = None,
             path_params: dict[str, str] = GOOD_ID) -> ApiError:
    with pytest.raises(ApiError) as caught:
        spec_validation.check_params(OP, _request(query, headers, path_params))
    return caught.value


def test_valid_parameters_pass() -> None:
    spec_validation.check_params(OP, _request("limit=5&status=ACTIVE&status=ENDED",
                                              {"Accept-Language": "pl-PL"}, GOOD_ID))


@pytest.mark.parametrize(("query", "headers", "status", "where"), [
    ("limit=abc&status=ACTIVE", None, 400, "limit"),
    ("limit=1.5&status=ACTIVE", None, 400, "limit"),
    ("limit=0&status=ACTIVE", None, 422, "limit"),
    ("limit=101&status=ACTIVE", None, 422, "limit"),
    ("limit=5", None, 400, "status"),
    ("status=GONE", None, 400, "status"),
    ("status=ACTIVE", {"Accept-Language": "de-DE"}, 400, "Accept-Language"),
    ("limit=1&limit=2&status=ACTIVE", None, 400, "limit"),
])
def test_bad_parameters_are_refused_naming_the_parameter(
        query: str, headers: dict[str, str] | None, status: int, where: str) -> None:
    error = _refusal(query, headers)
    assert error.status == status
    (entry,) = error.body["errors"]
    assert entry["path"] == where and where in entry["message"]
    assert set(entry) >= {"code", "message", "details", "path", "userMessage"}


def test_a_date_time_parameter_breaking_its_format_is_400() -> None:
    since = Param("updatedAt.gte", "updated_at_gte", "query", False, "string",
                  format="date-time")
    operation = Operation("x", "GET", "/x", "x", "x", "", None, params=(since,))
    with pytest.raises(ApiError) as caught:
        spec_validation.check_params(operation, _request("updatedAt.gte=yesterday"))
    assert caught.value.status == 400
    assert caught.value.body["errors"][0]["path"] == "updatedAt.gte"
    spec_validation.check_params(operation, _request("updatedAt.gte=2026-01-01T00:00:00Z"))


def test_an_empty_required_string_is_present_but_a_missing_one_is_400() -> None:
    name = Param("name", "name", "query", True, "string")
    operation = dataclasses.replace(OP, params=(name,))
    spec_validation.check_params(operation, _request("name=", path_params=GOOD_ID))
    with pytest.raises(ApiError) as caught:
        spec_validation.check_params(operation, _request("", path_params=GOOD_ID))
    assert caught.value.status == 400


@pytest.mark.parametrize(("query", "headers", "where"), [
    ("status=", None, "status"),  # an enum does not list the empty value
    ("status=ACTIVE", {"Accept-Language": ""}, "Accept-Language"),
])
def test_an_empty_value_outside_the_enum_is_refused(
        query: str, headers: dict[str, str] | None, where: str) -> None:
    error = _refusal(query, headers)
    assert error.status == 400
    assert error.body["errors"][0]["path"] == where


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "3f2c5a8e2b7e4c1a9d7e0b6b8b7a1c11"])
def test_a_malformed_uuid_in_the_path_is_refused_as_a_path_refusal(bad: str) -> None:
    error = _refusal("status=ACTIVE", path_params={"commandId": bad})
    assert error.status == 400
    assert error.refusal == "path"  # the resource's 404 where the operation documents one


def test_a_malformed_uuid_in_the_query_is_400() -> None:
    ref = Param("ref", "ref", "query", False, "string", format="uuid")
    operation = dataclasses.replace(OP, params=(ref,))
    with pytest.raises(ApiError) as caught:
        spec_validation.check_params(operation, _request("ref=abc", path_params=GOOD_ID))
    assert (caught.value.status, caught.value.refusal) == (400, "param")
    spec_validation.check_params(
        operation, _request("ref=3f2c5a8e-2b7e-4c1a-9d7e-0b6b8b7a1c11", path_params=GOOD_ID))


def test_a_body_in_another_media_type_is_415() -> None:
    request = _request(headers={"Content-Type": "application/json"})
    with pytest.raises(ApiError) as caught:
        spec_validation.check_content_type(POST, request, b"{}")
    assert caught.value.status == 415
    spec_validation.check_content_type(
        POST, _request(headers={"Content-Type": "application/vnd.allegro.public.v1+json; "
                                                "charset=utf-8"}), b"{}")


@pytest.fixture
def body_model(monkeypatch: pytest.MonkeyPatch) -> None:
    models: dict[str, type[BaseModel]] = {"things.Body": Body}
    monkeypatch.setattr(spec_index, "model", models.__getitem__)


@pytest.mark.usefixtures("body_model")
@pytest.mark.parametrize(("body", "where"), [
    ({"stock": {"available": 1}}, "name"),
    ({"name": "x", "lineItems": ["not an object"]}, "lineItems[0]"),
    ({"name": "x", "stock": {"available": "1"}}, "stock.available"),
])
def test_a_body_breaking_the_model_is_422_with_its_path(body: Any, where: str) -> None:
    with pytest.raises(ApiError) as caught:
        spec_validation.check_body(POST, json.dumps(body).encode())
    assert caught.value.status == 422
    assert caught.value.body["errors"][0]["path"] == where


@pytest.mark.usefixtures("body_model")
def test_malformed_json_is_400_and_a_missing_body_422() -> None:
    with pytest.raises(ApiError) as caught:
        spec_validation.check_body(POST, b"{nope")
    assert caught.value.status == 400
    with pytest.raises(ApiError) as caught:
        spec_validation.check_body(POST, b"")
    assert caught.value.status == 422
    # where the spec makes the body optional, none is no body, not a missing one
    optional = dataclasses.replace(POST, body_required=False)
    assert spec_validation.check_body(optional, b"") == b""
    assert spec_validation.check_body(optional, b"  ") == b""


@pytest.mark.usefixtures("body_model")
def test_unknown_fields_are_dropped_at_every_depth_and_values_kept_as_sent() -> None:
    sent = {"name": "x", "junk": 1, "stock": {"available": 3, "junk": {"a": 1}},
            "lineItems": [{"available": 1, "extra": True}, {"available": 2}]}
    clean = json.loads(spec_validation.check_body(POST, json.dumps(sent).encode()))
    assert clean == {"name": "x", "stock": {"available": 3},
                     "lineItems": [{"available": 1}, {"available": 2}]}


def test_an_integer_beyond_its_format_is_out_of_range() -> None:
    offset = Param("offset", "offset", "query", False, "integer", minimum=0, format="int32")
    operation = dataclasses.replace(OP, params=(offset,))
    spec_validation.check_params(operation, _request(f"offset={2**31 - 1}", path_params=GOOD_ID))
    with pytest.raises(ApiError) as caught:
        spec_validation.check_params(operation, _request(f"offset={2**31}", path_params=GOOD_ID))
    assert (caught.value.status, caught.value.refusal) == (422, "range")


def test_a_required_upload_without_its_file_is_refused() -> None:
    upload = Operation("upload", "PUT", "/files/{id}", "files.upload", "files", "", None,
                       body_required=True, request_media_types=("application/pdf",))
    with pytest.raises(ApiError) as caught:
        spec_validation.check_body(upload, b"")
    assert caught.value.refusal == "body"
    assert spec_validation.check_body(upload, b"%PDF-1.4") == b"%PDF-1.4"
