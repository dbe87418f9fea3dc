"""One exception hierarchy for everything that can go wrong, rooted at :class:`AllegroError`.

API errors carry the status, Allegro's parsed ``errors[]`` (A7) or the OAuth pair
``error``/``error_description``, the ``trace-id`` header that Allegro support asks for, the
method and path, and a hint when the usual cause is known (S5-S8, S17, S19, A6).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from allegro_async._redact import scrub
from allegro_async.auth.jwt import TokenClaims

if TYPE_CHECKING:
    from allegro_async._http import Response

__all__ = [
    "APIError",
    "AllegroError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConnectError",
    "DraftsLimitError",
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
    "TransportError",
    "UnprocessableEntityError",
    "error_for_response",
    "parse_error_body",
]

_MAX_TEXT = 300  # characters of a field kept in a message
_MAX_SHOWN = 5  # errors[] entries shown in a message


class AllegroError(Exception):
    """Base of every exception the library raises. ``str()`` and ``repr()`` never show a
    secret."""

    def __init__(self, *args: Any) -> None:
        # args are scrubbed too: pickling, logging and debuggers show them without __str__.
        super().__init__(*(scrub(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:
        return scrub(super().__str__())

    def __repr__(self) -> str:
        # Exception.__repr__ shows args unscrubbed; secrets registered after construction too.
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, which the default pickling cannot replay;
        # rebuild from args and attributes instead (for multiprocessing, task queues). The
        # httpx response does not travel.
        state = {k: v for k, v in self.__dict__.items() if k != "response"}
        return (_restore, (type(self), self.args, state))


def _restore(cls: type[AllegroError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    if isinstance(error, APIError):
        error.response = None
    return error


class InvalidArgumentError(AllegroError, ValueError):
    """Bad input caught before any request was sent. Names the ``field`` and the ``fix``."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}. Fix: {fix}")


class TransportError(AllegroError):
    """The request did not get a response: connection, timeout or protocol failure.

    The original httpx exception is kept as ``__cause__``.
    """

    def __init__(self, message: str, *, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {message}")


class ConnectError(TransportError):
    """Could not connect (DNS, refused, TLS). Safe to retry for any method."""


class RequestTimeoutError(TransportError):
    """The connection or a read timed out. The request may or may not have been processed."""


class ProtocolError(TransportError):
    """The connection broke or the server spoke invalid HTTP (e.g. a dropped connection)."""


class ResponseValidationError(AllegroError):
    """A 2xx response body did not match the expected model (Allegro added or changed a field in
    a way the model cannot take). ``body`` holds the parsed JSON."""

    def __init__(self, message: str, *, body: Any = None, trace_id: str | None = None) -> None:
        self.body = body
        self.trace_id = trace_id
        super().__init__(message)


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
        text = json.dumps(value, default=str)[: _MAX_TEXT * 4]
    except (ValueError, TypeError, RecursionError):  # whatever the server sent, never raise
        text = repr(type(value))
    return scrub(text)


@dataclass
class _ParsedBody:
    errors: list[ErrorDetail]
    oauth_error: str | None
    oauth_error_description: str | None
    text: str


def parse_error_body(content: bytes, content_type: str | None = None) -> _ParsedBody:
    """Parse an error body of any shape; never raises.

    Understands the API shape ``{"errors": [...]}``, the OAuth shape ``{"error",
    "error_description"}`` and a lone ``{"code", "message"}``; anything else (HTML, empty,
    truncated) keeps a short text excerpt.
    """
    text = ""
    try:
        text = scrub(content[:4096].decode("utf-8", errors="replace"))
    except Exception:  # pragma: no cover - bytes always decode with errors="replace"
        text = ""
    errors: list[ErrorDetail] = []
    oauth_error = oauth_description = None
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
    return _ParsedBody(errors, oauth_error, oauth_description, text)


class APIError(AllegroError):
    """Allegro answered with an error status.

    Attributes: ``status_code``, ``errors`` (list of :class:`ErrorDetail`), ``oauth_error`` and
    ``oauth_error_description`` (auth-layer errors, A7), ``trace_id``, ``method``, ``path``,
    ``hint`` (the usual cause and fix, when known), ``response`` (the httpx response).
    """

    def __init__(
        self,
        *,
        status_code: int,
        method: str,
        path: str,
        errors: list[ErrorDetail] | None = None,
        oauth_error: str | None = None,
        oauth_error_description: str | None = None,
        trace_id: str | None = None,
        hint: str | None = None,
        body_text: str = "",
        response: Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.errors = errors or []
        self.oauth_error = oauth_error
        self.oauth_error_description = oauth_error_description
        self.trace_id = trace_id
        self.hint = hint
        self.body_text = body_text
        self.response = response
        super().__init__(self._compose())

    @property
    def code(self) -> str | None:
        """The first error code (``errors[0].code``, or the OAuth ``error``)."""
        if self.errors and self.errors[0].code:
            return self.errors[0].code
        return self.oauth_error

    @property
    def message(self) -> str:
        """The server's messages joined, or a short excerpt of the body."""
        parts = []
        for err in self.errors:
            bits = [b for b in (err.code, err.message) if b]
            if err.path:
                bits.append(f"(at {err.path})")
            if bits:
                parts.append(" ".join(bits)[:_MAX_TEXT])
        if self.oauth_error:
            parts.append(
                f"{self.oauth_error}: {self.oauth_error_description or ''}".strip()[:_MAX_TEXT]
            )
        if not parts:
            excerpt = " ".join(self.body_text.split())[:120]
            parts.append(f"body: {excerpt!r}" if excerpt else "empty body")
        if len(parts) > _MAX_SHOWN:  # keep the message readable; all of them are in .errors
            parts = [*parts[:_MAX_SHOWN], f"... and {len(parts) - _MAX_SHOWN} more in .errors"]
        return "; ".join(parts)

    def _compose(self) -> str:
        text = f"{self.status_code} {self.method} {self.path}: {self.message}"
        if self.trace_id:
            text += f" [trace-id: {self.trace_id}]"
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text

    def mentions(self, phrase: str) -> bool:
        """True when any message, detail or code contains ``phrase`` (case-insensitive)."""
        return _mentions(self.errors, self.oauth_error, self.oauth_error_description, phrase)


class BadRequestError(APIError):
    """400: the request is malformed or fails validation."""


class AuthenticationError(APIError):
    """401: missing, expired, malformed or foreign token (S6, S8)."""


class PermissionDeniedError(APIError):
    """403: the token lacks a scope or belongs to another seller (S7, A6)."""


class NotFoundError(APIError):
    """404: no such resource (or, for checkout forms, one that was combined: S12)."""


class NotAcceptableError(APIError):
    """406: the ``Accept`` header names a media type the endpoint does not serve (A11)."""


class ConflictError(APIError):
    """409: a stale revision (S13) or a different command under a reused id (S20)."""


class UnprocessableEntityError(APIError):
    """422: semantically invalid (S17), or a listing past offset + limit 10 000 (A9)."""


class DraftsLimitError(UnprocessableEntityError):
    """422: the account holds the maximum number of drafts (S19). ``limit`` is that number when
    Allegro said it."""

    @property
    def limit(self) -> int | None:
        """The ``maxInactiveOffers`` number from Allegro's message, if present."""
        for err in self.errors:
            for text in (err.message, err.details, err.user_message):
                match = re.search(r"maximum number\D*(\d[\d ,.]*)", text or "")
                if match:
                    return int(re.sub(r"\D", "", match.group(1)))
            for key in ("maxInactiveOffers", "limit"):
                value = err.metadata.get(key)
                if value is not None and str(value).isdigit():
                    return int(value)
        return None


class RateLimitedError(APIError):
    """429: the app (S1) or the user (S2) is over its limit; A1 bodies carry no Retry-After.

    When raised by the throttling layer after its deadline, ``waited`` is how many seconds the
    request waited and retried, and ``reason`` says why (``"app_block"`` or ``"user_limit"``).
    """

    waited: float | None = None
    reason: str | None = None


class ServerError(APIError):
    """5xx: Allegro failed. Idempotent requests are retried by the retry layer."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    406: NotAcceptableError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitedError,
}


def _mentions(
    errors: list[ErrorDetail], oauth_error: str | None, description: str | None, phrase: str
) -> bool:
    needle = phrase.lower()
    texts = [oauth_error, description]
    for err in errors:
        texts += [err.code, err.message, err.details, err.user_message]
    return any(needle in t.lower() for t in texts if t)


def _hint(
    status: int,
    parsed: _ParsedBody,
    claims: TokenClaims | None,
    has_token: bool,
) -> tuple[str | None, type[APIError] | None]:
    """The usual cause and fix for a known error, and a more specific class if one applies."""

    def says(phrase: str) -> bool:
        return _mentions(parsed.errors, parsed.oauth_error, parsed.oauth_error_description, phrase)

    if says("authorization code must be supplied"):  # S5
        return (
            "S5: the token request lacks a parameter named exactly 'code'. Send "
            "grant_type=authorization_code, code and redirect_uri as a form-encoded POST body.",
            None,
        )
    if says("full authentication is required"):  # S6
        return (
            "S6: the token request is malformed or the app's HTTP Basic credentials "
            "(client_id:client_secret) are missing or wrong. Send parameters in a form body and "
            "authenticate with Basic auth.",
            None,
        )
    if says("cannot convert access token to json"):  # S8
        return (
            "S8: the token was not issued by this environment: a sandbox token on production or "
            "the reverse (also seen for expired or malformed tokens). Use the token with the "
            "environment that issued it, or obtain a new one.",
            None,
        )
    if says("user name from jwt cannot be empty"):  # A6
        return (
            "A6: this is an app token (client_credentials): it works only on public resources "
            "such as categories and carriers. Use a seller's token from the authorization-code "
            "or device flow.",
            None,
        )
    if says("schedule activating an offer in the past"):  # S17
        return (
            "S17: publication.scheduledFor is in the past. Give a future time, or leave it out "
            "to activate at once.",
            None,
        )
    if status == 422 and says("maximum number") and says("draft"):  # S19
        return (
            "S19: the account holds the maximum number of drafts. Count them with "
            "offers.list(publication_status='INACTIVE') and delete the ones you do not need.",
            DraftsLimitError,
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
            f"S7: the request used {who}. The token must belong to the seller who owns the "
            f"resource and carry the scope the resource needs.{scopes}",
            None,
        )
    if status == 401 and not has_token:
        return "No bearer token was sent: give access_token= or an auth to the client.", None
    return None, None


def error_for_response(
    response: Response,
    *,
    method: str | None = None,
    path: str | None = None,
) -> APIError:
    """Build the exception for an error response. Never raises."""
    request = response.request if _has_request(response) else None
    method = method or (request.method if request is not None else "?")
    path = path or (request.url.path if request is not None else "?")
    status = response.status_code
    try:
        content = response.content
    except Exception:  # a streamed body that was not read
        content = b""
    parsed = parse_error_body(content, response.headers.get("content-type"))
    auth_header = request.headers.get("authorization") if request is not None else None
    from allegro_async.auth.jwt import claims_from_authorization

    claims = claims_from_authorization(auth_header)
    has_token = auth_header is not None and auth_header.lower().startswith("bearer")
    hint, special = _hint(status, parsed, claims, has_token)
    cls = special or _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(
        status_code=status,
        method=method,
        path=path,
        errors=parsed.errors,
        oauth_error=parsed.oauth_error,
        oauth_error_description=parsed.oauth_error_description,
        trace_id=response.headers.get("trace-id"),
        hint=hint,
        body_text=parsed.text,
        response=response,
    )


def _has_request(response: Response) -> bool:
    try:
        response.request  # noqa: B018 - raises RuntimeError when unset
    except RuntimeError:
        return False
    return True
