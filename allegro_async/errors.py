"""One exception hierarchy for everything that can go wrong, rooted at :class:`AllegroError`.

API errors carry the status, Allegro's parsed ``errors[]`` (A7) or the OAuth pair
``error``/``error_description``, the ``trace-id`` header that Allegro support asks for, the
method and path, and a hint when the usual cause is known (S5-S8, S17, S19, A6).
"""

from __future__ import annotations

import json
from typing import Any

from allegro_async._api_errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DraftsLimitError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ThrottleGiveUpError,
    UnprocessableEntityError,
    error_for_response,
)
from allegro_async._error_base import AllegroError, _restore
from allegro_async._error_body import ErrorDetail, parse_error_body
from allegro_async._redact import scrub

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

# Every class's public home, whichever module writes it: pickles, reprs and tracebacks name
# allegro_async.errors, as they did before the hierarchy was split (httpx does the same).
for _error in (AllegroError, _restore, APIError, AuthenticationError, BadRequestError,
               ConflictError, DraftsLimitError, NotAcceptableError, NotFoundError,
               PermissionDeniedError, RateLimitedError, ServerError, ThrottleGiveUpError,
               UnprocessableEntityError, error_for_response):
    _error.__module__ = __name__
del _error
