"""The conformance check itself: good exchanges pass, bad ones are reported."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.conformance import ConformanceRecorder, check, load_spec
from allegro_async.testing.emulator.front import Exchange
from tests.conftest import LEGACY_SPEC, require_spec

pytest_plugins = ["pytester"]

VND = {"content-type": PUBLIC_MEDIA_TYPE}
ROOT = Path(__file__).resolve().parents[2]


def _me(body: object, status: int = 200, query: str = "") -> Exchange:
    return Exchange(
        method="GET", path="/me", query=query, template="/me",
        request_headers={"accept": PUBLIC_MEDIA_TYPE, "authorization": "Bearer x"},
        request_body=b"", status=status, response_headers=VND,
        response_body=json.dumps(body).encode(),
    )


async def test_real_emulator_answers_conform() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    emulator = Emulator()
    emulator.recorder = recorder
    async with emulator.client(0) as client:
        await client.request("GET", "/me")
    report = check(recorder, spec, LEGACY_SPEC)
    assert report.checked == 1
    assert report.violations == [], report.format()


def test_wrong_response_body_is_reported() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    recorder.record(_me({"id": 1, "login": "x"}))
    report = check(recorder, spec)
    assert len(report.violations) == 1
    violation = report.violations[0]
    assert (violation.route, violation.status, violation.part) == ("GET /me", 200, "response")
    assert "not of type 'string'" in violation.message


def test_invalid_accepted_request_is_reported() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    exchange = _me({"errors": []})
    exchange.path = exchange.template = "/order/events"
    exchange.query = "limit=5000"
    recorder.record(exchange)
    report = check(recorder, spec)
    parts = {v.part for v in report.violations}
    assert "request" in parts
    assert any("maximum" in v.message for v in report.violations)


def test_unknown_operation_and_undeclared_fault_statuses() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    ghost = _me({})
    ghost.template = "/not/in/the/spec"
    recorder.record(ghost)
    recorder.record(_me({"errors": []}, status=503))
    report = check(recorder, spec)
    assert [v.message for v in report.violations] == ["the spec has no such operation"]
    assert report.skipped == {"undeclared 503": 1}


def test_recorder_keeps_a_bounded_sample_per_route_and_status() -> None:
    recorder = ConformanceRecorder(per_key=2)
    for _ in range(5):
        recorder.record(_me({}))
    recorder.record(_me({}, status=404))
    assert recorder.seen == 6
    assert len(recorder.exchanges()) == 3
    assert not recorder.wants("POST", "/auth/oauth/token", "/auth/oauth/token")
    assert not recorder.wants("GET", None, "/nothing")


# -- the spec cache is JSON in a private directory (no pickle, no shared temp dir) -----------
def _tiny_spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text("openapi: 3.0.1\npaths:\n  /me:\n    get:\n      responses: {}\n")
    return path


def test_spec_cache_is_json_in_a_private_dir(tmp_path: Path) -> None:
    spec = _tiny_spec(tmp_path)
    cache = tmp_path / "cache"
    first = load_spec(spec, cache_dir=cache)
    files = list(cache.iterdir())
    assert [f.suffix for f in files] == [".json"]
    assert json.loads(files[0].read_text()) == first
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    # the second load comes from the cache: prove it by changing the cached copy
    files[0].write_text(json.dumps({"openapi": "3.0.1", "paths": {}, "cached": True}))
    assert load_spec(spec, cache_dir=cache)["cached"] is True


def test_spec_cache_is_not_used_in_a_shared_dir(tmp_path: Path) -> None:
    spec = _tiny_spec(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    loaded = load_spec(spec, cache_dir=shared)
    assert loaded["paths"]["/me"]["get"]["responses"] == {}
    assert list(shared.iterdir()) == []  # nothing written where others could tamper


# -- every response is represented: one exchange per shape; requests checked unless marked ---
def test_recorder_keeps_one_exchange_per_shape() -> None:
    recorder = ConformanceRecorder()
    for login in ("a", "b", "c"):
        recorder.record(_me({"id": "1", "login": login}))  # same shape, other values
    recorder.record(_me({"id": "1", "login": "a", "email": "x@y"}))  # a new key
    recorder.record(_me({"items": [{"a": 1}] * 3}))
    recorder.record(_me({"items": [{"a": 2}]}))  # a list of one has the shape of three
    assert recorder.seen == 6
    assert len(recorder.exchanges()) == 3


def test_bad_request_with_error_status_is_reported_unless_marked() -> None:
    spec = require_spec()
    unmarked, marked = ConformanceRecorder(), ConformanceRecorder()
    for recorder in (unmarked, marked):
        exchange = _me({"errors": []}, status=422)
        exchange.path = exchange.template = "/order/events"
        exchange.query = "limit=5000"
        if recorder is marked:
            exchange.request_headers = {**exchange.request_headers,
                                        "x-emulator-expect-invalid": "1"}
        recorder.record(exchange)
    report = check(unmarked, spec)
    assert any(v.part == "request" and "maximum" in v.message for v in report.unmarked)
    assert "unmarked bad input" in report.format()
    assert report.failed and not report.violations  # unmarked bad input alone fails the run
    assert not check(marked, spec).failed
    assert not [v for v in check(marked, spec).unmarked + check(marked, spec).violations
                if v.part == "request"]


def test_bad_request_that_was_served_is_a_violation() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    exchange = _me({"events": []}, status=200)  # served (not refused) though invalid
    exchange.path = exchange.template = "/order/events"
    exchange.query = "limit=5000"
    recorder.record(exchange)
    assert any(v.part == "request" for v in check(recorder, spec).violations)


async def test_expect_invalid_context_marks_in_process_requests() -> None:
    recorder = ConformanceRecorder()
    emulator = Emulator()
    emulator.recorder = recorder
    async with emulator.client(0) as client:
        with recorder.expect_invalid():
            await client.request("GET", "/me")
        await client.request("GET", "/me")
    assert sorted(e.expect_invalid for e in recorder.exchanges()) == [False, True]


def test_empty_checkout_forms_page_is_a_known_spec_quirk() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    exchange = _me({"checkoutForms": [], "count": 0, "totalCount": 0})
    exchange.path = exchange.template = "/order/checkout-forms"
    recorder.record(exchange)
    report = check(recorder, spec)
    assert report.violations == [], report.format()
    assert report.skipped.get("spec quirk", 0) >= 1


def test_invalid_request_answered_with_an_undeclared_status_is_unmarked_bad_input() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    exchange = _me({"errors": []}, status=429)  # a limit answered before any validation
    exchange.path = exchange.template = "/order/events"
    exchange.query = "limit=5000"
    recorder.record(exchange)
    report = check(recorder, spec)
    assert [v.part for v in report.unmarked] == ["request"]
    assert report.skipped == {"undeclared 429": 1}  # its response is still not judged


def test_media_type_is_part_of_the_shape_and_the_test_is_named() -> None:
    spec = require_spec()
    recorder = ConformanceRecorder()
    for content_type, test in ((PUBLIC_MEDIA_TYPE, "t.py::good"), ("application/json",
                                                                  "t.py::bad")):
        recorder.current_test = test
        exchange = _me({"errors": []}, status=422)
        exchange.method, exchange.path = "PUT", "/sale/offer-price-change-commands/c1"
        exchange.template = "/sale/offer-price-change-commands/{commandId}"
        exchange.request_headers = {**exchange.request_headers, "content-type": content_type}
        exchange.request_body = b'{"offerCriteria": []}'
        recorder.record(exchange)
    assert len(recorder.exchanges()) == 2  # the json one is not hidden behind the vnd one
    report = check(recorder, spec)
    assert [v.sent_by for v in report.unmarked] == ["t.py::bad"]
    assert "[sent by t.py::bad]" in report.format()
    assert "x-emulator-expect-invalid: 1" in report.format()


def test_unmarked_bad_input_fails_the_suite_and_says_how_to_mark_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_spec()
    pytester.makeini("[pytest]\nasyncio_mode = auto\n"
                     "asyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        "from tests.conftest import (  # noqa: F401\n"
        "    _record_emulator_exchanges, pytest_runtest_protocol, pytest_sessionfinish)\n")
    pytester.makepyfile(test_inner="""
        import httpx
        from allegro_async.testing import Emulator

        PATH = "/sale/offer-price-change-commands/5d2f1f3c-3d1e-4a8e-9b8a-0c7f7a1e2b3c"

        async def send(headers):
            emulator = Emulator()
            async with httpx.AsyncClient(transport=emulator.transport(),
                                         base_url="http://allegro.emulator") as http:
                response = await http.put(PATH, content=b'{"offerCriteria": 7}', headers={
                    "Authorization": "Bearer " + emulator.mint_token(0),
                    "Accept": "application/vnd.allegro.public.v1+json",
                    "Content-Type": "application/vnd.allegro.public.v1+json", **headers})
            assert response.status_code == 422

        async def test_marked():
            await send({"x-emulator-expect-invalid": "1"})

        async def test_unmarked():
            await send({})
    """)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("ALLEGRO_CONFORMANCE", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)  # every test passed, yet the run fails:
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "unmarked bad input: PUT /sale/offer-price-change-commands/{commandId}" in out
    assert "[sent by test_inner.py::test_unmarked]" in out
    assert "[sent by test_inner.py::test_marked]" not in out
    assert "x-emulator-expect-invalid: 1" in out
