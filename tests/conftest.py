"""Shared fixtures: an emulator and a client wired to it, the spec files."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from allegro_async import AllegroClient
from allegro_async.testing import Emulator
from allegro_async.testing.conformance import ConformanceRecorder, check, recording

SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "spec"
SPEC = SPEC_DIR / "allegro-openapi.yaml"
LEGACY_SPEC = SPEC_DIR / "allegro-openapi-2020-legacy.yaml"


@pytest.fixture
def emulator() -> Emulator:
    """A fresh production-mode emulator with real-time limits."""
    return Emulator()


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[AllegroClient]:
    """A client for the emulator's first seller, in-process."""
    async with emulator.client(0) as c:
        yield c


def require_spec(path: Path = SPEC) -> Path:
    """The spec file, or skip the test with the reason."""
    if not path.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {path} (it lives in ../shared/spec)")
    return path


# -- conformance: every emulator response in the suite is checked against Allegro's spec -------
# (owned by the emulator platform; see docs/emulator.md#conformance). ALLEGRO_CONFORMANCE=warn
# reports without failing, =off skips the check.
_CONFORMANCE = ConformanceRecorder()


@pytest.fixture(autouse=True, scope="session")
def _record_emulator_exchanges() -> Iterator[None]:
    """Record what every emulator answers during the session (bounded, deduplicated)."""
    with recording(_CONFORMANCE):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Remember which test is running, so a failure names the test that sent the request."""
    _CONFORMANCE.current_test = item.nodeid
    try:
        return (yield)
    finally:
        _CONFORMANCE.current_test = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Validate the recorded exchanges against the spec; violations and unmarked bad input
    (an invalid request no test marked with ``expect_invalid``) fail the run."""
    mode = os.environ.get("ALLEGRO_CONFORMANCE", "fail").lower()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def say(text: str) -> None:
        if reporter is not None:
            reporter.write_line(text)

    if mode == "off" or not _CONFORMANCE.samples:
        return
    if reporter is not None:
        reporter.write_sep("-", "conformance of emulator responses to Allegro's OpenAPI spec")
    if not SPEC.exists():
        say(f"conformance: skipped, Allegro's OpenAPI spec is not at {SPEC}")
        return
    report = check(_CONFORMANCE, SPEC, LEGACY_SPEC)
    say("conformance: " + report.format().replace("\n", "\nconformance: "))
    if report.failed and mode != "warn":
        say("conformance: FAILED: the run fails (see the lines above; ALLEGRO_CONFORMANCE=warn "
            "only reports)")
    if report.failed and mode != "warn" and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# -- strict parsing: in this suite a 2xx body that does not fit its generated model fails the
# test (users get the lenient fallback: the data kept, a warning logged).
@pytest.fixture(autouse=True, scope="session")
def _parse_strictly() -> Iterator[None]:
    """Parse every generated operation's answer strictly for the whole session."""
    from allegro_async.api._runtime import strict_parsing

    with strict_parsing():
        yield
