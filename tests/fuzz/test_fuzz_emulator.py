"""Schemathesis against the served emulator, over every operation of Allegro's spec.

The emulator runs with its rate limits off; schemathesis runs every phase it has (the spec's
examples, coverage of boundary and invalid values, fuzzing, and stateful sequences over the
links it infers) with positive and negative data, sending a seller token holding every scope.
Its checks: no 5xx, only documented statuses, documented media types, bodies that fit the
spec, and no request that breaks the spec accepted. Deterministic: every run sends the same
requests. ``ALLEGRO_FUZZ_EXAMPLES`` (default 1) sets the generated requests per operation and
phase, ``ALLEGRO_FUZZ_PHASES`` (default ``examples,coverage,fuzzing,stateful``) the phases::

    ALLEGRO_FUZZ_EXAMPLES=25 python -m pytest -q tests/fuzz -s   # a long run

The default run takes about 2.5 minutes of CPU on a 2-core machine (most of it generating
cases from the spec's large schemas); ``ALLEGRO_FUZZ_PHASES=coverage`` alone takes about 45 s.
The coverage phase's requests with methods the spec does not have are left out (their check,
``unsupported_method``, is not run).

Where the spec is silent the emulator answers as Allegro does, and those answers are counted,
not failed: a refusal with Allegro's 400/422/415 (A7) on an operation that documents none of
them.
"""

from __future__ import annotations

import collections
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if sys.version_info < (3, 11):  # schemathesis 4 needs 3.11; the dev group installs it there
    pytest.skip("schemathesis 4 needs Python 3.11 or newer", allow_module_level=True)

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from allegro_async.testing import Emulator
from allegro_async.testing.conformance import load_spec
from allegro_async.testing.emulator import spec_index, spec_rules
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.testing.server import serve_in_thread

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "allegro-openapi.yaml"
EXAMPLES = int(os.environ.get("ALLEGRO_FUZZ_EXAMPLES", "1"))
PHASES = frozenset(os.environ.get("ALLEGRO_FUZZ_PHASES",
                                  "examples,coverage,fuzzing,stateful").split(","))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection")
#: Failures that are the spec's or the fuzzer's, not the emulator's: (check, fragment).
SPEC_QUIRKS = (
    # an empty page of checkout forms has count and totalCount 0; the spec's minimum is 1
    ("response_schema_conformance", "is less than the minimum of 1"),
    # the spec declares this answer as "application/vnd.allegro.public.v1 +json" (a space)
    ("content_type_conformance", "public.v1 +json"),
    # MessageRequest requires an "attachment" its properties call "attachments"
    ("negative_data_rejection", "Missing required property: attachment"),
    # a header the spec does not name is ignored, by Allegro as by any HTTP server
    ("negative_data_rejection", "object with unexpected properties"),
)
#: Statuses Allegro answers to a refusal the operation's spec documents no status for (A7).
ALLEGRO_REFUSALS = frozenset({400, 415, 422})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    """The emulator on 127.0.0.1 (a free port), with a seller token holding every scope."""
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    emulator.recorder = _Unrecorded()  # schemathesis checks every answer itself
    scopes = sorted({s for op in spec_index.operations().values() for s in op.scopes})
    token = emulator.mint_token(0, scopes=scopes)
    with serve_in_thread(emulator) as url:
        yield url, token


class _Unrecorded:
    """Keeps the fuzzer's thousands of exchanges out of the suite's conformance recorder."""

    def wants(self, method: str, template: str | None, path: str) -> bool:
        return False

    def record(self, exchange: Any) -> None:  # pragma: no cover - never wanted
        raise AssertionError("not recorded")


def _config(url: str, token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "base-url": url,
        # Accept is the front door's (A11, tested on its own)
        "headers": {"Authorization": f"Bearer {token}", "Accept": "*/*"},
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True,
                       "database": "none"},
        "phases": {"examples": {"enabled": "examples" in PHASES},
                   "coverage": {"enabled": "coverage" in PHASES, "unexpected-methods": []},
                   "fuzzing": {"enabled": "fuzzing" in PHASES},
                   "stateful": {"enabled": "stateful" in PHASES, "max-steps": 4}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "suppress-health-check": ["all"],
        "request-timeout": 30,
    })


def _register_file_serializers() -> None:
    """Uploads of PDFs and images: the generated bytes are sent as they are."""

    @schemathesis.serializer("application/pdf", "image/jpeg", "image/png", "image/gif",
                             "image/bmp", "image/tiff", "image/webp")
    def _raw(ctx: Any, value: Any) -> bytes:
        return value if isinstance(value, bytes) else str(value).encode()


def _spec_silent(label: str, failure: Any) -> bool:
    """An undocumented refusal status on an operation whose spec documents none for it."""
    status = getattr(failure, "status_code", None)
    if status not in ALLEGRO_REFUSALS:
        return False
    method, _, path = label.partition(" ")
    operation = spec_index.operation_at(method, path)
    if operation is None:
        return False
    return not spec_rules.statuses(operation.operation_id) & ({400, 422} | (
        {415} if status == 415 else set()))


def test_every_operation_survives_every_phase(served: tuple[str, str]) -> None:
    if not SPEC.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {SPEC} (it lives in ../shared/spec)")
    url, token = served
    _register_file_serializers()
    schema = schemathesis.openapi.from_dict(load_spec(SPEC), config=_config(url, token))
    failures: dict[str, set[str]] = collections.defaultdict(set)
    silent: collections.Counter[str] = collections.Counter()
    phases: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise AssertionError(f"schemathesis stopped: {event.exception!r}")
        if isinstance(event, events.ScenarioFinished):
            phases.add(str(event.phase))
            label = event.recorder.label
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    failure = node.failure_info.failure
                    text = f"{failure.title}: {failure.message}"
                    if any(c == node.name and f in text for c, f in SPEC_QUIRKS):
                        continue
                    if node.name == "status_code_conformance" and _spec_silent(label, failure):
                        silent[f"{failure.status_code}"] += 1
                        continue
                    failures[node.name].add(f"{label}: {text[:600]}")
    print(f"\nfuzz: phases {sorted(phases)}; refusals where the spec documents no status "
          f"(Allegro's own, A7): {dict(silent)}; failures by check: "
          f"{ {name: len(found) for name, found in failures.items()} }")
    assert {"examples", "coverage", "fuzzing"} & PHASES <= {p.lower() for p in phases} | {
        "examples"}  # the spec's examples phase runs only where an operation has examples
    report = "\n\n".join(f"[{name}] {line}" for name, found in sorted(failures.items())
                         for line in sorted(found))
    assert not failures, f"{sum(map(len, failures.values()))} failure(s):\n{report}"
