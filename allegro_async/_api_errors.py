"""Allegro's error answers as exceptions: :class:`APIError`, one class per status, and
:func:`error_for_response`, which reads an answer's body and headers into one with its hint.

Public through :mod:`allegro_async.errors`, which every class names as its module.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from allegro_async._error_base import AllegroError
from allegro_async._error_body import ErrorDetail, hint_for, mentions, parse_error_body

if TYPE_CHECKING:
    from allegro_async._http import Response

_MAX_TEXT = 300  # characters of a field kept in a message
_MAX_SHOWN = 5  # errors[] entries shown in a message


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
        return mentions(self.errors, self.oauth_error, self.oauth_error_description, phrase)

    @property
    def allegro_status(self) -> int | None:
        """The status Allegro answered with (``None`` when the error was made locally and
        Allegro answered nothing, see :class:`ThrottleGiveUpError`)."""
        return self.status_code


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

    When the throttling layer stops retrying Allegro's 429s (``retry_429_for`` or the call's
    deadline), ``waited`` is how many seconds the request waited and retried, ``reason`` says
    whose limit it was (``"app_block"`` or ``"user_limit"``), and ``blocked_for`` how many
    seconds the app block has left (``None`` when not blocked). A request the throttle gave up
    before Allegro answered it is a :class:`ThrottleGiveUpError`.
    """

    waited: float | None = None
    reason: str | None = None
    blocked_for: float | None = None


class ThrottleGiveUpError(RateLimitedError):
    """The client's own throttle gave the request up while it waited at the closed app gate
    (an app-wide block, A1): the block lasts past the call's deadline, or the waiting reached
    ``retry_429_for``. Made locally, not an answer of Allegro's.

    ``attempts`` is how many times this request was sent before (each answered 429 by
    Allegro; ``0``: it never went out), ``sent`` whether any attempt of the call reached
    Allegro, ``allegro_status`` ``429`` if Allegro answered an attempt, else ``None``.
    ``waited`` is the seconds it waited, ``blocked_for`` the seconds the block has left as the
    gate knows it, ``retry_after`` the seconds until a retry can expect to go out. Still a
    :class:`RateLimitedError` (``status_code`` 429), so code that handles those keeps working.
    """

    def __init__(self, *, method: str, path: str, reason: str, detail: str, waited: float,
                 blocked_for: float | None, retry_after: float, attempts: int,
                 sent: bool) -> None:
        self.reason = reason
        self.detail = detail
        self.waited = waited
        self.blocked_for = blocked_for
        self.retry_after = retry_after
        self.attempts = attempts
        self.sent = sent or attempts > 0
        super().__init__(status_code=429, method=method, path=path, hint=(
            f"retry in about {math.ceil(retry_after)} s, when the block is expected to be "
            "over; requests sent during a block make it longer, so the client holds them "
            "back. A call that may wait longer can pass a larger timeout=."))

    @property
    def allegro_status(self) -> int | None:
        """``429`` when Allegro answered an attempt of this request, else ``None``."""
        return 429 if self.attempts else None

    def _compose(self) -> str:
        if self.attempts:
            times = "once" if self.attempts == 1 else f"{self.attempts} times"
            outcome = (f"the request was sent {times} and Allegro answered 429; it was not "
                       "sent again")
        elif self.sent:
            outcome = "an earlier attempt of this call was sent to Allegro; this one was not"
        else:
            outcome = "nothing was sent to Allegro"
        return (f"{self.method} {self.path}: given up by the client's own throttle after "
                f"waiting {self.waited:.1f} s: {self.detail}; {outcome}\nHint: {self.hint}")


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
    hint, drafts_limit = hint_for(status, parsed, claims, has_token)
    cls: type[APIError] = DraftsLimitError if drafts_limit else (
        _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    )
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
