"""The owned network pool: connections look their socket up once, and a connection the server
closed is still dropped before it is used."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore

from allegro_async import AllegroClient
from allegro_async._network import SocketCachingBackend, _wrap
from allegro_async.config import Environment
from allegro_async.throttle import Throttle


class _CountingStream(httpcore.AsyncNetworkStream):
    """A stream over one end of a socket pair that counts its ``get_extra_info`` calls."""

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock
        self.asked: list[str] = []

    def get_extra_info(self, info: str) -> Any:
        self.asked.append(info)
        return self.sock if info == "socket" else None


def test_readability_is_polled_without_asking_the_stream_again() -> None:
    mine, theirs = socket.socketpair()
    with mine, theirs:
        inner = _CountingStream(mine)
        stream = _wrap(inner)
        assert stream.get_extra_info("is_readable") is False
        assert stream.get_extra_info("is_readable") is False
        theirs.close()  # the server's close: the next read would return b""
        assert stream.get_extra_info("is_readable") is True
        assert stream.get_extra_info("socket") is mine
        assert inner.asked == ["socket"]  # once, when the connection was opened


def test_a_stream_without_a_socket_answers_as_its_inner_stream() -> None:
    inner = _CountingStream(None)  # a mock backend's stream has no socket
    stream = _wrap(inner)
    assert stream.get_extra_info("is_readable") is None
    assert inner.asked == ["socket", "is_readable"]


async def test_the_owned_pool_opens_connections_through_the_caching_backend() -> None:
    throttle = Throttle()
    async with AllegroClient("token", throttle=throttle):
        transport = throttle.pool.transport()
        assert isinstance(transport._pool._network_backend, SocketCachingBackend)  # type: ignore[attr-defined]


async def test_a_keep_alive_connection_the_server_closed_is_replaced() -> None:
    connections = 0
    closed = asyncio.Event()

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()  # no "Connection: close": the client believes it may reuse it
        await writer.wait_closed()
        closed.set()

    server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = Environment.custom(api_url=url, auth_url=url)
    try:
        async with AllegroClient("token", environment=env, throttle=Throttle(),
                                 retry=False) as client:
            assert await client.request("GET", "/me") == {}
            await closed.wait()
            # without retries: a send on the closed connection would fail this call
            assert await client.request("GET", "/me") == {}
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 2
