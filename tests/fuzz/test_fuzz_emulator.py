"""Schemathesis against the served emulator, over every operation of Allegro's spec.

Each operation gets a few generated requests (deterministic: derandomised hypothesis), sent
with a seller token holding every scope; the emulator must never answer 5xx, must answer in
the declared media types, and its bodies must fit the spec. The spec's quirk that ``count``
and ``totalCount`` have a minimum of 1, although an empty page has 0 of them, is left aside
(as :mod:`allegro_async.testing.conformance` does).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from allegro_async.testing import Emulator  # noqa: E402
from allegro_async.testing.conformance import load_spec  # noqa: E402
from allegro_async.testing.emulator import spec_index  # noqa: E402
from allegro_async.testing.emulator.limits import LimitsConfig  # noqa: E402
from allegro_async.testing.server import serve_in_thread  # noqa: E402

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "allegro-openapi.yaml"
#: Generated requests per operation (ALLEGRO_FUZZ_EXAMPLES overrides, e.g. for a long run).
EXAMPLES = int(os.environ.get("ALLEGRO_FUZZ_EXAMPLES", "3"))
#: Failures that are the spec's, not the emulator's: (check, message fragment).
SPEC_QUIRKS = (("response_schema_conformance", "is less than the minimum of 1"),)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, str, str]]:
    """The emulator on 127.0.0.1 (a free port), with a seller token holding every scope."""
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    scopes = sorted({s for op in spec_index.operations().values() for s in op.scopes})
    token = emulator.mint_token(0, scopes=scopes)
    with serve_in_thread(emulator) as url:
        yield emulator, url, token


def _schema() -> Any:
    if not SPEC.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {SPEC} (it lives in ../shared/spec)")
    return schemathesis.openapi.from_dict(load_spec(SPEC))


def _checks() -> list[Any]:
    from schemathesis import checks

    return [checks.not_a_server_error, checks.status_code_conformance,
            checks.content_type_conformance, checks.response_schema_conformance]


def _quirk(error: BaseException) -> bool:
    text = str(error)
    return any(fragment in text for _, fragment in SPEC_QUIRKS)


def test_every_operation_survives_the_fuzzer(served: tuple[Emulator, str, str]) -> None:
    _, url, token = served
    schema = _schema()
    checks = _checks()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                   checks=checks, timeout=30)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                run()
            except BaseException as exc:  # schemathesis raises an exception group
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                if not _quirk(exc):
                    failures.append(f"{operation.method.upper()} {operation.path}: "
                                    f"{str(exc)[:800]}")
    assert operations == len(spec_index.operations())
    assert not failures, f"{len(failures)} operation(s) failed:\n" + "\n\n".join(failures)
