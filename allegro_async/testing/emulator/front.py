"""The emulator's front door: trace ids (A7), per-route counters, the Accept check (A11), and
the optional exchange recorder used by the conformance check."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allegro_async.testing.emulator import media_types, spec_index
from allegro_async.testing.emulator.http import VND_TYPES, ApiError

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator


def _is_api_path(path: str) -> bool:
    return not path.startswith(("/auth/", "/_emulator/"))


class Recorder(Protocol):
    """Receives every exchange the emulator serves, when set as ``emulator.recorder``."""

    def wants(self, method: str, template: str | None, path: str) -> bool:
        """Whether to capture this request (cheap; called before the app runs)."""

    def record(self, exchange: Exchange) -> None:
        """Store one finished exchange."""


@dataclass
class Exchange:
    """One request and its response, as captured for a :class:`Recorder`."""

    method: str
    path: str
    query: str
    template: str | None
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    #: The test sent bad input on purpose (header ``x-emulator-expect-invalid: 1`` or
    #: ``ConformanceRecorder.expect_invalid()``): its request is not checked against the spec.
    expect_invalid: bool = False


class _GlobalRecorder:
    """Where a session-wide recorder lives (see ``conformance.recording``): it sees every
    emulator, including those tests build themselves."""

    recorder: Recorder | None = None


GLOBAL = _GlobalRecorder()


class _FrontMiddleware:
    """Trace ids, request counting per route, the A11 Accept check (406), and the optional
    exchange recorder."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        # A random prefix per emulator and a counter: unique like uuid4 per request, at a
        # fraction of its cost on the hot path.
        self._trace_prefix = uuid.uuid4().hex[:16]
        self._trace_numbers = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        emulator = self.emulator
        stats = emulator.stats
        stats.requests += 1
        template = emulator.match_route(scope)
        scope["allegro.route"] = template
        method: str = scope["method"]
        stats.by_route[f"{method} {template or '?'}"] += 1
        trace_header = (b"trace-id",
                        f"{self._trace_prefix}{next(self._trace_numbers):016x}".encode())
        path: str = scope["path"]
        recorder = emulator.recorder or GLOBAL.recorder
        exchange: Exchange | None = None
        if recorder is not None and recorder.wants(method, template, path):
            exchange, receive = await _capture_request(scope, receive, template)

        async def send_with_trace(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), trace_header]}
                stats.by_status[message["status"]] += 1
                if exchange is not None:
                    exchange.status = message["status"]
                    exchange.response_headers = _header_dict(message["headers"])
            elif exchange is not None:
                exchange.response_body += message.get("body", b"")
            await send(message)

        if _is_api_path(path) and not _negotiate(scope, method, template):
            error = ApiError(
                406, "NotAcceptableException",
                "Not acceptable representation requested. Please check 'Accept' request header",
            )
            body = json.dumps(error.body).encode()
            await send_with_trace({
                "type": "http.response.start", "status": 406,
                "headers": [(b"content-type", VND_TYPES[0].encode()),
                            (b"content-length", str(len(body)).encode())],
            })
            await send_with_trace({"type": "http.response.body", "body": body})
        else:
            await self.app(scope, receive, send_with_trace)
        if exchange is not None and recorder is not None and exchange.status:
            recorder.record(exchange)


def _header_dict(headers: Any) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}


async def _capture_request(
    scope: Scope, receive: Receive, template: str | None
) -> tuple[Exchange, Receive]:
    """Read the whole request body for the recorder, and a ``receive`` that replays it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    exchange = Exchange(
        method=scope["method"], path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"), template=template,
        request_headers=_header_dict(scope["headers"]), request_body=body,
    )
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return exchange, replay


def _negotiate(scope: Scope, method: str, template: str | None) -> bool:
    """The A11 Accept check: pick the media type to answer with (stored in the scope for
    :func:`~allegro_async.testing.emulator.http.media_type_of`), or ``False`` for a 406.

    Each operation serves the vnd types the spec gives it (:mod:`.media_types`): asking a
    public-only resource for beta, or a beta-only one for public, is not acceptable.
    """
    served = media_types.accepted(method, template) if template is not None else VND_TYPES
    if template is not None:
        served = (*served, *spec_index.binary_media_types(method, template))
    text = ""
    for name, value in scope["headers"]:
        if name == b"accept":
            text = value.decode("latin-1")
            break
    if text.strip() in ("*/*", ""):
        # no Accept header at all: served in the operation's first type, like curl without -H
        scope["allegro.media_type"] = served[0]
        return True
    for media_type in served:
        if media_type in text or (media_type == "*/*" and text):
            scope["allegro.media_type"] = media_type
            return True
    return False
