"""Checking the emulator against Allegro's OpenAPI spec: record exchanges, then validate them.

The test suite records what every emulator says (one exchange per distinct shape of route,
status, request and response body) and validates them with openapi-core at the end; a
response the real API could not give fails the run. Needs the dev group ``openapi-core``
and ``pyyaml``::

    recorder = ConformanceRecorder()
    with recording(recorder):
        ...  # use any Emulator
    report = check(recorder, Path("allegro-openapi.yaml"))
    assert not report.failed, report.format()
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from allegro_async.testing._spec_cache import load_spec as load_spec
from allegro_async.testing.emulator import front
from allegro_async.testing.emulator.front import Exchange
from allegro_async.testing.emulator.http import VND_TYPES

#: Paths that are not Allegro's REST API and are absent from the spec.
IGNORED_PREFIXES = ("/auth/", "/_emulator/")
#: Statuses the emulator may give that the spec rarely declares (A11 406 and 415, limits' 429,
#: faults, and the 400/422 Allegro answers to a malformed parameter such as Accept-Language
#: or a body breaking its schema).
UNDECLARED_OK = frozenset({400, 403, 406, 415, 422, 429, 500, 502, 503, 504})
#: Places where the spec contradicts what Allegro answers: (route, message fragment). The spec
#: gives checkout-form pages ``count``/``totalCount`` a minimum of 1, yet an empty page (no
#: orders, or an offset past the end) has 0 of them.
SPEC_QUIRKS = (
    ("GET /order/checkout-forms", "0 is less than the minimum of 1"),
    # the spec declares this answer as "application/vnd.allegro.public.v1 +json" (a space)
    ("DELETE /after-sales-service-conditions/return-policies/{returnPolicyId}",
     "'application/vnd.allegro.public.v1 +json'"),
    # its errors are declared with an empty content map (no body), which the emulator
    # follows; openapi-core reads an empty map as a body of no allowed type
    ("GET /charity/fundraising-campaigns", "Missing response data"),
)
#: Paths served by the legacy spec (S22).
LEGACY_PREFIXES = ("/sale/offer-variants",)
SPEC_HOST = "https://api.allegro.pl"
#: Binary uploads live on their own server in the spec.
UPLOAD_HOST = "https://upload.allegro.pl"


#: Request header marking an exchange whose bad input is on purpose (request not validated).
EXPECT_INVALID_HEADER = "x-emulator-expect-invalid"
_EXPECT_INVALID: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "allegro_expect_invalid", default=False
)


#: "key": and its value's JSON type (its first character; empty for a number).
_KEY_AND_TYPE = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*(?:([\[{"tfn])|[-0-9])')
#: Only the start of a body is read for its shape: a long page repeats its items.
SHAPE_BYTES = 65536


def shape(body: bytes) -> frozenset[tuple[bytes, bytes]]:
    """A JSON body's structure without its values: every key with its value's type (the
    first character: object, array, string, number, bool, null). Items of a list share it,
    so pages of 1 and 100 orders look alike. A regex over the first :data:`SHAPE_BYTES` keeps
    this cheap enough to run on every response of the suite."""
    return frozenset(_KEY_AND_TYPE.findall(body[:SHAPE_BYTES]))


class ConformanceRecorder:
    """Keeps one exchange per distinct shape: (method, route template, status, whether bad
    input was expected, query parameter names, request body shape, response body shape).

    Every response the emulator gives is thus represented, and identical-shaped ones are
    validated once (validating each would take minutes for the whole suite).
    """

    def __init__(self, per_key: int = 1) -> None:
        self.per_key = per_key
        self.samples: dict[tuple[Any, ...], list[Exchange]] = {}
        self.seen = 0
        #: The test running now (a pytest node id, set by the suite's conftest): kept with
        #: each sample so a failure names the test that sent the request.
        self.current_test: str | None = None
        self._sent_by: dict[int, str] = {}

    def wants(self, method: str, template: str | None, path: str) -> bool:
        """API requests to known routes only: the rest is not in the spec."""
        return template is not None and not path.startswith(IGNORED_PREFIXES)

    @staticmethod
    @contextlib.contextmanager
    def expect_invalid() -> Iterator[None]:
        """Mark the requests sent inside (in-process emulators) as bad on purpose."""
        token = _EXPECT_INVALID.set(True)
        try:
            yield
        finally:
            _EXPECT_INVALID.reset(token)

    def record(self, exchange: Exchange) -> None:
        """Keep ``exchange`` if its shape is new."""
        self.seen += 1
        if _EXPECT_INVALID.get() or exchange.request_headers.get(EXPECT_INVALID_HEADER) == "1":
            exchange.expect_invalid = True
        names = tuple(sorted({k for k, _ in parse_qsl(exchange.query, keep_blank_values=True)}))
        headers = exchange.request_headers
        key = (
            exchange.method, exchange.template or "?", exchange.status, exchange.expect_invalid,
            # the media types are part of the shape: an application/json body must not hide
            # behind an earlier vnd one of the same keys (A11)
            headers.get("content-type", ""), headers.get("accept", ""),
            names, shape(exchange.request_body), shape(exchange.response_body),
        )
        kept = self.samples.setdefault(key, [])
        if len(kept) < self.per_key:
            kept.append(exchange)
            if self.current_test is not None:
                self._sent_by[id(exchange)] = self.current_test

    def sent_by(self, exchange: Exchange) -> str:
        """The test that sent a kept exchange (``""`` when not known)."""
        return self._sent_by.get(id(exchange), "")

    def exchanges(self) -> list[Exchange]:
        """Every kept sample."""
        return [e for kept in self.samples.values() for e in kept]


@contextlib.contextmanager
def recording(recorder: front.Recorder) -> Iterator[None]:
    """Record every exchange of every emulator while inside."""
    previous = front.GLOBAL.recorder
    front.GLOBAL.recorder = recorder
    try:
        yield
    finally:
        front.GLOBAL.recorder = previous


@dataclass(frozen=True)
class Violation:
    """One way an exchange differs from the spec."""

    route: str
    status: int
    part: str  # "request" or "response"
    message: str
    sent_by: str = ""  # the test's node id, when recorded under pytest

    def __str__(self) -> str:
        where = f" [sent by {self.sent_by}]" if self.sent_by else ""
        return f"{self.route} -> {self.status} ({self.part}): {self.message}{where}"


#: How to mark a request that is wrong on purpose, shown with every unmarked one.
HOW_TO_MARK = (
    "if the test sends it wrong on purpose, mark it: the request header "
    f"'{EXPECT_INVALID_HEADER}: 1', or in-process 'with ConformanceRecorder.expect_invalid():'; "
    "otherwise fix the request (media type, body, parameters) to match the spec"
)


@dataclass
class Report:
    """What :func:`check` found."""

    violations: list[Violation] = field(default_factory=list)
    #: Invalid requests the emulator refused (4xx, or a status the operation does not
    #: declare) that no test marked as bad on purpose: they fail the run like violations, since
    #: a test that sends bad input by mistake tests something else than it claims.
    unmarked: list[Violation] = field(default_factory=list)
    checked: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """Whether anything fails the run: a spec violation or unmarked bad input."""
        return bool(self.violations or self.unmarked)

    def format(self) -> str:
        """Readable lines: one per violation and per unmarked bad input, then a summary."""
        lines = [str(v) for v in self.violations]
        lines += [f"unmarked bad input: {v}" for v in self.unmarked]
        if self.unmarked:
            lines.append(f"unmarked bad input: {HOW_TO_MARK}")
        lines.append(
            f"{len(self.violations)} spec violation(s) and {len(self.unmarked)} unmarked bad "
            f"input(s) in {self.checked} checked exchanges "
            f"({self.seconds:.1f} s; skipped: {self.skipped or 'none'})"
        )
        return "\n".join(lines)


def _openapi(spec: dict[str, Any]) -> Any:
    from openapi_core import Config, OpenAPI

    config = Config(
        # The spec itself is Allegro's; validating it costs ~7 s and is not our check.
        spec_validator_cls=None,
        # '*/*' (any type) is read as JSON when it is JSON: Allegro's errors declared so
        # carry errors[], and their shape is the spec's to judge too
        extra_media_type_deserializers={**{t: json.loads for t in VND_TYPES},
                                        "*/*": _json_or_raw},
    )
    return OpenAPI.from_dict(spec, config=config)


def _json_or_raw(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body


def _declared(spec: dict[str, Any], exchange: Exchange) -> bool | None:
    """Whether the spec declares the exchange's status for its operation (``None``: no such
    operation)."""
    template = exchange.template or ""
    operation = spec.get("paths", {}).get(template, {}).get(exchange.method.lower())
    if operation is None:
        return None
    responses = operation.get("responses", {})
    return str(exchange.status) in responses or "default" in responses


def _any_media_type(spec: dict[str, Any], exchange: Exchange) -> bool:
    """Whether the spec declares the exchange's response only as ``*/*``."""
    operation = spec.get("paths", {}).get(exchange.template or "", {}).get(
        exchange.method.lower(), {})
    response = operation.get("responses", {}).get(str(exchange.status), {})
    return list((response.get("content") or {}).keys()) == ["*/*"]


def _message(exc: Exception) -> str:
    parts = [str(exc)]
    cause = exc.__cause__
    for error in getattr(cause, "schema_errors", ()) or ():
        parts.append(getattr(error, "message", str(error)))
    if cause is not None and not getattr(cause, "schema_errors", None):
        parts.append(str(cause))
    text = " | ".join(dict.fromkeys(p for p in parts if p))
    return text if len(text) <= 600 else text[:600] + "..."


def _mock(exchange: Exchange) -> tuple[Any, Any]:
    from openapi_core.testing import MockRequest, MockResponse

    from allegro_async.testing.emulator import spec_index

    operation = spec_index.operation_at(exchange.method, exchange.template or "")
    host = UPLOAD_HOST if operation is not None and operation.host == "upload" else SPEC_HOST
    request = MockRequest(
        host, exchange.method.lower(), exchange.path,
        args=parse_qsl(exchange.query, keep_blank_values=True),  # type: ignore[arg-type]
        headers=exchange.request_headers,
        data=exchange.request_body or None,
        content_type=exchange.request_headers.get("content-type", "application/json"),
    )
    response_type = exchange.response_headers.get("content-type", "application/json")
    response = MockResponse(
        exchange.response_body, status_code=exchange.status,
        headers=exchange.response_headers, content_type=response_type.split(";")[0],
    )
    return request, response


def check(
    recorder: ConformanceRecorder, spec_path: Path, legacy_path: Path | None = None
) -> Report:
    """Validate the recorded samples against the spec(s).

    Responses are always validated; requests too, except those marked as bad on purpose
    (:data:`EXPECT_INVALID_HEADER` or :meth:`ConformanceRecorder.expect_invalid`). Statuses
    in :data:`UNDECLARED_OK` are skipped when the operation does not declare them.
    """
    started = time.perf_counter()
    report = Report()
    specs = {"main": load_spec(spec_path)}
    if legacy_path is not None and legacy_path.exists():
        specs["legacy"] = load_spec(legacy_path)
    apis: dict[str, Any] = {}
    for exchange in recorder.exchanges():
        which = "legacy" if exchange.path.startswith(LEGACY_PREFIXES) else "main"
        if which not in specs:
            report.skipped["no legacy spec"] = report.skipped.get("no legacy spec", 0) + 1
            continue
        spec = specs[which]
        route = f"{exchange.method} {exchange.template}"
        declared = _declared(spec, exchange)
        if declared is None:
            report.violations.append(Violation(
                route, exchange.status, "route", "the spec has no such operation"))
            continue
        undeclared = not declared and exchange.status in UNDECLARED_OK
        if undeclared:
            # the response (a limit's 429, an injected fault) is not the spec's to judge, but
            # the request the test sent still is
            key = f"undeclared {exchange.status}"
            report.skipped[key] = report.skipped.get(key, 0) + 1
            if exchange.expect_invalid:
                continue
        if _any_media_type(spec, exchange) and not exchange.response_headers.get(
                "content-type", "").split(";")[0].endswith("json"):
            # a file declared as '*/*' (any type) has no schema to check
            report.skipped["any media type"] = report.skipped.get("any media type", 0) + 1
            continue
        if which not in apis:
            apis[which] = _openapi(spec)
        sent_by = recorder.sent_by(exchange)
        for violation in _validate(apis[which], exchange, route, response=not undeclared):
            violation = replace(violation, sent_by=sent_by)
            if any(r == route and m in violation.message for r, m in SPEC_QUIRKS):
                report.skipped["spec quirk"] = report.skipped.get("spec quirk", 0) + 1
            elif violation.part == "request" and (undeclared or 400 <= violation.status < 500):
                report.unmarked.append(violation)  # refused, as a bad request should be
            else:
                report.violations.append(violation)
        if not undeclared:
            report.checked += 1
    report.violations = sorted(set(report.violations), key=str)
    report.unmarked = sorted(set(report.unmarked), key=str)
    report.seconds = time.perf_counter() - started
    return report


def _validate(api: Any, exchange: Exchange, route: str, *, response: bool = True
              ) -> list[Violation]:
    request, mock_response = _mock(exchange)
    found: list[Violation] = []
    with warnings.catch_warnings():
        # openapi-core warns once per call about Allegro's OAuth2 scheme; noise here
        warnings.simplefilter("ignore")
        if not exchange.expect_invalid:
            try:
                api.validate_request(request)
            except Exception as exc:
                if not _is_security_only(exc):
                    found.append(Violation(route, exchange.status, "request", _message(exc)))
        if not response:
            return found
        try:
            api.validate_response(request, mock_response)
        except Exception as exc:
            found.append(Violation(route, exchange.status, "response", _message(exc)))
    return found


def _is_security_only(exc: Exception) -> bool:
    """Security checks are the emulator's own (tokens, S8), not the spec's shape."""
    return type(exc).__name__ in ("SecurityNotFound", "SecurityValidationError")
