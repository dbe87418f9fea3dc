"""Reading the claims of Allegro access tokens (A6) without verifying them.

Allegro signs its tokens with RS256 and publishes no key, so the client cannot verify them; it
only reads what they say: who the token is for (``user_name``), which app (``client_id``), when
it expires (``exp``) and what it may do (``scope``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class TokenClaims:
    """The A6 claims of an access token. ``user_name`` is ``None`` for app (client_credentials)
    tokens. ``raw`` holds every claim as decoded."""

    user_name: str | None = None
    client_id: str | None = None
    exp: float | None = None
    scope: tuple[str, ...] = ()
    jti: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_app_token(self) -> bool:
        """True for a client_credentials token: it has no ``user_name`` (A6)."""
        return self.user_name is None


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@lru_cache(maxsize=1024)
def decode_claims(token: str) -> TokenClaims | None:
    """Decode the payload of a JWT; ``None`` when ``token`` is not a JWT.

    Cached: the limiter calls this on every request to find the user key.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(_b64decode(parts[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    try:
        return _claims(payload)
    except (ValueError, TypeError, OverflowError):  # e.g. exp=10**400: a token we cannot read
        return None


def _claims(payload: dict[str, Any]) -> TokenClaims:
    scope = payload.get("scope", ())
    if isinstance(scope, str):
        scope = scope.split()
    exp = payload.get("exp")
    user = payload.get("user_name")
    client = payload.get("client_id")
    jti = payload.get("jti")
    return TokenClaims(
        user_name=str(user) if user not in (None, "") else None,
        client_id=str(client) if client is not None else None,
        exp=float(exp) if isinstance(exp, (int, float)) else None,
        scope=tuple(str(s) for s in scope) if isinstance(scope, (list, tuple)) else (),
        jti=str(jti) if jti is not None else None,
        raw=payload,
    )


def claims_from_authorization(header: str | None) -> TokenClaims | None:
    """Claims of the bearer token in an ``Authorization`` header value, if any."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return decode_claims(token.strip())
