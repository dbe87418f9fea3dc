"""One connection pool per app: clients built with the same ``Throttle`` (and no transport of
their own) send through one shared inner transport, closed when the last of them closes."""

from __future__ import annotations

from collections.abc import Callable

from allegro_async._http import AsyncBaseTransport, Request, Response


class SharedPool:
    """The pooled inner transport of one :class:`~allegro_async.throttle.Throttle`, counted.

    Each client gets a :class:`PoolHandle`; the pool is made on first use and closed when the
    last handle is closed, so a later client starts a fresh one.
    """

    def __init__(self) -> None:
        self._transport: AsyncBaseTransport | None = None
        self._users = 0

    @property
    def users(self) -> int:
        """How many open handles share the pool."""
        return self._users

    def handle(self, make: Callable[[], AsyncBaseTransport]) -> PoolHandle:
        """A new handle on the pool; ``make()`` builds the pool if none is open."""
        if self._transport is None:
            self._transport = make()
        self._users += 1
        return PoolHandle(self, self._transport)

    async def _release(self, transport: AsyncBaseTransport) -> None:
        self._users -= 1
        if self._users == 0 and self._transport is transport:
            self._transport = None
            await transport.aclose()


class PoolHandle(AsyncBaseTransport):
    """One client's use of a :class:`SharedPool`; closing it closes the pool if it was last."""

    def __init__(self, pool: SharedPool, transport: AsyncBaseTransport) -> None:
        self._pool = pool
        self.transport = transport
        self._closed = False

    async def handle_async_request(self, request: Request) -> Response:
        """Send through the shared pool."""
        return await self.transport.handle_async_request(request)

    async def aclose(self) -> None:
        """Give this client's share back (idempotent)."""
        if not self._closed:
            self._closed = True
            await self._pool._release(self.transport)
