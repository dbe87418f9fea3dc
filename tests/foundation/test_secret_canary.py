"""The canary: unique secrets must never show in logs, reprs or any exception along the way."""

from __future__ import annotations

import base64
import logging
import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest

from allegro_async import AllegroClient, AllegroError, APIError, Environment
from tests.foundation.conftest import BARE, make_jwt


def canary(kind: str) -> str:
    """A secret no other test uses."""
    return f"CANARY-{kind}-{uuid.uuid4().hex}"


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything reachable through __cause__ / __context__."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]


def texts_of(exc: BaseException) -> Iterator[tuple[str, str]]:
    """Every text an exception shows: str, repr, args and, for API errors, parsed fields."""
    for item in exception_chain(exc):
        name = type(item).__name__
        yield f"str({name})", str(item)
        yield f"repr({name})", repr(item)
        yield f"{name}.args", repr(item.args)
        if isinstance(item, APIError):
            yield f"{name}.errors", repr(item.errors)
            yield f"{name}.message", item.message
            yield f"{name}.hint", item.hint or ""
            yield f"{name}.body_text", item.body_text
            yield f"{name}.oauth", f"{item.oauth_error} {item.oauth_error_description}"
            yield f"{name}.response", f"{item.response!r} {item.response!s}"


def assert_no_secret(secrets: list[str], where: str, text: str) -> None:
    """Fail naming the place only: the failure message itself must not print the secret."""
    for secret in secrets:
        if secret in text:
            raise AssertionError(f"a secret ({secret[:13]}...) leaked in {where}")


def check_everywhere(
    secrets: list[str], caplog: pytest.LogCaptureFixture, errors: list[BaseException],
    *objects: object,
) -> None:
    for exc in errors:
        # what an application's own error log would print, traceback and chain included
        logging.getLogger("my_app").error("call failed", exc_info=exc)
        for where, text in texts_of(exc):
            assert_no_secret(secrets, where, text)
    for obj in objects:
        assert_no_secret(secrets, f"repr({type(obj).__name__})", repr(obj))
        assert_no_secret(secrets, f"str({type(obj).__name__})", str(obj))
    assert_no_secret(secrets, "captured log text", caplog.text)
    for record in caplog.records:
        assert_no_secret(secrets, f"log record of {record.name}", record.getMessage())
    # the test saw real traffic: otherwise it proves nothing
    assert any(r.name == "allegro_async" for r in caplog.records)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="allegro_async")
    return caplog


async def test_access_token_echoed_by_the_server(debug_logs: pytest.LogCaptureFixture) -> None:
    token = make_jwt(user_name="10000003", jti=canary("jti"), scope=["allegro:api"])
    secrets = [token]

    def handler(request: httpx.Request) -> httpx.Response:
        echo = f"token {token} rejected; header was {request.headers['Authorization']}"
        if request.url.path == "/oauth-shaped":
            return httpx.Response(401, json={"error": "invalid_token",
                                             "error_description": echo})
        if request.url.path == "/html":
            return httpx.Response(502, text=f"<html>{echo}</html>")
        return httpx.Response(403, json={"errors": [{
            "code": "AccessDenied", "message": echo, "details": echo, "userMessage": echo,
            "metadata": {"token": token},
        }]}, headers={"trace-id": "t-1"})

    errors: list[BaseException] = []
    async with AllegroClient(token, transport=httpx.MockTransport(handler), **BARE) as client:
        view = client.with_options(headers={"X-Seller": "3"})
        for path in ("/sale/offers", "/oauth-shaped", "/html"):
            with pytest.raises(APIError) as info:
                await view.request("GET", path)
            errors.append(info.value)
        with pytest.raises(AllegroError) as junk:  # a 2xx that is not JSON, echoing the token
            client._http._transport = httpx.MockTransport(  # type: ignore[attr-defined]
                lambda r: httpx.Response(200, text=f"oops {token}"))
            await client.request("GET", "/me")
        errors.append(junk.value)
        check_everywhere(secrets, debug_logs, errors, client, view, client._auth)


async def test_token_request_secrets_echoed_in_an_oauth_error(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    client_secret, refresh, code = canary("secret"), canary("refresh"), canary("code")
    secrets = [client_secret, refresh, code]
    basic = base64.b64encode(f"app-id:{client_secret}".encode()).decode()

    def handler(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        return httpx.Response(400, json={
            "error": "invalid_grant",
            "error_description": f"bad grant in {body} with {request.headers.get('Authorization')} "
                                 f"at {request.url} (query {dict(request.url.params)})",
        })

    env = Environment.production()
    errors: list[BaseException] = []
    async with AllegroClient(transport=httpx.MockTransport(handler), **BARE) as client:
        with pytest.raises(APIError) as info:
            await client.request(
                "POST", env.token_url, headers={"Authorization": f"Basic {basic}"},
                data={"grant_type": "refresh_token", "refresh_token": refresh},
                params={"client_secret": client_secret},
            )
        errors.append(info.value)
        with pytest.raises(APIError) as info:
            await client.request("POST", f"{env.token_url}?grant_type=authorization_code"
                                 f"&code={code}&redirect_uri=http://localhost/cb")
        errors.append(info.value)
    secrets.append(basic)
    check_everywhere(secrets, debug_logs, errors, client)


async def test_transport_failures_with_a_code_in_the_url(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    code, token = canary("code"), canary("access")

    def handler(request: httpx.Request) -> httpx.Response:
        # an unusually chatty failure that names the URL (and so the code) in its message
        raise httpx.ConnectError(f"cannot reach {request.url} with {token}", request=request)

    errors: list[BaseException] = []
    async with AllegroClient(token, transport=httpx.MockTransport(handler), **BARE) as client:
        with pytest.raises(AllegroError) as info:
            await client.request("GET", "/callback", params={"code": code})
        errors.append(info.value)
    with socket.socket() as sock:  # a real refused connection on loopback
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = Environment.custom(f"http://127.0.0.1:{port}")
    async with AllegroClient(token, environment=env, timeout=5.0, **BARE) as client:
        with pytest.raises(AllegroError) as info:
            await client.request("GET", f"http://127.0.0.1:{port}/cb?code={code}")
        errors.append(info.value)
    assert all(exc.__cause__ is not None for exc in errors)
    debug_logs.records.append(logging.makeLogRecord({"name": "allegro_async", "msg": "-"}))
    check_everywhere([code, token], debug_logs, errors, client)


def test_child_loggers_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    from allegro_async import _redact

    secret = canary("child")
    _redact.register(secret)
    caplog.set_level(logging.DEBUG)
    # a child logger the library logs on (the shared throttle): its parent's filter misses it
    logging.getLogger("allegro_async.throttle.redis").debug("refreshing with %s", secret)
    logging.getLogger("httpx").info("HTTP Request: GET https://x/cb?code=%s", "abcdefgh")
    logging.getLogger("httpcore.http11").debug("sent Bearer %s", "abcdefghijkl")
    assert len(caplog.records) == 3
    assert_no_secret([secret, "abcdefgh", "abcdefghijkl"], "child logger", caplog.text)


@pytest.mark.parametrize("cut", [100, 110, 118])
async def test_a_secret_across_the_excerpt_edge_of_a_non_json_answer(cut: int) -> None:
    # The excerpt of a non-JSON 2xx body is cut at 120 characters: scrubbing after the cut
    # no longer recognised a secret straddling it, and its first characters were shown.
    token = canary("access")
    body = ("x" * cut + token + " <html>").encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/html"})

    async with AllegroClient(
        access_token=token, transport=httpx.MockTransport(handler), **BARE
    ) as client:
        with pytest.raises(AllegroError) as info:
            await client.request("GET", "/me")
    for where, text in texts_of(info.value):
        assert token[:8] not in text, where


async def test_a_secret_across_the_kept_part_of_an_error_body() -> None:
    # body_text keeps the first 4096 bytes of an error body: a secret straddling that edge
    # was scrubbed after the cut, too late to be recognised.
    token = canary("access")
    body = ("x" * 4080 + token + " trailing").encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, content=body, headers={"content-type": "text/plain"})

    async with AllegroClient(
        access_token=token, transport=httpx.MockTransport(handler), **BARE
    ) as client:
        with pytest.raises(APIError) as info:
            await client.request("GET", "/me")
    for where, text in texts_of(info.value):
        assert token[:12] not in text, where
