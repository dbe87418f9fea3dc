"""No secret sits in a frame's locals after a failed refresh, code exchange or device poll:
error reporters that capture locals (``traceback`` with ``capture_locals``, rich's
``show_locals``, Sentry) print every frame's variables, containers walked."""

from __future__ import annotations

import base64
import io
import pickle
import traceback
from pathlib import Path
from types import TracebackType

import httpx
import pytest
from rich.console import Console
from rich.traceback import Traceback

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.flows import DeviceAuthorization, OAuthFlows
from allegro_async.auth.tokens import FileTokenStore, Token
from allegro_async.errors import AllegroError, ReauthorizationRequiredError
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows
from tests.auth.test_dead_refresh_tokens import _dead_seller
from tests.auth.test_refresh import _app


def _library_frames(exc: BaseException) -> BaseException:
    """``exc`` with the test's own frame (the caller's code, holding what it chose to hold)
    left out of its traceback."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return exc.with_traceback(tb)


def _rendered(exc: BaseException) -> str:
    """Every frame's locals of ``exc`` and of its causes, as the standard library and rich
    print them (rich walks dicts, lists and dataclasses)."""
    exc = _library_frames(exc)
    plain = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True)
                    .format())
    out = io.StringIO()
    console = Console(file=out, width=20_000, color_system=None)
    console.print(Traceback.from_exception(
        type(exc), exc, exc.__traceback__, show_locals=True, locals_max_length=10_000,
        locals_max_string=100_000, width=20_000, max_frames=0))
    rendered = plain + out.getvalue()
    assert rendered.count(" = ") > 5  # locals were rendered
    return rendered


def _app_secrets(emulator: Emulator) -> list[str]:
    basic = base64.b64encode(f"{emulator.client_id}:{emulator.client_secret}".encode()).decode()
    assert emulator.client_secret
    return [emulator.client_secret, basic]


def _assert_hidden(rendered: str, secrets: list[str]) -> None:
    found = [s[:6] + "..." for s in secrets if s in rendered]
    assert not found, f"secrets in rendered locals: {found}"


async def test_a_failed_refresh_leaves_no_secret_in_any_frame(emulator: Emulator) -> None:
    app = _app(emulator, None)
    key = await _dead_seller(emulator, app)
    dead = await app.store.load(key)
    assert dead is not None and dead.refresh_token
    with pytest.raises(ReauthorizationRequiredError) as caught:
        await app.seller(key).request("GET", "/me")
    assert caught.value.__cause__ is not None  # the token endpoint's refusal, with its frames
    _assert_hidden(_rendered(caught.value),
                   [dead.refresh_token, dead.access_token, *_app_secrets(emulator)])


async def test_a_failed_refresh_on_the_flows_leaves_no_secret(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)
    dead = "CANARY-refresh-" + "7" * 30
    with pytest.raises(AllegroError) as caught:
        await flows.refresh(dead)
    _assert_hidden(_rendered(caught.value), [dead, *_app_secrets(emulator)])


async def test_a_refresh_lost_on_the_way_leaves_no_secret(emulator: Emulator) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    flows = OAuthFlows(emulator.client_id, emulator.client_secret,
                       environment=emulator.environment(),
                       transport=httpx.MockTransport(refuse))
    dead = "CANARY-refresh-" + "8" * 30
    with pytest.raises(AllegroError) as caught:
        await flows.refresh(dead)
    _assert_hidden(_rendered(caught.value), [dead, *_app_secrets(emulator)])


async def test_a_failed_code_exchange_leaves_no_secret(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)
    request = flows.authorization_url()
    code = "CANARY-code-" + "5" * 30
    redirect = f"http://127.0.0.1/callback?code={code}&state={request.state}"
    with pytest.raises(AllegroError) as caught:
        await flows.finish_authorization(redirect, request)
    _assert_hidden(_rendered(caught.value),
                   [code, request.code_verifier, *_app_secrets(emulator)])
    with pytest.raises(AllegroError) as caught:
        await flows.exchange_code(code, code_verifier=request.code_verifier,
                                  redirect_uri=request.redirect_uri)
    _assert_hidden(_rendered(caught.value),
                   [code, request.code_verifier, *_app_secrets(emulator)])


async def test_a_failed_device_poll_leaves_no_secret(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)
    device = DeviceAuthorization(
        device_code="CANARY-device-" + "3" * 30, user_code="ABCD", interval=0,
        verification_uri="http://127.0.0.1/device",
        verification_uri_complete="http://127.0.0.1/device?code=ABCD")
    with pytest.raises(AllegroError) as caught:
        await flows.poll_device(device)
    _assert_hidden(_rendered(caught.value), [device.device_code, *_app_secrets(emulator)])


def test_a_secret_never_shows_and_never_travels() -> None:
    from allegro_async._redact import Secret

    value = "CANARY-secret-" + "9" * 30
    secret = Secret(value)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % (secret,),  # noqa: UP031
             repr([secret]), repr({"k": secret})]
    assert all(value not in text for text in shown)
    assert secret.reveal() == value and Secret.wrap(secret) is secret
    assert Secret.wrap(value) == secret and bool(secret) and not Secret("")
    assert Secret("zażółć-gęślą") == Secret("zażółć-gęślą") != Secret("zażółć-gęśla")
    assert Secret(b"raw-bytes-1") != Secret("raw-bytes-1")
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(secret)


async def test_a_corrupt_token_file_leaves_no_token_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    canary = "CANARY-stored-refresh-" + "4" * 30
    store = FileTokenStore(path)
    await store.save("42", Token("a.b.c", canary, expires_at=1.0))
    path.write_text(path.read_text()[:-3])  # cut short: no longer JSON
    with pytest.raises(ValueError, match="not a token store file") as caught:
        await store.load("42")
    assert canary not in str(caught.value) and canary not in repr(vars(caught.value))
    _assert_hidden(_rendered(caught.value), [canary])


def test_an_app_refused_at_construction_leaves_no_secret(emulator: Emulator) -> None:
    with pytest.raises(AllegroError) as caught:
        AllegroApp(emulator.client_id, emulator.client_secret, max_cached_sellers=0)
    _assert_hidden(_rendered(caught.value), [emulator.client_secret])
    with pytest.raises(AllegroError) as caught:
        AllegroApp.from_env({"ALLEGRO_CLIENT_ID": emulator.client_id,
                             "ALLEGRO_CLIENT_SECRET": emulator.client_secret,
                             "ALLEGRO_ENVIRONMENT": "moon"})
    # the mapping given is the caller's own; what the library made from it is wrapped
    rendered = _rendered(caught.value).replace(repr(emulator.client_secret), "<given>")
    _assert_hidden(rendered, [emulator.client_secret])


async def test_a_refusal_in_the_redirect_stays_readable(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)
    request = flows.authorization_url()
    redirect = (f"http://127.0.0.1/callback?error=access_denied&state={request.state}"
                "&error_description=the+seller+said+no")
    with pytest.raises(AllegroError) as caught:
        await flows.finish_authorization(redirect, request)
    assert "access_denied the seller said no" in str(caught.value)


async def test_a_failed_command_line_login_leaves_no_secret(
    emulator: Emulator, tmp_path: Path
) -> None:
    from allegro_async.auth.cli import login

    wrong = "CANARY-wrong-secret-" + "6" * 30
    basic = base64.b64encode(f"{emulator.client_id}:{wrong}".encode()).decode()
    with pytest.raises(AllegroError) as caught:
        await login(emulator.client_id, wrong, environment=emulator.environment(),
                    store_path=tmp_path / "tokens.json", transport=emulator.transport(),
                    say=lambda *_: None)
    _assert_hidden(_rendered(caught.value), [wrong, basic])
