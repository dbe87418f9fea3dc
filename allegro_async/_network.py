"""The network transport a client owns: httpx's own, with a cheaper look at idle connections.

Before every request it queues and after every response it closes, httpcore's pool asks each
idle connection whether the server closed it (``get_extra_info("is_readable")``: a poll of the
socket). On anyio, finding the socket for that poll rebuilds the stream's attribute table each
time (a ``getpeername`` system call and a dict of lambdas), about ten times the cost of the
poll itself; with a few connections kept busy by many callers that was most of the client's
CPU per request. Here each connection's socket is looked up once, when it is opened, and the
poll is the same one httpcore makes, so a connection the server closed is still dropped
before it is used.

Imported when the first request opens the pool. The classes follow httpcore's network
interfaces without importing httpcore (it comes with httpx, and is not a dependency of ours).
"""

from __future__ import annotations

import select
import ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from allegro_async._http import AsyncHTTPTransport

if TYPE_CHECKING:
    from httpcore import AsyncNetworkBackend, AsyncNetworkStream

__all__ = ["SocketCachingBackend", "network_transport"]

_POLL = getattr(select, "poll", None)


class _Socket(Protocol):
    """A socket, or asyncio's view of one (``TransportSocket``): what the poll needs."""

    def fileno(self) -> int: ...


def _readable(sock: _Socket) -> bool:
    """Whether a read on ``sock`` would not wait (data, or the server's close): httpcore's
    check, a zero-timeout poll; a socket with no descriptor left counts as closed."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if _POLL is None:  # no poll() (Windows): select() says the same
        return bool(select.select([fd], [], [], 0)[0])
    poller = _POLL()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Stream:
    """A network stream that knows its socket: ``is_readable`` without the attribute lookup.
    Everything else is the wrapped stream's."""

    def __init__(self, inner: AsyncNetworkStream, sock: _Socket | None) -> None:
        self._inner = inner
        self._socket = sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> _Stream:
        # TLS runs over the same socket: its readability is still the one to poll
        inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(inner, self._socket)

    def get_extra_info(self, info: str) -> Any:
        if self._socket is not None:
            if info == "is_readable":
                return _readable(self._socket)
            if info == "socket":
                return self._socket
        return self._inner.get_extra_info(info)


def _wrap(stream: AsyncNetworkStream) -> _Stream:
    sock = stream.get_extra_info("socket")  # on asyncio, a TransportSocket
    return _Stream(stream, sock if callable(getattr(sock, "fileno", None)) else None)


class SocketCachingBackend:
    """An httpcore network backend (``inner``) whose streams look their socket up once."""

    def __init__(self, inner: AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> _Stream:
        return _wrap(await self.inner.connect_tcp(host, port, timeout, local_address,
                                                  socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> _Stream:
        return _wrap(await self.inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def network_transport() -> AsyncHTTPTransport:
    """httpx's network transport with default settings, its pool opening connections through
    :class:`SocketCachingBackend`.

    httpx has no parameter for the backend, so it is set on the pool httpx made; should a later
    httpx or httpcore lay the pool out differently, the transport is used as it is (a test
    checks that the backend is in place with the versions this package is tested with).
    """
    transport = AsyncHTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and callable(getattr(backend, "connect_tcp", None)):
        pool._network_backend = SocketCachingBackend(backend)  # type: ignore[union-attr]
    return transport
