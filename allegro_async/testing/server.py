"""Serving the emulator over HTTP with uvicorn: in tests (:func:`serve`,
:func:`serve_in_thread`) and from the command line (``allegro-async emulator``, :func:`run_cli`).

Example::

    emulator = Emulator(time_scale=60)
    async with serve(emulator) as base_url:
        async with emulator.client(0, environment=emulator.environment(base_url),
                                   transport=None) as client:
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import replace
from types import FrameType
from typing import Any, Literal, cast

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from allegro_async.testing.emulator.core import Emulator, EmulatorConfig
from allegro_async.testing.emulator.http import DropConnection
from allegro_async.testing.emulator.offers import OffersConfig
from allegro_async.testing.emulator.orders import OrdersConfig

__all__ = ["run_cli", "serve", "serve_in_thread"]


class _DroppingApp:
    """Turns :class:`DropConnection` into a really dropped TCP connection.

    uvicorn answers an app exception with a 500, which is not what a dropped connection looks
    like to a client, so the socket is aborted instead (no FIN handshake, no bytes).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except DropConnection:
            # uvicorn's ``send`` is a bound method of its request cycle, which holds the
            # transport; there is no public ASGI way to reset a connection.
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise
            transport.abort()
            cycle.disconnected = True  # type: ignore[union-attr]


class _Server(uvicorn.Server):
    """A uvicorn server that reports when it listens and handles signals our way."""

    def __init__(self, config: uvicorn.Config, *, own_signals: bool) -> None:
        super().__init__(config)
        self.listening = threading.Event()
        self.listening_async: asyncio.Event | None = None
        self._own_signals = own_signals

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start, then tell whoever waits that the socket listens."""
        await super().startup(sockets=sockets)
        self.listening.set()
        if self.listening_async is not None:
            self.listening_async.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Embedded servers leave signals alone; the CLI stops on SIGINT/SIGTERM and exits 0
        (uvicorn's own handling re-raises the signal afterwards, which would exit non-zero)."""
        if not self._own_signals or threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on each accepted connection only
    # when the socket says it is TCP (base_events._set_nodelay), and accepted sockets inherit
    # the listener's proto. With proto 0, Nagle's algorithm held every response's last segment
    # until the client's delayed ACK: ~40 ms per keep-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _server(
    emulator: Emulator, *, own_signals: bool = False, log_level: str = "warning"
) -> _Server:
    config = uvicorn.Config(
        _DroppingApp(emulator.app),
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return _Server(config, own_signals=own_signals)


async def _start(server: _Server, sock: socket.socket) -> asyncio.Task[None]:
    """Start ``server`` on ``sock`` in the running loop; return once it listens."""
    server.listening_async = asyncio.Event()
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    waiter = asyncio.ensure_future(server.listening_async.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    if not waiter.done():
        waiter.cancel()
        task.result()  # startup failed: raise its error
        raise RuntimeError("the emulator server stopped before it listened")
    return task


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def serve(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``emulator`` over HTTP on ``host:port`` (0 = a free port) as a task of the
    running asyncio loop; yields the base URL once the socket listens, stops on exit.

    Running in the caller's loop keeps the emulator single-threaded, so in-process and HTTP
    calls can be mixed in one test.
    """
    sock = _bind(host, port)
    server = _server(emulator)
    task = await _start(server, sock)
    try:
        yield _url(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@contextlib.contextmanager
def serve_in_thread(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Serve ``emulator`` from a background thread with its own event loop; for sync code,
    other processes, or clients on another event loop. Yields the base URL."""
    sock = _bind(host, port)
    server = _server(emulator)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])),
        name="allegro-emulator",
        daemon=True,
    )
    thread.start()
    try:
        if not server.listening.wait(timeout=30):
            raise RuntimeError("the emulator server did not start within 30 s")
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def redirect_uris_line(emulator: Emulator) -> str:
    """The redirect URIs the authorize page accepts, as the command line prints them."""
    listed = ", ".join(emulator.config.redirect_uris)
    if emulator.config.loopback_redirects:
        loopback = "any loopback URL (http://127.0.0.1:PORT/..., localhost, [::1])"
        return f"{listed} or {loopback}" if listed else loopback
    return listed or "none"


def run_cli(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 1,
    sellers: int = 3,
    environment: str = "production",
    time_scale: float = 1.0,
    *,
    offers_per_seller: int | None = None,
    orders_per_seller: int | None = None,
    new_orders_per_hour: float | None = None,
    refresh_tokens: bool = False,
    **settings: Any,
) -> None:
    """Run the emulator server in the foreground until Ctrl-C (SIGINT) or SIGTERM.

    Once it listens it prints, flushed, ``url: ...``, ``client_id: ...``,
    ``client_secret: ...`` and one ``token <login> <id>: <access token>`` line per seller,
    so a script can read what it needs from stdout. With ``refresh_tokens`` each seller's
    token comes from a pair and a ``refresh <login> <id>: <refresh token>`` line follows it.
    A last ``redirect_uris: ...`` line says which redirect URIs the authorize page accepts.

    ``offers_per_seller`` (active offers), ``orders_per_seller`` and ``new_orders_per_hour``
    (orders, and so order events, arriving per emulated hour) size the data.
    """
    if environment not in ("production", "sandbox"):
        raise SystemExit(f"environment must be production or sandbox, not {environment!r}")
    for name, value in (("offers", offers_per_seller), ("orders", orders_per_seller),
                        ("new-orders-per-hour", new_orders_per_hour)):
        if value is not None and value < 0:
            raise SystemExit(f"--{name} must be 0 or more, not {value}")
    if offers_per_seller is not None:
        settings["offers"] = replace(settings.get("offers", OffersConfig()),
                                     active=offers_per_seller)
    if orders_per_seller is not None or new_orders_per_hour is not None:
        base = settings.get("orders", OrdersConfig())
        settings["orders"] = replace(
            base,
            orders_per_seller=base.orders_per_seller if orders_per_seller is None
            else orders_per_seller,
            new_orders_per_hour=base.new_orders_per_hour if new_orders_per_hour is None
            else new_orders_per_hour,
        )
    config = EmulatorConfig(
        seed=seed,
        sellers=sellers,
        environment=cast(Literal["production", "sandbox"], environment),
        time_scale=time_scale,
        **settings,
    )
    emulator = Emulator(config)
    sock = _bind(host, port)
    server = _server(emulator, own_signals=True, log_level="warning")

    async def main() -> None:
        task = await _start(server, sock)
        if not server.should_exit:
            lines = [
                f"url: {_url(sock)}",
                f"client_id: {emulator.client_id}",
                f"client_secret: {emulator.client_secret}",
            ]
            for seller in emulator.sellers:
                if refresh_tokens:
                    pair = emulator.oauth.issue_pair(seller.id)
                    lines.append(f"token {seller.login} {seller.id}: {pair['access_token']}")
                    lines.append(f"refresh {seller.login} {seller.id}: {pair['refresh_token']}")
                else:
                    lines.append(f"token {seller.login} {seller.id}: {emulator.mint_token(seller)}")
            lines.append(f"redirect_uris: {redirect_uris_line(emulator)}")
            # This is the one place secrets are meant to be shown: the user asked for them.
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        await task

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    finally:
        sock.close()
