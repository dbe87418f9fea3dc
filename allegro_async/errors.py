"""One exception hierarchy for everything that can go wrong, rooted at :class:`AllegroError`.

API errors carry the status, Allegro's parsed ``errors[]`` (A7) or the OAuth pair
``error``/``error_description``, the ``trace-id`` header that Allegro support asks for, the
method and path, and a hint when the usual cause is known (S5-S8, S17, S19, A6).
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from allegro_async._error_body import ErrorDetail, hint_for, mentions, parse_error_body
from allegro_async._redact import scrub

if TYPE_CHECKING:
    from allegro_async._http import Response

__all__ = [
    "APIError",
    "AllegroError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ConnectError",
    "DeadlineExceededError",
    "DraftsLimitError",
    "ErrorDetail",
    "IncompleteListingError",
    "InvalidArgumentError",
    "NotAcceptableError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "ThrottleGiveUpError",
    "TransportError",
    "UnexpectedContentError",
    "UnprocessableEntityError",
    "WalkStalledError",
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
        # Scrubbed again: a secret registered since construction must not travel either.
        args = tuple(scrub(a) if isinstance(a, str) else a for a in self.args)
        state = {k: v for k, v in self.__dict__.items() if k != "response"}
        return (_restore, (type(self), args, state))


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


class ClientClosedError(AllegroError, RuntimeError):
    """A request was made through a client (or a seller's view of an app) that is closed
    already: nothing was sent. Usually a view kept past its ``AllegroApp``'s close, or a
    request made during a web app's shutdown. Also a ``RuntimeError``, as httpx raises."""

    def __init__(self, *, method: str, path: str) -> None:
        self.method = method
        self.path = path
        self.sent = False
        self.hint = ("make requests while the client is open: inside `async with "
                     "AllegroApp(...)` or `async with AllegroClient(...)`, or the web app's "
                     "lifespan; take a seller's client from the running app "
                     "(app.seller(seller_id)) for each task instead of keeping one past the "
                     "app's close")
        super().__init__(f"{method} {path}: the client is closed (its AllegroApp or "
                         f"AllegroClient was closed), so nothing was sent\nHint: {self.hint}")


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


class DeadlineExceededError(RequestTimeoutError):
    """The call's deadline (a per-call ``timeout=`` in seconds, or the client's) passed.

    ``timeout`` is the deadline in seconds, ``waiting_for`` what the call was waiting for when
    it passed (the access token, the app gate, the throttle's queue, Allegro's answer, the
    body, the pause before a retry), and ``sent`` whether a request of the call may have
    reached Allegro: ``False`` if none was sent, ``True`` if one was (it may or may not have
    been processed), ``None`` if that is not known.
    """

    def __init__(self, *, method: str, path: str, timeout: float | None, waiting_for: str,
                 sent: bool | None) -> None:
        self.timeout = timeout
        self.waiting_for = waiting_for
        self.sent = sent
        #: Seconds a retry can expect to wait, when the call gave up in the client's own
        #: throttle (the app gate or its queues) and the throttle could tell; else ``None``.
        self.retry_after: float | None = None
        seconds = "deadline" if timeout is None else f"{timeout:g} s deadline"
        if sent is False:
            outcome = "nothing was sent to Allegro"
        elif sent:
            outcome = "the request was sent and may or may not have been processed by Allegro"
        else:
            outcome = "the request may or may not have reached Allegro"
        super().__init__(f"the call's {seconds} passed while waiting for {waiting_for}; "
                         f"{outcome}", method=method, path=path)


class ProtocolError(TransportError):
    """The connection broke or the server spoke invalid HTTP (e.g. a dropped connection)."""


def scrub_json(value: Any) -> Any:
    """``value`` (decoded JSON) with every registered secret scrubbed from its strings, keys
    included. Returns ``value`` itself when there is nothing to scrub."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError, RecursionError):
        return scrub(repr(value))
    if scrub(text) == text:  # the usual case: one pass over the text, no copy
        return value
    return _scrub_tree(value)


def _scrub_tree(value: Any) -> Any:
    # Walked, not scrubbed as one JSON text: a query-parameter pattern (``token=...``) could
    # swallow the quotes and commas after it and break the structure.
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {_scrub_tree(k): _scrub_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_tree(v) for v in value]
    return value


class ResponseValidationError(AllegroError):
    """A 2xx response body Allegro's spec does not allow: not JSON, the wrong shape (``null``,
    a list, a string where an object belongs), a required field missing or mistyped.

    ``body`` holds the decoded JSON with every registered secret scrubbed (also in pickles),
    ``trace_id`` the ``trace-id`` header for Allegro support.
    """

    def __init__(self, message: str, *, body: Any = None, trace_id: str | None = None) -> None:
        self._body = scrub_json(body)
        self.trace_id = trace_id
        super().__init__(message)

    @property
    def body(self) -> Any:
        """The decoded body, secrets scrubbed (again on each read: secrets registered since
        the error was raised are hidden too)."""
        return scrub_json(self._body)

    def __reduce__(self) -> tuple[Any, ...]:
        restore, (cls, args, state) = super().__reduce__()[:2]
        state["_body"] = scrub_json(state.get("_body"))
        return (restore, (cls, args, state))


class ResponseTooLargeError(ResponseValidationError):
    """A 2xx body was larger than the client's ``max_response_bytes``; reading stopped at the
    limit, so the memory it took stays bounded. ``limit`` is that number of bytes."""

    def __init__(self, message: str, *, limit: int, trace_id: str | None = None) -> None:
        self.limit = limit
        super().__init__(message, trace_id=trace_id)


class UnexpectedContentError(ResponseValidationError):
    """A 2xx answer that is not what the operation declares: a web page or an error body
    where a file (label, PDF, CSV) belongs, a media type the operation does not list, or a
    body still compressed with an encoding this installation cannot decode.

    Attributes: ``status_code``, ``content_type``, ``content_encoding``, ``excerpt`` (the
    start of the body, secrets scrubbed), ``hint`` (the usual cause and fix), ``trace_id``.
    """

    def __init__(self, message: str, *, status_code: int, content_type: str,
                 content_encoding: str = "", excerpt: str = "", hint: str,
                 trace_id: str | None = None) -> None:
        self.status_code = status_code
        self.content_type = content_type
        self.content_encoding = content_encoding
        self._excerpt = scrub(excerpt)
        self.hint = hint
        shown = f": {excerpt!r}" if excerpt else ""
        trace = f" [trace-id: {trace_id}]" if trace_id else ""
        super().__init__(f"{message} ({status_code}, {content_type or 'no content type'})"
                         f"{shown}{trace}\nHint: {hint}", trace_id=trace_id)

    @property
    def excerpt(self) -> str:
        """The start of the body (secrets scrubbed, again on each read)."""
        return scrub(self._excerpt)

    def __reduce__(self) -> tuple[Any, ...]:
        restore, (cls, args, state) = super().__reduce__()[:2]
        state["_excerpt"] = scrub(state.get("_excerpt", ""))
        return (restore, (cls, args, state))


class IncompleteListingError(AllegroError):
    """A listing could not be walked to its end (e.g. more than 10 000 checkout forms without
    the timestamp a walk past the offset cap needs, A9). Everything before was yielded:
    ``yielded`` says how many items, ``total`` how many the server counted (if it said)."""

    def __init__(self, message: str, *, yielded: int, total: int | None) -> None:
        self.yielded = yielded
        self.total = total
        super().__init__(message)


class WalkStalledError(IncompleteListingError):
    """A walk over pages stopped because the server stopped moving it on: ``nextPage.id`` or
    an event cursor came back again (``reason="cursor_repeated"``) or pointed to a page read
    before (``"cursor_cycle"``), a page held the same items as one already read
    (``"page_repeated"``: the server ignored ``offset``, ``page.id`` or ``from``), a page lay
    behind the bound the request sent (``"cursor_backwards"``), or the walk reached its page
    limit (``"page_limit"``). Repeating pages would only yield duplicates, for ever.

    Everything before was yielded, none of it twice: ``yielded`` items over ``pages`` pages.
    ``cursor`` is the last cursor or offset sent, ``trace_id`` the ``trace-id`` of the response
    that repeated (when known): report it to Allegro, and narrow the query meanwhile.
    """

    def __init__(self, what: str, *, reason: str, detail: str, yielded: int, pages: int,
                 cursor: object = None, total: int | None = None,
                 trace_id: str | None = None) -> None:
        self.what = what
        self.reason = reason
        self.pages = pages
        self.cursor = cursor
        self.trace_id = trace_id
        counted = f" of the {total} counted" if total is not None else ""
        place = f"; the last cursor sent was {cursor!r}" if cursor is not None else ""
        trace = f" with trace-id {trace_id}" if trace_id else " with the response's trace-id"
        super().__init__(
            f"{what}: {detail}, so the walk stopped ({reason}) after {pages} pages: {yielded} "
            f"items{counted} were delivered, none twice{place}.\nHint: the server did not "
            f"move the walk on; report it to Allegro{trace}, and narrow the query (a status, "
            "a date range) to walk the rest in smaller parts.",
            yielded=yielded, total=total)


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


class AuthorizationRequiredError(AllegroError):
    """No request can be made for a seller until they authorize the app (again): there is no
    usable token pair for ``seller_id``. ``hint`` says how to get one."""

    def __init__(self, message: str, *, seller_id: str, hint: str) -> None:
        self.seller_id = seller_id
        self.hint = hint
        super().__init__(f"{message}\nHint: {hint}")


class SellerNotConnectedError(AuthorizationRequiredError):
    """The token store holds no tokens for this seller: never logged in, or removed."""


class ReauthorizationRequiredError(AuthorizationRequiredError):
    """The seller's refresh token is dead (``invalid_grant``: expired after 3 months, revoked,
    or rotated away, A5): only a new login gives a new pair."""


__all__ += [  # kept next to the classes it names
    "AuthorizationRequiredError",
    "ReauthorizationRequiredError",
    "SellerNotConnectedError",
]
