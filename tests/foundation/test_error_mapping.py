"""Each status to its exception, with error bodies taken from the spec's own examples (A7)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml

from allegro_async import (
    AllegroClient,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnprocessableEntityError,
)
from tests.conftest import require_spec
from tests.foundation.conftest import BARE

EXPECTED_CLASS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    406: NotAcceptableError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitedError,
}
TRACE_HEADER_NAMES = ("trace-id", "Trace-Id", "TRACE-ID")  # A11: header names vary in case


def expected_class(status: int) -> type[APIError]:
    """The class the library must raise for ``status``."""
    return EXPECTED_CLASS.get(status) or (ServerError if status >= 500 else APIError)


class _Spec:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target: Any = self.doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node, seen = target, seen + 1
        return node

    def example(self, schema: Any, depth: int = 0) -> Any:
        """An example built from the schema's own ``example`` values."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 8:
            return None
        if "example" in schema:
            return schema["example"]
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.example(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged or None
        if "properties" in schema:
            out = {}
            for name, prop in schema["properties"].items():
                value = self.example(prop, depth + 1)
                if value is not None:
                    out[name] = value
            return out
        if schema.get("type") == "array":
            item = self.example(schema.get("items"), depth + 1)
            return [item] if item is not None else []
        return None

    def error_examples(self) -> Iterator[tuple[int, str, Any, str]]:
        """(status, content type, body, where) for every error response example."""
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict):
                    continue
                for status, response in op.get("responses", {}).items():
                    if not str(status).isdigit() or int(status) < 400:
                        continue
                    response = self.resolve(response)
                    for ctype, media in (response.get("content") or {}).items():
                        where = f"{method.upper()} {path} {status}"
                        if "example" in media:
                            yield int(status), ctype, media["example"], where + " example"
                        for name, ex in (media.get("examples") or {}).items():
                            ex = self.resolve(ex)
                            if isinstance(ex, dict) and "value" in ex:
                                yield int(status), ctype, ex["value"], f"{where} {name}"
                        built = self.example(media.get("schema"))
                        if built:
                            yield int(status), ctype, built, where + " schema"


@pytest.fixture(scope="module")
def spec_error_cases() -> list[tuple[int, str, Any, str]]:
    """Distinct error bodies of the spec, with a status each: examples and schema examples."""
    with require_spec().open(encoding="utf-8") as f:
        spec = _Spec(yaml.load(f, Loader=yaml.CSafeLoader))
    cases: dict[tuple[int, str], tuple[int, str, Any, str]] = {}
    for status, ctype, body, where in spec.error_examples():
        cases.setdefault((status, json.dumps(body, sort_keys=True)), (status, ctype, body, where))
    return list(cases.values())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def check_parsed(exc: APIError, body: Any) -> None:
    """The exception holds every field of the body, whichever of the two shapes it has."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        assert len(exc.errors) == len(body["errors"])
        for got, sent in zip(exc.errors, body["errors"], strict=True):
            assert got.code == _text(sent.get("code"))
            assert got.message == _text(sent.get("message"))
            assert got.details == _text(sent.get("details"))
            assert got.path == _text(sent.get("path"))
            assert got.user_message == _text(sent.get("userMessage"))
            meta = sent.get("metadata")
            assert got.metadata == (meta if isinstance(meta, dict) else {})
        if body["errors"] and body["errors"][0].get("code"):
            assert exc.code == body["errors"][0]["code"]
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        assert exc.oauth_error == body["error"]
        assert exc.oauth_error_description == body.get("error_description")
        assert exc.code == (exc.errors[0].code if exc.errors else None) or body["error"]


def answering(box: dict[str, httpx.Response]) -> Callable[[httpx.Request], httpx.Response]:
    """A transport handler that answers whatever response is in ``box``."""
    return lambda request: box["response"]


async def test_spec_error_examples_parse_into_typed_errors(
    spec_error_cases: list[tuple[int, str, Any, str]],
) -> None:
    statuses = {status for status, *_ in spec_error_cases}
    shapes = {"errors" if "errors" in body else "error" for _, _, body, _ in spec_error_cases
              if isinstance(body, dict)}
    # the spec's examples must give us both A7 shapes and the main statuses, or this proves little
    assert {"errors", "error"} <= shapes
    assert {400, 401, 403, 404, 409, 422} <= statuses
    assert len(spec_error_cases) >= 20
    box: dict[str, httpx.Response] = {}
    transport = httpx.MockTransport(answering(box))
    async with AllegroClient("spec-example-token", **BARE, transport=transport) as client:
        for i, (status, ctype, body, where) in enumerate(spec_error_cases):
            trace = f"trace-{i}"
            box["response"] = httpx.Response(
                status, json=body,
                headers={"content-type": ctype, TRACE_HEADER_NAMES[i % 3]: trace},
            )
            with pytest.raises(APIError) as info:
                await client.request("PATCH", f"/case/{i}", params={"q": "1"}, json={})
            exc = info.value
            assert type(exc) is expected_class(status) or (
                isinstance(exc, expected_class(status))
            ), where
            assert exc.status_code == status, where
            assert exc.trace_id == trace, where
            assert (exc.method, exc.path) == ("PATCH", f"/case/{i}"), where
            assert f"{status} PATCH /case/{i}" in str(exc) and trace in str(exc), where
            check_parsed(exc, body)


ALLEGRO_BODY = {"errors": [{
    "code": "VALIDATION_ERROR", "message": "Invalid value", "details": "limit > 1000",
    "path": "limit", "userMessage": "Popraw dane", "metadata": {"max": "1000"},
}]}
OAUTH_BODY = {"error": "invalid_token", "error_description": "Access token expired"}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 406, 409, 412, 418, 422, 429, 500,
                                    502, 503, 504])
@pytest.mark.parametrize("body", [ALLEGRO_BODY, OAUTH_BODY], ids=["allegro", "oauth"])
async def test_each_status_maps_to_its_exception(
    status: int, body: dict[str, Any], mock_client: Callable[..., AllegroClient]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"Trace-Id": "tid-1"})

    async with mock_client(handler) as client:
        with pytest.raises(APIError) as info:
            await client.request("GET", "/sale/offers/1")
    exc = info.value
    assert type(exc) is expected_class(status)
    assert (exc.status_code, exc.trace_id, exc.method, exc.path) == (
        status, "tid-1", "GET", "/sale/offers/1"
    )
    check_parsed(exc, body)
    if body is ALLEGRO_BODY:
        detail = exc.errors[0]
        assert (detail.details, detail.path, detail.user_message) == (
            "limit > 1000", "limit", "Popraw dane"
        )
        assert detail.metadata == {"max": "1000"}
        assert "VALIDATION_ERROR Invalid value (at limit)" in exc.message


def test_error_response_is_kept_but_not_shown() -> None:
    request = httpx.Request("GET", "https://api.allegro.pl/x")
    response = httpx.Response(404, json=ALLEGRO_BODY, request=request)
    from allegro_async.errors import error_for_response

    exc = error_for_response(response)
    assert exc.response is response
    assert (exc.method, exc.path) == ("GET", "/x")
    assert "Response" not in str(exc) and "Response" not in repr(exc)
    assert repr(exc).startswith("NotFoundError(")
