"""Mistakes told from a token's claims before a request is sent (A6, S7, S8).

Only what can be told for sure is refused: an app token on an operation whose ``security``
lists no ``bearer-token-for-application`` (A6), a sandbox token sent to production (or the
reverse, S8), a scope the token lacks when its scope list is known (S7). Which operation a
request is, and what it needs, comes from the spec (the generated table in
``allegro_async/api/_scopes.py``); a path the spec does not know goes to Allegro unchecked,
and Allegro's answer carries a hint.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from allegro_async._http import Request
from allegro_async.auth.tokens import Token
from allegro_async.errors import InvalidArgumentError

_HOSTS = {
    "api.allegro.pl": "production",
    "api.allegro.pl.allegrosandbox.pl": "sandbox",
    # binary uploads (images, attachments) go to the upload host of the same environment
    "upload.allegro.pl": "production",
    "upload.allegro.pl.allegrosandbox.pl": "sandbox",
}


class Route(NamedTuple):
    """What one operation needs of a token (from its ``security`` in the spec)."""

    method: str
    template: str  # the spec's path, e.g. "/sale/product-offers/{offerId}"
    scopes: tuple[str, ...]  # all of them are needed on a user token
    app_token_allowed: bool


class _Table(NamedTuple):
    exact: dict[tuple[str, str], Route]
    # (method, number of segments, first segment) -> templates of that shape, most literal first
    shaped: dict[tuple[str, int, str], list[tuple[re.Pattern[str], Route]]]


_table: _Table | None = None


def _shape(method: str, path: str) -> tuple[str, int, str]:
    segments = path.strip("/").split("/")
    return method, len(segments), segments[0]


def _compile() -> _Table:
    # Loaded on the first checked request: `import allegro_async` does not read the table.
    from allegro_async.api._scopes import ROUTES

    exact: dict[tuple[str, str], Route] = {}
    shaped: dict[tuple[str, int, str], list[tuple[int, re.Pattern[str], Route]]] = {}
    for row in ROUTES:
        route = Route(*row)
        if "{" not in route.template:
            exact[(route.method, route.template)] = route
            continue
        parts = re.split(r"\{[^}]+\}", route.template)
        regex = re.compile("[^/]+".join(re.escape(p) for p in parts))
        # more literal text first: /sale/offers/batch beats /sale/offers/{offerId}
        literal = sum(len(p) for p in parts)
        shaped.setdefault(_shape(route.method, route.template), []).append(
            (-literal, regex, route))
    return _Table(
        exact,
        {k: [(r, route) for _, r, route in sorted(rows, key=lambda x: (x[0], x[2].template))]
         for k, rows in shaped.items()},
    )


def route_for(method: str, path: str) -> Route | None:
    """The spec operation a request is (by method and path template), or ``None``."""
    global _table
    if _table is None:
        _table = _compile()
    method = method.upper()
    path = path.rstrip("/") or "/"
    found = _table.exact.get((method, path))
    if found is not None:
        return found
    for regex, route in _table.shaped.get(_shape(method, path), ()):
        if regex.fullmatch(path):
            return route
    return None


def check_request(token: Token, request: Request) -> None:
    """Raise :class:`InvalidArgumentError` when ``token`` certainly cannot serve ``request``."""
    path = request.url.path
    target = _HOSTS.get(request.url.host)
    if target is not None and token.environment in ("production", "sandbox") and (
        token.environment != target
    ):
        raise InvalidArgumentError(
            "token",
            f"a {token.environment} token is being sent to {target} ({request.url.host})",
            f"Allegro would answer 'Cannot convert access token to JSON'. Use a {target} "
            f"token, or point the client at {token.environment}",
        )
    claims = token.claims
    if claims is None:
        return
    route = route_for(request.method, path)
    if route is None:
        return
    if claims.is_app_token:
        if not route.app_token_allowed:
            raise InvalidArgumentError(
                "token",
                f"an app token (client_credentials, no user_name) cannot call "
                f"{route.method} {route.template}",
                "use a seller's token from the device or authorization-code flow "
                "(app.seller(seller_id))",
            )
        return
    if not claims.scope:
        return
    missing = [s for s in route.scopes if s not in claims.scope]
    if missing:
        needed = ", ".join(repr(s) for s in missing)
        raise InvalidArgumentError(
            "token",
            f"{request.method} {path} needs scope {needed}, which the token lacks",
            "authorize the app again with that scope (the app's settings on Allegro "
            "decide which scopes a seller grants)",
        )
