"""allegro-async: the asyncio client for the Allegro REST API.

Throttling that never earns a 429, OAuth2, pydantic models, typed errors, and an Allegro
emulator for tests (:mod:`allegro_async.testing`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from allegro_async._redact import redact_logs
from allegro_async._request import BearerToken
from allegro_async._response import APIResponse
from allegro_async._version import __version__
from allegro_async.auth.jwt import TokenClaims, decode_claims
from allegro_async.client import AllegroClient
from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE, Environment
from allegro_async.errors import (
    AllegroError,
    APIError,
    AuthenticationError,
    AuthorizationRequiredError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ConnectError,
    DeadlineExceededError,
    DraftsLimitError,
    ErrorDetail,
    IncompleteListingError,
    InvalidArgumentError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    ReauthorizationRequiredError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ResponseValidationError,
    SellerNotConnectedError,
    ServerError,
    ThrottleGiveUpError,
    TransportError,
    UnexpectedContentError,
    UnprocessableEntityError,
    WalkStalledError,
)

# Loaded on first use, so `import allegro_async` stays fast (authlib, anyio machinery).
_LAZY = {
    "AllegroApp": "allegro_async.auth.app",
    "OAuthFlows": "allegro_async.auth.flows",
    "RefreshingAuth": "allegro_async.auth.httpx_auth",
    "Token": "allegro_async.auth.tokens",
    "TokenStore": "allegro_async.auth.tokens",
    "ListableTokenStore": "allegro_async.auth.tokens",
    "MemoryTokenStore": "allegro_async.auth.tokens",
    "FileTokenStore": "allegro_async.auth.tokens",
    "Throttle": "allegro_async.throttle.limiter",
    "ThrottledTransport": "allegro_async.throttle.transport",
    "RetryPolicy": "allegro_async.retry",
    "CursorStore": "allegro_async.cursors",
    "MemoryCursorStore": "allegro_async.cursors",
    "FileCursorStore": "allegro_async.cursors",
}

if TYPE_CHECKING:
    from allegro_async.auth.app import AllegroApp
    from allegro_async.auth.flows import OAuthFlows
    from allegro_async.auth.httpx_auth import RefreshingAuth
    from allegro_async.auth.tokens import (
        FileTokenStore,
        ListableTokenStore,
        MemoryTokenStore,
        Token,
        TokenStore,
    )
    from allegro_async.cursors import CursorStore, FileCursorStore, MemoryCursorStore
    from allegro_async.retry import RetryPolicy
    from allegro_async.throttle.limiter import Throttle
    from allegro_async.throttle.transport import ThrottledTransport


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'allegro_async' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BETA_MEDIA_TYPE",
    "PUBLIC_MEDIA_TYPE",
    "APIError",
    "APIResponse",
    "AllegroApp",
    "AllegroClient",
    "AllegroError",
    "AuthenticationError",
    "AuthorizationRequiredError",
    "BadRequestError",
    "BearerToken",
    "ClientClosedError",
    "ConflictError",
    "ConnectError",
    "CursorStore",
    "DeadlineExceededError",
    "DraftsLimitError",
    "Environment",
    "ErrorDetail",
    "FileCursorStore",
    "FileTokenStore",
    "IncompleteListingError",
    "InvalidArgumentError",
    "ListableTokenStore",
    "MemoryCursorStore",
    "MemoryTokenStore",
    "NotAcceptableError",
    "NotFoundError",
    "OAuthFlows",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitedError",
    "ReauthorizationRequiredError",
    "RefreshingAuth",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RetryPolicy",
    "SellerNotConnectedError",
    "ServerError",
    "Throttle",
    "ThrottleGiveUpError",
    "ThrottledTransport",
    "Token",
    "TokenClaims",
    "TokenStore",
    "TransportError",
    "UnexpectedContentError",
    "UnprocessableEntityError",
    "WalkStalledError",
    "__version__",
    "decode_claims",
    "redact_logs",
]
