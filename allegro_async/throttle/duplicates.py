"""One throttle per Client ID per process. S1's 9000/min belongs to the Client ID: two live
throttles for one ID each believe they own the whole budget, so together they send up to twice
it and earn 429s and an app-wide block (A1). Building an app or a client per request is the
usual way to get there, so a second live throttle for a Client ID warns at once, once per
Client ID and process (a per-request pattern would otherwise warn on every request).

Only throttles that name their Client ID take part (:class:`~allegro_async.AllegroApp` names
its own; ``Throttle(client_id=...)`` opts in). A throttle stops counting when it is released
(the app is closed) or garbage-collected, so building apps one after another never warns.
A :class:`~allegro_async.throttle.redis.RedisThrottle` shares its budget through Redis and
never takes part.
"""

from __future__ import annotations

import sys
import threading
import warnings
import weakref
from pathlib import Path
from typing import Any

__all__ = ["DuplicateThrottleWarning", "claim", "release"]

_PACKAGE = str(Path(__file__).resolve().parents[1])
_lock = threading.Lock()
_live: dict[str, weakref.WeakSet[Any]] = {}
_warned: set[str] = set()  # Client IDs warned about already: once each per process


class DuplicateThrottleWarning(UserWarning):
    """A second live throttle for one Client ID in this process (S1, A1)."""


def claim(throttle: Any, client_id: str) -> None:
    """Count ``throttle`` as one of ``client_id``'s; warn, the first time only, if another is
    still live."""
    with _lock:
        owners = _live.setdefault(client_id, weakref.WeakSet())
        duplicate = len(owners) > 0 and client_id not in _warned
        owners.add(throttle)
        if duplicate:
            _warned.add(client_id)
    if duplicate:
        # The text stays the same each time (no live count): Python's own filters and log
        # aggregators treat repeats as one warning.
        warnings.warn(DuplicateThrottleWarning(
            f"more than one live throttle for Client ID {client_id!r} in this process: each "
            "one spends the Client ID's 9000 requests/min as if it were alone, so together "
            "they earn 429s and an app-wide block. Build one AllegroApp at startup and share "
            "it (allegro_async.fastapi.allegro_lifespan does), not one per request; pass "
            "throttle= to share one Throttle on purpose; across processes use RedisThrottle. "
            "(Warned once per Client ID.)"
        ), stacklevel=_caller_level())


def release(throttle: Any) -> None:
    """Stop counting ``throttle`` (its app was closed)."""
    with _lock:
        for owners in _live.values():
            owners.discard(throttle)


def _caller_level() -> int:
    """The stack level of the first frame outside this package, so the warning points at the
    code that built the app."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
            _PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
