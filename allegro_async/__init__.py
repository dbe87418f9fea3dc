"""allegro-async: the asyncio client for the Allegro REST API.

Throttling that never earns a 429, OAuth2, pydantic models, typed errors, and an Allegro
emulator for tests (:mod:`allegro_async.testing`).
"""

from allegro_async._response import APIResponse
from allegro_async._version import __version__
from allegro_async.auth.jwt import TokenClaims, decode_claims
from allegro_async.client import AllegroClient, BearerToken
from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE, Environment
from allegro_async.errors import (
    AllegroError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectError,
    DraftsLimitError,
    ErrorDetail,
    InvalidArgumentError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)

__all__ = [
    "BETA_MEDIA_TYPE",
    "PUBLIC_MEDIA_TYPE",
    "APIError",
    "APIResponse",
    "AllegroClient",
    "AllegroError",
    "AuthenticationError",
    "BadRequestError",
    "BearerToken",
    "ConflictError",
    "ConnectError",
    "DraftsLimitError",
    "Environment",
    "ErrorDetail",
    "InvalidArgumentError",
    "NotAcceptableError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "ServerError",
    "TokenClaims",
    "TransportError",
    "UnprocessableEntityError",
    "__version__",
    "decode_claims",
]
