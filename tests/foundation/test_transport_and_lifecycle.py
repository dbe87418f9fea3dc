"""Transport failures wrapped with their cause; pool ownership of clients and their views."""

from __future__ import annotations

import socket

import httpx
import pytest
import respx

from allegro_async import (
    AllegroClient,
    ConnectError,
    Environment,
    ProtocolError,
    RequestTimeoutError,
    TransportError,
)
from tests.foundation.conftest import BARE


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("Connection refused"), ConnectError),
        (httpx.ConnectTimeout("connect timed out"), RequestTimeoutError),
        (httpx.ReadTimeout("read timed out"), RequestTimeoutError),
        (httpx.RemoteProtocolError("peer closed connection"), ProtocolError),
        (httpx.ReadError("connection reset"), ProtocolError),
        (httpx.UnsupportedProtocol("ftp?"), TransportError),
    ],
    ids=lambda v: type(v).__name__,
)
async def test_transport_failures_are_wrapped_keeping_the_cause(
    raised: httpx.HTTPError, expected: type[TransportError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    async with AllegroClient("t-transport", transport=httpx.MockTransport(handler), **BARE) \
            as client:
        with pytest.raises(TransportError) as info:
            await client.request("POST", "/sale/offers", json={})
    exc = info.value
    assert type(exc) is expected
    assert exc.__cause__ is raised
    assert (exc.method, exc.path) == ("POST", "/sale/offers")


async def test_refused_loopback_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = Environment.custom(f"http://127.0.0.1:{port}")
    async with AllegroClient("t-refused", environment=env, timeout=5.0, **BARE) as client:
        with pytest.raises(ConnectError) as info:
            await client.request("GET", "/me")
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@respx.mock
async def test_views_share_the_pool_and_do_not_close_it() -> None:
    route = respx.get("https://api.allegro.pl/me").respond(200, json={})
    async with AllegroClient("token-of-app", **BARE) as client:
        async with client.with_options(access_token="token-of-seller-2") as view:
            assert view.http_client is client.http_client
            await view.request("GET", "/me")
            assert route.calls.last.request.headers["Authorization"] == "Bearer token-of-seller-2"
        assert not client.http_client.is_closed
        await client.request("GET", "/me")
        assert route.calls.last.request.headers["Authorization"] == "Bearer token-of-app"
        nested = view.with_options(headers={"X-Seller": "2"})
        await nested.aclose()
        assert not client.http_client.is_closed
    assert client.http_client.is_closed


async def test_injected_http_client_is_left_open() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    async with httpx.AsyncClient(transport=transport) as http:
        async with AllegroClient("t-injected", http_client=http) as client:
            assert await client.request("GET", "/me") == {"ok": True}
        assert not http.is_closed


def test_transport_and_http_client_together_are_refused() -> None:
    from allegro_async import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        AllegroClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)),
                      http_client=httpx.AsyncClient())
    with pytest.raises(InvalidArgumentError):
        AllegroClient("a-token", auth=httpx.BasicAuth("u", "p"))
