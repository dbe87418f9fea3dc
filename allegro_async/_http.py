"""The one seam through which the library imports its HTTP stack.

Everything HTTP-shaped (requests, responses, transports, auth flows, timeouts, transport errors)
comes from here, so that a move to another httpx-compatible package touches this file only.
"""

from __future__ import annotations

import httpx
from httpx import (
    URL,
    ASGITransport,
    AsyncBaseTransport,
    AsyncByteStream,
    AsyncClient,
    AsyncHTTPTransport,
    Auth,
    Cookies,
    Headers,
    Limits,
    Request,
    Response,
    Timeout,
)

__all__ = [
    "URL",
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncByteStream",
    "AsyncClient",
    "AsyncHTTPTransport",
    "Auth",
    "Cookies",
    "Headers",
    "Limits",
    "Request",
    "Response",
    "Timeout",
    "httpx",
]
