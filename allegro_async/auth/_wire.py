"""The wire side of the token requests: the Basic header, the form body and the redirect's
query, each kept in a :class:`~allegro_async._redact.Secret` and unwrapped only inside the
expression that uses it; the typed error of a refused token request."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.auth import ClientAuth

from allegro_async import _redact
from allegro_async._http import Response, httpx
from allegro_async._redact import Secret
from allegro_async.errors import APIError, error_for_response

_INVALID_GRANT_HINT = (  # A5
    "refresh tokens rotate; the old one stops working about a minute after a refresh. "
    "Another worker probably refreshed this pair: share one TokenStore with a lock, and load "
    "the pair it saved."
)


def basic_header(client_id: str, secret: Secret[str]) -> Secret[str]:
    """``Basic base64(id:secret)`` as authlib makes it (client_secret_basic), kept wrapped."""
    _, headers, _ = ClientAuth(client_id, secret.reveal(), "client_secret_basic").prepare(
        "POST", "", {}, "")
    return Secret(headers["Authorization"])


def form_body(form: Mapping[str, str | Secret[str]]) -> Secret[bytes]:
    """The form url-encoded, its secrets unwrapped inside this expression only."""
    return Secret(str(httpx.QueryParams(
        {k: v.reveal() if isinstance(v, Secret) else v for k, v in form.items()})).encode())


def query_of(url: Secret[str]) -> dict[str, list[Secret[str]]]:
    """The query parameters of a redirect URL, every value wrapped; only ``code`` registered
    with the log redactor (an ``error`` such as ``access_denied`` must stay readable)."""
    return {k: [Secret(v, register=k == "code") for v in values]
            for k, values in parse_qs(urlsplit(url.reveal()).query).items()}


def register_tokens(response: Response) -> None:
    """Register the tokens of a token answer with the log redactor."""
    data = response.json()
    if isinstance(data, dict):
        _redact.register(data.get("access_token"))
        _redact.register(data.get("refresh_token"), long_lived=True)


def token_error(response: Response, path: str) -> APIError:
    exc = error_for_response(response, method="POST", path=path)
    if exc.hint is None and exc.oauth_error == "invalid_grant":
        return type(exc)(
            status_code=exc.status_code, method=exc.method, path=exc.path, errors=exc.errors,
            oauth_error=exc.oauth_error, oauth_error_description=exc.oauth_error_description,
            trace_id=exc.trace_id, hint=_INVALID_GRANT_HINT, body_text=exc.body_text,
            response=response,
        )
    return exc
