"""The pytest plugin's fixtures, run in an inner pytest session (pytester)."""

from __future__ import annotations

import sys

import pytest

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def test_fixtures_work_for_a_user_project(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import httpx
        import pytest

        async def test_client(allegro_client, allegro_emulator):
            me = await allegro_client.request("GET", "/me")
            assert me["id"] == allegro_emulator.sellers[0].id

        @pytest.mark.allegro_emulator(sellers=5, time_scale=60)
        def test_marker(allegro_emulator):
            assert len(allegro_emulator.sellers) == 5
            assert allegro_emulator.clock.time_scale == 60

        def test_server(allegro_server, allegro_emulator):
            token = allegro_emulator.mint_token(0)
            r = httpx.get(allegro_server + "/me", headers={
                "Authorization": "Bearer " + token,
                "Accept": "application/vnd.allegro.public.v1+json"})
            assert r.status_code == 200
            assert allegro_emulator.stats.route("GET", "/me") == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3)


def test_config_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makeconftest(
        """
        import pytest
        from allegro_async.testing import EmulatorConfig

        @pytest.fixture
        def allegro_emulator_config():
            return EmulatorConfig(environment="sandbox", seed=42)
        """
    )
    pytester.makepyfile(
        """
        def test_sandbox(allegro_emulator):
            assert allegro_emulator.config.environment == "sandbox"
            assert allegro_emulator.config.seed == 42
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# A plain install (no extras): Starlette and uvicorn are missing. ``sys.modules[name] = None``
# makes every import of them fail as if they were not installed.
_WITHOUT_EXTRA = """
import sys
for name in ("starlette", "uvicorn"):
    sys.modules[name] = None
import sys

import pytest
code = pytest.main(sys.argv[1:])
assert "starlette" not in {m.split(".")[0] for m in sys.modules if sys.modules[m] is not None}
print("PLUGIN_LOADED", "allegro_async.testing.pytest_plugin" in sys.modules)
sys.exit(code)
"""


def _run_without_extra(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makeini(INI)
    script = pytester.makepyfile(runner=_WITHOUT_EXTRA)
    return pytester.run(sys.executable, str(script), "-p", "no:cacheprovider", "-q")


def test_plain_install_leaves_other_projects_pytest_working(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_other="def test_unrelated():\n    assert 1 + 1 == 2\n")
    result = _run_without_extra(pytester)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed*", "PLUGIN_LOADED True"])


def test_fixture_without_extra_names_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_uses="def test_emulator(allegro_emulator):\n    pass\n")
    result = _run_without_extra(pytester)
    assert result.ret == 1
    out = result.stdout.str()
    assert "which is not installed: pip install \"allegro-async[emulator]\"" in out
    assert "ModuleNotFoundError" not in out
