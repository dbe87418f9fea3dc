"""JWT access tokens as Allegro issues them (A6), minted and checked by the emulator.

The emulator signs with an HMAC keyed by its environment ("production" or "sandbox") so that a
token from a sandbox emulator fails on a production one with Allegro's S8 message. The header
still says RS256, as Allegro's do; clients never verify the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

from allegro_async.testing.emulator.clock import EmulatorClock
from allegro_async.testing.emulator.http import OAuthError, Principal

#: Scopes Allegro grants (a subset is enough for the emulator's resources).
DEFAULT_SCOPES = (
    "allegro:api:sale:offers:read",
    "allegro:api:sale:offers:write",
    "allegro:api:sale:settings:read",
    "allegro:api:sale:settings:write",
    "allegro:api:orders:read",
    "allegro:api:orders:write",
    "allegro:api:profile:read",
    "allegro:api:shipments:read",
    "allegro:api:shipments:write",
)

S8_MESSAGE = "Cannot convert access token to JSON"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _expired(token: str) -> str:
    # Allegro names the token; we show only the start of its signature.
    return f"Access token expired: {token.rsplit('.', 1)[-1][:8]}"


class TokenIssuer:
    """Mints and verifies access tokens for one emulator."""

    def __init__(self, *, environment: str, client_id: str, clock: EmulatorClock) -> None:
        self.environment = environment
        self.client_id = client_id
        self.clock = clock
        self.access_ttl = 12 * 3600.0  # A5
        self._revoked: set[str] = set()
        # token -> (principal, exp); the HMAC and JSON work is a third of a fast request's cost
        self._verified: dict[str, tuple[Principal, float]] = {}

    @staticmethod
    def _key(environment: str) -> bytes:
        return hashlib.sha256(f"allegro-emulator-{environment}".encode()).digest()

    def mint(
        self,
        user_id: str | None,
        *,
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        ttl: float | None = None,
        client_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A signed JWT for ``user_id`` (``None`` for an app token), valid for ``ttl`` emulated
        seconds (12 h by default, A5)."""
        now = self.clock.now().timestamp()
        claims: dict[str, Any] = {
            "client_id": client_id or self.client_id,
            "scope": list(scopes),
            "exp": int(now + (self.access_ttl if ttl is None else ttl)),
            "jti": str(uuid.uuid4()),
            "iss": f"allegro-emulator-{self.environment}",
        }
        if user_id is not None:
            claims["user_name"] = user_id
            claims["authorities"] = ["ROLE_USER"]
        else:
            claims["authorities"] = ["ROLE_CLIENT"]
        claims.update(extra or {})
        head = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{head}.{body}".encode()
        sig = _b64(hmac.new(self._key(self.environment), signing_input, "sha256").digest())
        return f"{head}.{body}.{sig}"

    def revoke(self, jti: str) -> None:
        """Make a token unusable (as after a password change)."""
        self._revoked.add(jti)

    def verify(self, token: str) -> Principal:
        """The principal behind ``token``, or the 401 Allegro gives (S8, expiry)."""
        cached = self._verified.get(token)
        if cached is not None:
            found, exp = cached
            if found.token_id in self._revoked:
                raise OAuthError(401, "invalid_token", "Invalid access token")
            if exp <= self.clock.now().timestamp():
                raise OAuthError(401, "invalid_token", _expired(token))
            return found
        parts = token.split(".")
        if len(parts) != 3:
            raise OAuthError(401, "invalid_token", S8_MESSAGE)
        signing_input = f"{parts[0]}.{parts[1]}".encode()
        expected = _b64(hmac.new(self._key(self.environment), signing_input, "sha256").digest())
        if not hmac.compare_digest(expected, parts[2]):
            raise OAuthError(401, "invalid_token", S8_MESSAGE)
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            raise OAuthError(401, "invalid_token", S8_MESSAGE) from None
        if claims.get("jti") in self._revoked:
            raise OAuthError(401, "invalid_token", "Invalid access token")
        if float(claims.get("exp", 0)) <= self.clock.now().timestamp():
            raise OAuthError(401, "invalid_token", _expired(token))
        found = Principal(
            client_id=str(claims.get("client_id")),
            user_id=claims.get("user_name"),
            scopes=tuple(claims.get("scope", ())),
            token_id=str(claims.get("jti")),
        )
        if len(self._verified) >= 4096:
            self._verified.clear()
        self._verified[token] = (found, float(claims.get("exp", 0)))
        return found

    def verify_header(self, header: str | None) -> Principal:
        """Verify an ``Authorization: Bearer`` header value."""
        if not header:
            raise OAuthError(
                401, "unauthorized", "Full authentication is required to access this resource"
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise OAuthError(
                401, "unauthorized", "Full authentication is required to access this resource"
            )
        return self.verify(token.strip())
