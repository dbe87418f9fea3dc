"""One set of environment variables: AllegroApp.from_env() and ``allegro-async login`` read the
same ``ALLEGRO_*`` names, refuse bad values naming the variable, and the CLI fails in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from allegro_async import AllegroApp
from allegro_async.auth import _env as env_module
from allegro_async.auth import app as app_module
from allegro_async.errors import InvalidArgumentError
from allegro_async.testing import Emulator
from allegro_async.testing.server import serve_in_thread

ENV = {"ALLEGRO_CLIENT_ID": "env-client", "ALLEGRO_CLIENT_SECRET": "env-secret-0123456789"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("ALLEGRO_PROCESSES", "100000000", "from 1 to 100"),
    ("ALLEGRO_PROCESSES", "\u00b2", "from 1 to 100"),
    ("ALLEGRO_PROCESSES", "0", "from 1 to 100"),
    ("ALLEGRO_ENVIRONMENT", "http://evil.example?.allegro.pl", "query"),
    ("ALLEGRO_ENVIRONMENT", "https://api.allegro.pl.evil.example", "not on allegro.pl"),
    ("ALLEGRO_ENVIRONMENT", "http://api.allegro.pl", "plain http"),
    ("ALLEGRO_ENVIRONMENT", "https://user@api.allegro.pl", "user info"),
    ("ALLEGRO_REDIRECT_URI", "javascript:alert(1)", "not an http(s) URL"),
    ("ALLEGRO_REDIRECT_URI", "http://shop.example/allegro/callback", "plain http"),
])
def test_from_env_refuses_a_bad_value_naming_the_variable(
    name: str, value: str, problem: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        AllegroApp.from_env({**ENV, name: value})
    assert caught.value.field == name
    assert problem in str(caught.value) and "Fix:" in str(caught.value)


@pytest.mark.parametrize(("value", "api", "auth"), [
    ("https://api.allegro.pl.allegrosandbox.pl/", "https://api.allegro.pl.allegrosandbox.pl",
     "https://allegro.pl.allegrosandbox.pl"),
    ("https://api.allegro.pl", "https://api.allegro.pl", "https://allegro.pl"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("http://localhost:8123", "http://localhost:8123", "http://localhost:8123"),
])
async def test_from_env_accepts_allegro_hosts_and_loopback(value: str, api: str, auth: str) -> None:
    environ = {**ENV, "ALLEGRO_ENVIRONMENT": value, "ALLEGRO_PROCESSES": "100",
               "ALLEGRO_REDIRECT_URI": "https://shop.example/allegro/callback"}
    async with AllegroApp.from_env(environ, throttle=None) as app:
        assert (app.environment.api_url, app.environment.auth_url) == (api, auth)
        if api == "https://api.allegro.pl":
            assert app.environment.name == "production"
        assert app.flows.redirect_uri == "https://shop.example/allegro/callback"


def test_the_variables_table_is_the_documented_one() -> None:
    documented = (ROOT / "docs" / "fastapi.md").read_text(encoding="utf-8")
    # app.py and the module that reads the variables for it
    source = "".join(Path(module.__file__).read_text(encoding="utf-8")
                     for module in (app_module, env_module))
    cli = (ROOT / "allegro_async" / "auth" / "cli.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"(ALLEGRO_[A-Z_]+)"', source))
    assert used == set(app_module.ENV_VARIABLES)
    for name in app_module.ENV_VARIABLES:
        assert f"`{name}`" in documented, name
    # The command line spells no variable of its own: it reads them through app.py's helpers.
    assert set(re.findall(r"ALLEGRO_[A-Z_]+", cli)) <= set(app_module.ENV_VARIABLES)


def _cli(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], *args: str) -> object:
    typer_testing = pytest.importorskip("typer.testing")
    from allegro_async.cli import build_app

    for name in app_module.ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return typer_testing.CliRunner().invoke(build_app(), ["login", *args])


def test_login_reads_the_environment_and_token_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    emulator = Emulator()
    emulator.config.oauth.device_auto_approve_after = 0
    emulator.config.oauth.device_interval = 0
    path = tmp_path / "tokens.json"
    with serve_in_thread(emulator) as url:
        result = _cli(monkeypatch, {
            "ALLEGRO_CLIENT_ID": emulator.client_id,
            "ALLEGRO_CLIENT_SECRET": emulator.client_secret,
            "ALLEGRO_ENVIRONMENT": url, "ALLEGRO_TOKEN_FILE": str(path),
        })
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert emulator.sellers[0].id in json.loads(path.read_text(encoding="utf-8"))
    assert emulator.client_secret not in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(("environ", "names"), [
    ({**ENV, "ALLEGRO_ENVIRONMENT": "http://evil.example?.allegro.pl"}, "ALLEGRO_ENVIRONMENT"),
    ({"ALLEGRO_CLIENT_ID": "x"}, "ALLEGRO_CLIENT_SECRET"),
    ({**ENV, "ALLEGRO_ENVIRONMENT": "http://127.0.0.1:1"}, "ConnectError"),
])
def test_login_fails_in_one_line_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environ: dict[str, str], names: str
) -> None:
    result = _cli(monkeypatch, {**environ, "ALLEGRO_TOKEN_FILE": str(tmp_path / "t.json")})
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert len(output.strip().splitlines()) == 1 and names in output, output
    assert "Traceback" not in output and ENV["ALLEGRO_CLIENT_SECRET"] not in output
    assert not (tmp_path / "t.json").exists()
