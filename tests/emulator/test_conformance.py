"""The conformance check itself: good exchanges pass, bad ones are reported."""

from __future__ import annotations

import json

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.conformance import ConformanceRecorder, check
from allegro_async.testing.emulator.front import Exchange
from tests.conftest import LEGACY_SPEC, require_spec

VND = {"content-type": PUBLIC_MEDIA_TYPE}


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
