"""One connection pool per app: clients built with the same ``Throttle`` (and no transport of
their own) send through one shared inner transport, closed when the last of them closes."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from allegro_async._http import AsyncBaseTransport, Request, Response


class SharedPool:
    """The pooled inner transport of one :class:`~allegro_async.throttle.Throttle`, counted.

    Each client gets a :class:`PoolHandle`; the pool is made by the first request (so building
    a client costs no network transport, TLS context or httpcore import) and closed when the
    last handle is closed, so a later client starts a fresh one.
    """

    def __init__(self) -> None:
        self._transport: AsyncBaseTransport | None = None
        self._make: Callable[[], AsyncBaseTransport] | None = None
        self._users = 0

    @property
    def users(self) -> int:
        """How many open handles share the pool."""
        return self._users

    @property
    def is_open(self) -> bool:
        """Whether a request has made the pool's transport (and no close has ended it)."""
        return self._transport is not None

    def handle(self, make: Callable[[], AsyncBaseTransport]) -> PoolHandle:
        """A new handle on the pool; ``make()`` builds the pool at its first request."""
        self._make = make
        self._users += 1
        return PoolHandle(self)

    def transport(self) -> AsyncBaseTransport:
        """The open pool, made now if no request has needed it yet."""
        if self._transport is None:
            assert self._make is not None  # a handle exists: handle() set it
            self._transport = self._make()
        return self._transport

    async def _release(self) -> None:
        self._users -= 1
        if self._users == 0 and self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.aclose()


class PoolHandle(AsyncBaseTransport):
    """One client's use of a :class:`SharedPool`; closing it closes the pool if it was last."""

    def __init__(self, pool: SharedPool) -> None:
        self._pool = pool
        self._closed = False

    @property
    def transport(self) -> AsyncBaseTransport:
        """The shared pool's transport (made by the first request)."""
        return self._pool.transport()

    def handle_async_request(self, request: Request) -> Coroutine[Any, Any, Response]:
        """Send through the shared pool."""
        # the pool's own coroutine, not one awaiting it: a frame fewer on every resumption
        return self._pool.transport().handle_async_request(request)

    async def aclose(self) -> None:
        """Give this client's share back (idempotent)."""
        if not self._closed:
            self._closed = True
            await self._pool._release()
