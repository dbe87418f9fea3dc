"""Keeping secrets out of logs, reprs and exception messages.

Every secret the library handles (access and refresh tokens, client secrets, authorization and
device codes) is registered here the moment it is seen; :func:`scrub` replaces any registered
secret in a text with ``***``. The log filter and every exception's ``str()`` go through it, so
a secret that slips into a message by accident (an echoing server, a URL) is still not shown.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from typing import Any, Generic, NoReturn, TypeVar

_V = TypeVar("_V", str, bytes)

_lock = threading.Lock()
#: Short-lived secrets (access tokens, codes), insertion-ordered; the oldest go first past
#: ``_MAX_SECRETS``.
_secrets: dict[str, None] = {}
_MAX_SECRETS = 100_000
#: Long-lived secrets (refresh tokens: 3 months, A5) in their own, larger FIFO, so a flood of
#: short-lived ones never pushes them out.
_long: dict[str, None] = {}
_MAX_LONG = 1_000_000
#: Secrets kept for the life of the process (client secrets): never dropped.
_pinned: set[str] = set()
_MIN_LEN = 6  # shorter strings would scrub ordinary words
#: The index: every secret of at least ``_GRAM + _STRIDE - 1`` characters under each of its
#: ``_GRAM``-character pieces at offsets ``0.._STRIDE-1``. Scrub then looks up the text's piece
#: at every ``_STRIDE``-th position only (one dict lookup per 4 characters, whatever the number
#: of secrets): an occurrence of such a secret always covers one probed piece at one of the
#: indexed offsets. Shorter secrets (rare) are searched for one by one.
_GRAM = 6
_STRIDE = 4
_index: dict[str, dict[tuple[str, int], None]] = {}
_short: dict[str, None] = {}
#: Up to this many secrets a plain ``secret in text`` loop (C speed) beats the index scan.
_LINEAR_MAX = 32
_SENSITIVE_QUERY = re.compile(
    r"(?i)\b(code|access_token|refresh_token|client_secret|device_code|token|password)=[^&\s]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


def _add(secret: str) -> None:
    if len(secret) < _GRAM + _STRIDE - 1:
        _short[secret] = None
        return
    for offset in range(_STRIDE):
        _index.setdefault(secret[offset:offset + _GRAM], {})[(secret, offset)] = None


def _drop(secret: str) -> None:
    if secret in _pinned or secret in _secrets or secret in _long:
        return  # still registered in another tier
    if _short.pop(secret, None) is not None or len(secret) < _GRAM + _STRIDE - 1:
        return
    for offset in range(_STRIDE):
        gram = secret[offset:offset + _GRAM]
        bucket = _index.get(gram)
        if bucket is not None:
            bucket.pop((secret, offset), None)
            if not bucket:
                del _index[gram]


def _count() -> int:
    return len(_secrets) + len(_long) + len(_pinned)


def register(*secrets: str | None, long_lived: bool = False) -> None:
    """Remember secrets so that :func:`scrub` hides them from now on.

    The 100 000 most recently registered short-lived secrets are kept (registering one again
    makes it the newest); ``long_lived=True`` (refresh tokens)
    keeps the newest 1 000 000 of those apart, so short-lived ones never push them out.
    """
    tier, cap = (_long, _MAX_LONG) if long_lived else (_secrets, _MAX_SECRETS)
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= _MIN_LEN and secret not in _pinned:
                # seen again = in use again: move it to the newest end, or a flood registered
                # since its first sight would drop it while it is still being sent
                tier.pop(secret, None)
                tier[secret] = None
                _add(secret)
        while len(tier) > cap:
            oldest = next(iter(tier))
            del tier[oldest]
            _drop(oldest)


def pin(*secrets: str | None) -> None:
    """Remember secrets for the life of the process (client secrets): never dropped."""
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= _MIN_LEN:
                _pinned.add(secret)
                _secrets.pop(secret, None)
                _long.pop(secret, None)
                _add(secret)


def _found_in(text: str) -> list[str]:
    """The registered secrets that occur in ``text``, longest first."""
    with _lock:
        if _count() <= _LINEAR_MAX:
            found = [s for tier in (_pinned, _long, _secrets) for s in tier if s in text]
        else:
            seen: dict[str, None] = {}
            index = _index
            for probe in range(0, len(text) - _GRAM + 1, _STRIDE):
                bucket = index.get(text[probe:probe + _GRAM])
                if bucket:
                    for secret, offset in bucket:
                        begin = probe - offset
                        if begin >= 0 and text.startswith(secret, begin):
                            seen[secret] = None
            seen.update((s, None) for s in _short if s in text)
            found = list(seen)
    return sorted(found, key=len, reverse=True)


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret, bearer/basic credential and sensitive query
    parameter replaced by ``***``."""
    if not text:
        return text
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered:  # the case-insensitive regex is the slow part
        text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    if "=" in text:
        text = _SENSITIVE_QUERY.sub(lambda m: f"{m.group(1)}=***", text)
    for secret in _found_in(text):
        text = text.replace(secret, "***")
    return text


def mask(secret: str | None) -> str:
    """A printable stand-in for a secret: never any of its characters."""
    return "None" if secret is None else "'***'"


_register = register  # the name Secret's keyword hides


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


class Secret(Generic[_V]):
    """A secret (a token, a code, a client secret, a ``Basic`` header) that never shows itself:
    ``repr``, ``str`` and formatting give ``Secret('***')``, so a frame's locals printed by an
    error reporter (``traceback`` with ``capture_locals``, rich, Sentry) do not carry it, and
    pickling refuses. ``reveal()`` hands out the value, to be called where it is sent::

        secret = Secret(client_secret)
        headers = {"Authorization": basic(secret.reveal())}  # unwrapped in the expression only

    A ``str`` secret is registered with the log redactor too, unless ``register=False`` (a
    value wrapped only because it sits next to secrets, such as a redirect's ``error``).
    """

    __slots__ = ("_value",)

    def __init__(self, value: _V, *, register: bool = True) -> None:
        self._value: _V = value
        if register and isinstance(value, str):
            _register(value)

    @classmethod
    def wrap(cls, value: _V | Secret[_V]) -> Secret[_V]:
        """``value`` as a secret (a secret already stays the same object)."""
        return value if isinstance(value, Secret) else cls(value)

    def reveal(self) -> _V:
        """The value itself: call it in the expression that sends it, not into a variable."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        mine, theirs = self._value, other._value
        if type(mine) is not type(theirs):
            return False
        # bytes: compare_digest refuses str with characters outside ASCII
        return hmac.compare_digest(_as_bytes(mine), _as_bytes(theirs))

    __hash__ = None  # type: ignore[assignment]  # equal by value, not meant as a dict key

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled: send the token store's pair, or reveal() it "
                        "on purpose")

    def __copy__(self) -> Secret[_V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[_V]:
        return self


class RedactingFilter(logging.Filter):
    """A log filter that scrubs the formatted message of every record it passes.

    On a logger it sees the records made by that logger only (not those of its children,
    which propagate straight to the parents' handlers); on a handler it sees every record the
    handler writes. :func:`redact_logs` puts it in both places for your own logging setup.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


#: One instance, so installing it twice on a logger or handler is a no-op.
_FILTER = RedactingFilter()
#: Namespaces whose records are scrubbed: ours, and httpx/httpcore, which log full URLs (a
#: ``?code=`` in a redirect URL) at INFO and response headers (``location``) at DEBUG.
_SCRUBBED_LOGGERS = ("allegro_async", "httpx", "httpcore")
#: The loggers that emit in those namespaces. A filter on ``httpcore`` does not see the
#: records of ``httpcore.http11``, so each emitting logger gets its own. Made here (as
#: ``getLogger`` would make them later), so those created lazily (``httpcore.http2`` when h2
#: is used) are filtered from the start.
_EMITTING_LOGGERS = (
    "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
    "httpcore.socks", "allegro_async.throttle.redis", "allegro_async.testing.emulator",
)

logger = logging.getLogger("allegro_async")


def _is_scrubbed(name: object) -> bool:
    return isinstance(name, str) and any(
        name == n or name.startswith(n + ".") for n in _SCRUBBED_LOGGERS
    )


def _install(target: logging.Filterer) -> None:
    if _FILTER not in target.filters:
        target.addFilter(_FILTER)


def protect_library_loggers() -> None:
    """Put the redacting filter on the library's, httpx's and httpcore's loggers, and on every
    child of those that exists by now. Only those loggers change: no handler, no root filter,
    no record factory (an application's logging stays its own)."""
    for name in _SCRUBBED_LOGGERS + _EMITTING_LOGGERS:
        _install(logging.getLogger(name))
    for name, found in list(logging.root.manager.loggerDict.items()):
        if isinstance(found, logging.Logger) and _is_scrubbed(name):
            _install(found)


def redact_logs(logger: logging.Logger | str | None = None) -> logging.Filter:
    """Scrub registered secrets (tokens, codes, client secrets), bearer credentials and
    sensitive query parameters from every record that reaches ``logger``'s handlers.

    ``logger`` is the root logger by default, or a logger (or its name). The filter goes on
    the logger and on each of its handlers: a filter on a logger alone misses the records of
    its children, which propagate to its handlers without passing its filters. Call it after
    the handlers are set up (``logging.basicConfig``, ``dictConfig``); for handlers added
    later, add the returned filter to them::

        logging.basicConfig(level=logging.DEBUG)
        secrets_filter = allegro_async.redact_logs()
        later_handler.addFilter(secrets_filter)

    The library's own loggers and httpx's and httpcore's are filtered already.
    """
    target = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
    _install(target)
    for handler in target.handlers:
        _install(handler)
    return _FILTER


protect_library_loggers()
