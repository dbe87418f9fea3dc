"""Reading error bodies of any shape (A7) and knowing the usual causes (S5-S8, S17, S19, A6).

Never raises: whatever a server sends, the result is something an exception can carry.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from allegro_async._redact import scrub
from allegro_async.auth.jwt import TokenClaims

_MAX_TEXT = 300  # characters of a field kept in a message
_KEPT = 4096  # characters of an error body kept as its text
_SECRET_ROOM = 16384  # read past a cut before scrubbing, so a token across it is still whole
#: Bytes of an error body read and parsed: Allegro's ``errors[]`` fits many times over, and a
#: 100 MB 5xx page (a proxy's HTML) then costs no more than this.
MAX_ERROR_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of Allegro's ``errors[]`` (A7)."""

    code: str | None = None
    message: str | None = None
    details: str | None = None
    path: str | None = None
    user_message: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, item: Any) -> ErrorDetail:
        """Build from one JSON object, tolerating any shape."""
        if not isinstance(item, dict):
            return cls(message=_text(item))
        metadata = item.get("metadata")
        if isinstance(metadata, dict):
            # a server may echo a token back; the parsed error must not carry it around
            metadata = {
                k: scrub(v) if isinstance(v, str) else v for k, v in metadata.items()
            }
        return cls(
            code=_text(item.get("code")),
            message=_text(item.get("message")),
            details=_text(item.get("details")),
            path=_text(item.get("path")),
            user_message=_text(item.get("userMessage", item.get("user_message"))),
            metadata=metadata if isinstance(metadata, dict) else {},
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return scrub(value)
    try:
        text = json.dumps(value, default=str)[: _MAX_TEXT * 4 + _SECRET_ROOM]
    except (ValueError, TypeError, RecursionError):  # whatever the server sent, never raise
        text = repr(type(value))
    return scrub(text)[: _MAX_TEXT * 4]  # cut after scrubbing, as in parse_error_body


@dataclass
class ParsedBody:
    """What an error body said, whatever its shape."""

    errors: list[ErrorDetail]
    oauth_error: str | None
    oauth_error_description: str | None
    text: str


def parse_error_body(content: bytes, content_type: str | None = None) -> ParsedBody:
    """Parse an error body of any shape; never raises.

    Understands the API shape ``{"errors": [...]}``, the OAuth shape ``{"error",
    "error_description"}`` and a lone ``{"code", "message"}``; anything else (HTML, empty,
    truncated) keeps a short text excerpt.
    """
    text = ""
    try:
        # scrubbed before the cut, with room past it for a whole JWT: a secret straddling
        # the cut would otherwise no longer be recognised and its head would be kept
        text = scrub(content[:_KEPT + _SECRET_ROOM].decode("utf-8", errors="replace"))[:_KEPT]
    except Exception:  # pragma: no cover - bytes always decode with errors="replace"
        text = ""
    errors: list[ErrorDetail] = []
    oauth_error = oauth_description = None
    # Only the head: a body read whole elsewhere (an http_client of the caller's own) must not
    # be JSON-parsed whole; a cut JSON document fails to parse and keeps its text excerpt.
    content = content[:MAX_ERROR_BODY_BYTES]
    try:
        data = json.loads(content) if content.strip() else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    if isinstance(data, dict):
        raw_errors = data.get("errors")
        if isinstance(raw_errors, list):
            errors = [ErrorDetail.from_json(item) for item in raw_errors[:100]]
        elif isinstance(raw_errors, dict):
            errors = [ErrorDetail.from_json(raw_errors)]
        if isinstance(data.get("error"), str):
            oauth_error = scrub(data["error"])
            oauth_description = _text(data.get("error_description"))
        if not errors and oauth_error is None and ("code" in data or "message" in data):
            errors = [ErrorDetail.from_json(data)]
    return ParsedBody(errors, oauth_error, oauth_description, text)


def mentions(
    errors: list[ErrorDetail], oauth_error: str | None, description: str | None, phrase: str
) -> bool:
    needle = phrase.lower()
    texts = [oauth_error, description]
    for err in errors:
        texts += [err.code, err.message, err.details, err.user_message]
    return any(needle in t.lower() for t in texts if t)


#: The hint for a 401/403 whose token has expired (A5: access tokens live 12 hours).
_EXPIRED_HINT = (
    "the access token has expired (access tokens live 12 hours). Refresh it with the seller's "
    "refresh token (a client given the seller's auth refreshes by itself), or connect the "
    "seller again if the refresh token is no longer valid."
)


def _expired(status: int, parsed: ParsedBody, claims: TokenClaims | None) -> bool:
    """Whether the answer, or (for a 401) the token's own ``exp``, says the token expired."""
    texts = [parsed.oauth_error_description or ""]
    texts += [t or "" for err in parsed.errors for t in (err.code, err.message, err.details)]
    if any("token expired" in t.lower() or "token has expired" in t.lower() for t in texts):
        return True
    return (status == 401 and claims is not None and claims.exp is not None
            and claims.exp <= time.time())


def hint_for(
    status: int,
    parsed: ParsedBody,
    claims: TokenClaims | None,
    has_token: bool,
) -> tuple[str | None, bool]:
    """The usual cause and fix for a known error, and whether it is the drafts limit (S19)."""

    def says(phrase: str) -> bool:
        return mentions(parsed.errors, parsed.oauth_error, parsed.oauth_error_description, phrase)

    if says("authorization code must be supplied"):  # S5
        return (
            "the token request lacks a parameter named exactly 'code'. Send "
            "grant_type=authorization_code, code and redirect_uri as a form-encoded POST body.",
            False,
        )
    if says("full authentication is required"):  # S6
        return (
            "the token request is malformed or the app's HTTP Basic credentials "
            "(client_id:client_secret) are missing or wrong. Send parameters in a form body and "
            "authenticate with Basic auth.",
            False,
        )
    if status in (401, 403) and has_token and _expired(status, parsed, claims):  # A5
        return (_EXPIRED_HINT, False)
    if says("cannot convert access token to json"):  # S8
        return (
            "the token was not issued by this environment: a sandbox token on production or "
            "the reverse (also seen for expired or malformed tokens). Use the token with the "
            "environment that issued it, or obtain a new one.",
            False,
        )
    if says("user name from jwt cannot be empty"):  # A6
        return (
            "this is an app token (client_credentials): it works only on public resources "
            "such as categories and carriers. Use a seller's token from the authorization-code "
            "or device flow.",
            False,
        )
    if says("schedule activating an offer in the past"):  # S17
        return (
            "publication.scheduledFor is in the past. Give a future time, or leave it out "
            "to activate at once.",
            False,
        )
    if status == 422 and says("maximum number") and says("draft"):  # S19
        return (
            "the account holds the maximum number of drafts. Count them with "
            "offers.list(publication_status='INACTIVE') and delete the ones you do not need.",
            True,
        )
    if status in (401, 403) and has_token:  # S7
        if claims is not None and claims.is_app_token:
            who = "an app token (client_credentials, no user_name)"
        elif claims is not None:
            who = f"a token for user_name={claims.user_name!r}"
        else:
            who = "a token that is not a readable JWT"
        scopes = f" Its scopes: {', '.join(claims.scope)}." if claims and claims.scope else ""
        return (
            f"the request used {who}. The token must belong to the seller who owns the "
            f"resource and carry the scope the resource needs.{scopes}",
            False,
        )
    if status == 401 and not has_token:
        return "No bearer token was sent: give access_token= or an auth to the client.", False
    return None, False
