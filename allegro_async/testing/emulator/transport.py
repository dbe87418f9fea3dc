"""An httpx transport that calls the emulator in-process."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import anyio
import httpx
from starlette.types import Message

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing.emulator.http import ApiError, DropConnection

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator

log = logging.getLogger("allegro_async.testing.emulator")


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Calls the emulator in-process. A dropped connection surfaces as
    ``httpx.RemoteProtocolError``, and the request's read timeout is enforced when the
    emulator delays (the plain ``ASGITransport`` ignores timeouts).

    It speaks ASGI directly instead of wrapping ``httpx.ASGITransport``: responses are
    buffered anyway, and the leaner path roughly doubles in-process throughput.

    A bug in an emulator route answers 500 with an Allegro-shaped ``errors[]`` body (and is
    logged), as a real server would, so the client raises its own ``ServerError`` rather than
    a raw ``KeyError``. Pass ``raise_app_exceptions=True`` to get the original exception
    while debugging the emulator.
    """

    def __init__(self, emulator: Emulator, *, raise_app_exceptions: bool = False) -> None:
        self.emulator = emulator
        self.raise_app_exceptions = raise_app_exceptions

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            # Faults and the A2 user buckets (limits) make the emulator wait, as a slow server
            # would; enforce the client's read timeout like a socket does.
            if timeout is not None:
                with anyio.fail_after(timeout):
                    return await self._call(request)
            return await self._call(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("emulator response timed out", request=request) from exc
        except DropConnection as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc

    async def _call(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        url = request.url
        raw_path, _, query = url.raw_path.partition(b"?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": query,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        sent = False
        done = anyio.Event()

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.emulator.app(scope, receive, send)
        except DropConnection:
            raise
        except Exception as exc:
            # Starlette's ServerErrorMiddleware sends its own 500 and then re-raises; without
            # this the route's bug would reach the client as a non-library exception.
            # Cancellation is a BaseException and passes through untouched.
            if self.raise_app_exceptions:
                raise
            log.error("emulator route failed: %s %s", request.method, scope["path"],
                      exc_info=exc)
            error = ApiError(500, "InternalServerErrorException",
                             f"Emulator error: {type(exc).__name__}")
            status = 500
            headers = [(b"content-type", PUBLIC_MEDIA_TYPE.encode()),
                       *[(k, v) for k, v in headers if k.lower() == b"trace-id"]]
            chunks = [json.dumps(error.body).encode()]
        done.set()
        return httpx.Response(status, headers=headers, content=b"".join(chunks),
                              request=request)
