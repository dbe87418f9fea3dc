"""OAuth2 for Allegro: flows, tokens and their stores, JWT claims."""

from allegro_async._redact import Secret
from allegro_async.auth.jwt import TokenClaims, claims_from_authorization, decode_claims

__all__ = ["Secret", "TokenClaims", "claims_from_authorization", "decode_claims"]
