"""The token pair: :class:`Token`, an access token, its refresh token and when it expires, read
from a token-endpoint answer and kept by a store as plain JSON.

Public through :mod:`allegro_async.auth.tokens`, which the class names as its module (so pickles
and reprs name ``allegro_async.auth.tokens``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from allegro_async import _redact
from allegro_async.auth.jwt import TokenClaims, decode_claims


@dataclass(frozen=True)
class Token:
    """An access token, its refresh token and when it expires (epoch seconds).

    ``environment`` names where it was issued ("production", "sandbox" or "custom"), so a
    sandbox token can be refused on production before any request (S8). The repr never shows
    the secrets.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: tuple[str, ...] = ()
    token_type: str = "bearer"
    environment: str | None = None
    #: When the pair was issued (epoch seconds), to know the token's lifetime.
    issued_at: float | None = None

    def __post_init__(self) -> None:
        _redact.register(self.access_token)
        _redact.register(self.refresh_token, long_lived=True)  # 3 months (A5)

    @classmethod
    def from_response(
        cls, data: Mapping[str, Any], *, now: float | None = None, environment: str | None = None
    ) -> Token:
        """Build from a token-endpoint answer (``access_token``, ``expires_in``, ...)."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("token response has no access_token")
        now = time.time() if now is None else now
        expires_in = data.get("expires_in")
        expires_at = now + float(expires_in) if isinstance(expires_in, (int, float)) else None
        if expires_at is None:
            claims = decode_claims(access)
            expires_at = claims.exp if claims else None
        scope = data.get("scope") or ""
        return cls(
            access_token=access,
            refresh_token=data.get("refresh_token") or None,
            expires_at=expires_at,
            scope=tuple(scope.split()) if isinstance(scope, str) else tuple(scope),
            token_type=str(data.get("token_type", "bearer")),
            environment=environment,
            issued_at=now,
        )

    @property
    def claims(self) -> TokenClaims | None:
        """The A6 claims of the access token (``user_name``, ``client_id``, ``exp``, ``scope``)."""
        return decode_claims(self.access_token)

    @property
    def user_name(self) -> str | None:
        """The seller's user id, ``None`` for an app token (A6)."""
        claims = self.claims
        return claims.user_name if claims else None

    @property
    def lifetime(self) -> float | None:
        """Seconds from issue to expiry, when both are known."""
        if self.issued_at is None or self.expires_at is None:
            return None
        return self.expires_at - self.issued_at

    def refresh_margin(self, margin: float) -> float:
        """``margin`` capped at half the token's lifetime.

        A margin longer than the lifetime would make a freshly refreshed token look stale at
        once, and every request would refresh it (a refresh storm against the per-user token
        limit, A2). With the cap a token is used for at least half its life.
        """
        lifetime = self.lifetime
        if lifetime is None or lifetime <= 0:
            return margin
        return min(margin, lifetime / 2)

    def expires_within(self, seconds: float, *, now: float | None = None) -> bool:
        """True when the token expires in less than ``seconds`` (or has expired)."""
        if self.expires_at is None:
            return False
        return self.expires_at - (time.time() if now is None else now) < seconds

    def to_json(self) -> dict[str, Any]:
        """Plain data for a store."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": list(self.scope),
            "token_type": self.token_type,
            "environment": self.environment,
            "issued_at": self.issued_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of :meth:`to_json`."""
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=data.get("expires_at"),
            scope=tuple(data.get("scope") or ()),
            token_type=str(data.get("token_type", "bearer")),
            environment=data.get("environment"),
            issued_at=data.get("issued_at"),
        )

    def with_environment(self, environment: str) -> Token:
        """A copy marked as issued by ``environment``."""
        return replace(self, environment=environment)


Token.__module__ = "allegro_async.auth.tokens"  # its public home, as before the split
