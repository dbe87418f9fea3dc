"""Mistakes told from a token's claims before a request is sent (A6, S7, S8).

Only what can be told for sure is refused: an app token on a resource that always needs a
seller, a sandbox token sent to production (or the reverse), a scope the token lacks when its
scope list is known. Everything else goes to Allegro, whose answer carries a hint.
"""

from __future__ import annotations

from allegro_async._http import Request
from allegro_async.auth.tokens import Token
from allegro_async.errors import InvalidArgumentError

#: Paths that always need a seller's token (A6); app tokens work on categories and the like.
USER_RESOURCES = (
    "/me",
    "/order/checkout-forms",
    "/order/events",
    "/order/event-stats",
    "/sale/offers",
    "/sale/product-offers",
    "/sale/offer-",
    "/sale/shipping-rates",
)

#: (path prefix, scope for reading, scope for writing) of the resources whose scope is known.
SCOPES = (
    ("/order/carriers", None, None),
    ("/order/", "allegro:api:orders:read", "allegro:api:orders:write"),
    ("/sale/shipping-rates", "allegro:api:sale:settings:read", "allegro:api:sale:settings:write"),
    ("/sale/offers", "allegro:api:sale:offers:read", "allegro:api:sale:offers:write"),
    ("/sale/product-offers", "allegro:api:sale:offers:read", "allegro:api:sale:offers:write"),
    ("/sale/offer-", "allegro:api:sale:offers:read", "allegro:api:sale:offers:write"),
    ("/me", "allegro:api:profile:read", "allegro:api:profile:read"),
)

_HOSTS = {
    "api.allegro.pl": "production",
    "api.allegro.pl.allegrosandbox.pl": "sandbox",
}


def _matches(path: str, prefix: str) -> bool:
    if prefix.endswith(("-", "/")):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


def check_request(token: Token, request: Request) -> None:
    """Raise :class:`InvalidArgumentError` when ``token`` certainly cannot serve ``request``."""
    path = request.url.path
    target = _HOSTS.get(request.url.host)
    if target is not None and token.environment in _HOSTS.values() and token.environment != target:
        raise InvalidArgumentError(
            "token",
            f"a {token.environment} token is being sent to {target} ({request.url.host})",
            f"S8: Allegro would answer 'Cannot convert access token to JSON'. Use a {target} "
            f"token, or point the client at {token.environment}",
        )
    claims = token.claims
    if claims is None:
        return
    if claims.is_app_token and any(_matches(path, p) for p in USER_RESOURCES):
        raise InvalidArgumentError(
            "token",
            f"an app token (client_credentials, no user_name) cannot call {path}",
            "A6: use a seller's token from the device or authorization-code flow "
            "(app.seller(seller_id))",
        )
    if not claims.scope:
        return
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    for prefix, read_scope, write_scope in SCOPES:
        if _matches(path, prefix):
            needed = write_scope if writing else read_scope
            if needed is not None and needed not in claims.scope:
                raise InvalidArgumentError(
                    "token",
                    f"{request.method} {path} needs scope {needed!r}, which the token lacks",
                    "S7: authorize the app again with that scope (the app's settings on Allegro "
                    "decide which scopes a seller grants)",
                )
            return
