"""The index: every spec operation once, each reachable on ``client.api`` as its record says."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from importlib import resources
from typing import Any

from pydantic import BaseModel

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS, resolve_model
from tests.api.conftest import spec_operations


def test_every_operation_id_is_indexed_exactly_once(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in spec_operations(spec)]
    assert len(ids) == 267
    assert Counter(ids) == Counter(list(OPERATIONS))
    assert all(OPERATIONS[i].operation_id == i for i in ids)


def test_every_index_name_is_a_method_of_client_api() -> None:
    client = AllegroClient(access_token="t")
    names = [op.name for op in OPERATIONS.values()]
    assert len(set(names)) == len(names)
    for op in OPERATIONS.values():
        area, method = op.name.split(".")
        assert area == op.area
        bound = getattr(getattr(client.api, area), method)
        assert callable(bound), op.name
        assert callable(getattr(getattr(client.api, area).with_raw_response, method)), op.name


def test_index_records_match_the_spec(spec: dict[str, Any]) -> None:
    for method, path, raw in spec_operations(spec):
        op = OPERATIONS[raw["operationId"]]
        assert (op.method, op.path) == (method, path)
        body = raw.get("requestBody") or {}
        if "$ref" in body:
            body = spec["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[1]]
        assert op.request_media_types == tuple(body.get("content") or ())
        security = raw.get("security", spec["security"])
        assert op.scopes == tuple(
            s for r in security for s in r.get("bearer-token-for-user", [])
        )
        assert op.app_token_allowed == any("bearer-token-for-application" in r for r in security)
        wire = {(p["in"], p["name"]) for p in raw.get("parameters", []) if "name" in p}
        assert wire <= {(p.location, p.name) for p in op.params}


def test_every_indexed_model_resolves() -> None:
    for op in OPERATIONS.values():
        for dotted in (op.request_model, op.response_model):
            if dotted:
                model = resolve_model(dotted)
                assert issubclass(model, BaseModel) and model.__name__ == dotted.split(".")[-1]


def test_uploads_go_to_the_upload_host_the_spec_names(spec: dict[str, Any]) -> None:
    upload = {op["operationId"] for _, path, op in spec_operations(spec)
              if any("upload." in s["url"] for s in op.get("servers", []))}
    assert upload, "the spec names upload.allegro.pl for image and attachment uploads"
    assert {k for k, op in OPERATIONS.items() if op.host == "upload"} == upload


def test_import_allegro_async_does_not_load_the_generated_layer() -> None:
    code = ("import sys, allegro_async; c = allegro_async.AllegroClient(access_token='t'); "
            "print(sorted(m for m in sys.modules if m.startswith('allegro_async.api')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_index_is_a_data_file_read_on_first_use() -> None:
    # the records as JSON rows, not as Python source to compile and unmarshal
    table = resources.files("allegro_async.api").joinpath("_index.json")
    rows = json.loads(table.read_bytes())["operations"]
    assert [row[0] for row in rows] == sorted(OPERATIONS)
    from allegro_async.api import _index

    assert _index.load() == dict(OPERATIONS)


def test_a_typed_call_loads_neither_the_index_nor_its_records() -> None:
    code = (
        "import sys, anyio, httpx, allegro_async\n"
        "body = {'checkoutForms': [], 'count': 0, 'totalCount': 0}\n"
        "answer = lambda request: httpx.Response(200, json=body)\n"
        "async def main():\n"
        "    async with allegro_async.AllegroClient(\n"
        "            access_token='t', transport=httpx.MockTransport(answer)) as client:\n"
        "        await client.api.order_management.get_list_of_orders(limit=1)\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in ('allegro_async.api._index', 'allegro_async.api._operation')"
        " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
