"""A one-shot redirect catcher on 127.0.0.1 for command-line logins with the code flow.

The browser is sent back to ``http://127.0.0.1:<port>/callback?code=...``; the catcher answers
with a short page and hands the URL over, and :func:`browser_login` exchanges the code at once,
inside the ~10 s it lives (S4). Register the catcher's ``redirect_uri`` for the app exactly
(pick a fixed ``port`` for that; 0 takes a free one, useful with the emulator).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType

import anyio
from anyio.abc import SocketAttribute, SocketStream
from anyio.streams.stapled import MultiListener

from allegro_async._redact import Secret
from allegro_async.auth.flows import AuthorizationRequest, OAuthFlows
from allegro_async.auth.tokens import Token

_BODY = b"<!doctype html><p>allegro-async: you may close this window now.</p>\n"
_PAGE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
    + f"Content-Length: {len(_BODY)}\r\n\r\n".encode()
    + _BODY
)


class LoopbackCatcher:
    """Listens on ``127.0.0.1:port`` for one redirect; ``await catcher.wait()`` returns it.

    ::

        async with LoopbackCatcher() as catcher:
            request = flows.authorization_url(redirect_uri=catcher.redirect_uri)
            webbrowser.open(request.url)
            token = await flows.finish_authorization(await catcher.wait(), request)
    """

    def __init__(self, port: int = 0, path: str = "/callback") -> None:
        self._port = port
        self.path = path
        self._send, self._receive = anyio.create_memory_object_stream[str](1)
        self._listener: MultiListener[SocketStream] | None = None
        self._group: anyio.abc.TaskGroup | None = None

    @property
    def redirect_uri(self) -> str:
        """The URI to register and to send in the authorization request."""
        if self._listener is None:
            raise RuntimeError("the catcher is not listening yet: use it as 'async with'")
        port = self._listener.extra(SocketAttribute.local_port)  # noqa: S610 - anyio, not Django
        return f"http://127.0.0.1:{port}{self.path}"

    async def __aenter__(self) -> LoopbackCatcher:
        self._listener = await anyio.create_tcp_listener(
            local_host="127.0.0.1", local_port=self._port
        )
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(self._listener.serve, self._handle)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._group is not None and self._listener is not None
        self._group.cancel_scope.cancel()
        await self._group.__aexit__(et, e, tb)
        await self._listener.aclose()
        self._send.close()
        self._receive.close()

    async def _handle(self, stream: SocketStream) -> None:
        # Browsers open speculative "preconnect" sockets and close them without a byte, and a
        # client may reset mid-answer: one bad connection must never end the listener (an
        # exception here would cancel the task group, and the login with it).
        try:
            await self._answer(stream)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError,
                OSError):
            pass

    async def _answer(self, stream: SocketStream) -> None:
        async with stream:
            data = b""
            with anyio.move_on_after(10):
                while b"\r\n" not in data and len(data) < 16384:
                    data += await stream.receive()
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            if len(parts) < 2 or not parts[1].startswith(self.path):
                await stream.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            await stream.send(_PAGE)
            base = self.redirect_uri.split(self.path, 1)[0]
            try:
                self._send.send_nowait(base + parts[1])
            except anyio.WouldBlock:  # a second redirect (a reload): the first one counts
                pass

    async def wait(self, timeout: float = 300.0) -> str:
        """The full redirect URL, once the browser comes back."""
        with anyio.fail_after(timeout):
            return await self._receive.receive()


async def browser_login(
    flows: OAuthFlows,
    open_browser: Callable[[str], Awaitable[None] | object],
    *,
    port: int = 0,
    timeout: float = 300.0,
) -> Token:
    """The code flow for a command line: catch the redirect on 127.0.0.1 and exchange the code
    at once (S4). ``open_browser(url)`` shows the authorize page (``webbrowser.open``)."""
    async with LoopbackCatcher(port) as catcher:
        request: AuthorizationRequest = flows.authorization_url(redirect_uri=catcher.redirect_uri)
        opened = open_browser(request.url)
        if isinstance(opened, Awaitable):
            await opened
        redirect = Secret(await catcher.wait(timeout), register=False)  # it carries the code
    return await flows.finish_authorization(redirect, request)
