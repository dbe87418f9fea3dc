"""Keeping secrets out of logs, reprs and exception messages.

Every secret the library handles (access and refresh tokens, client secrets, authorization and
device codes) is registered here the moment it is seen; :func:`scrub` replaces any registered
secret in a text with ``***``. The log filter and every exception's ``str()`` go through it, so
a secret that slips into a message by accident (an echoing server, a URL) is still not shown.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

_lock = threading.Lock()
_secrets: dict[str, None] = {}  # insertion-ordered set
_MAX_SECRETS = 100_000
_MIN_LEN = 6  # shorter strings would scrub ordinary words
_SENSITIVE_QUERY = re.compile(
    r"(?i)\b(code|access_token|refresh_token|client_secret|device_code|token|password)=[^&\s]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


def register(*secrets: str | None) -> None:
    """Remember secrets so that :func:`scrub` hides them from now on."""
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= _MIN_LEN:
                _secrets[secret] = None
        while len(_secrets) > _MAX_SECRETS:
            _secrets.pop(next(iter(_secrets)))


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret, bearer/basic credential and sensitive query
    parameter replaced by ``***``."""
    if not text:
        return text
    text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    text = _SENSITIVE_QUERY.sub(lambda m: f"{m.group(1)}=***", text)
    if _secrets:
        for secret in list(_secrets):
            if secret in text:
                text = text.replace(secret, "***")
    return text


def mask(secret: str | None) -> str:
    """A printable stand-in for a secret: never any of its characters."""
    return "None" if secret is None else "'***'"


class RedactingFilter(logging.Filter):
    """A log filter that scrubs the formatted message of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


#: Loggers whose records are scrubbed: ours, and httpx/httpcore, which log full URLs (a
#: ``?code=`` in a redirect URL) at INFO/DEBUG.
_SCRUBBED_LOGGERS = ("allegro_async", "httpx", "httpcore")

logger = logging.getLogger("allegro_async")
for _name in _SCRUBBED_LOGGERS:
    logging.getLogger(_name).addFilter(RedactingFilter())


def _is_scrubbed(name: object) -> bool:
    return isinstance(name, str) and any(
        name == n or name.startswith(n + ".") for n in _SCRUBBED_LOGGERS
    )


_previous_factory = logging.getLogRecordFactory()


def _scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # A logger's filter does not see records of its child loggers (``allegro_async.auth``,
    # ``httpcore.http11``), so records of those names are scrubbed as they are made.
    record = _previous_factory(*args, **kwargs)
    if _is_scrubbed(record.name):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return record
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
    return record


logging.setLogRecordFactory(_scrubbing_factory)
