"""Saving a rotated pair that the store would not take at once (A5).

Once Allegro answered a refresh, the old refresh token dies about a minute later: the new pair
is the only one that lasts. A save that fails (Redis restarting, a database failover) must not
drop it, or the next holder of the lock refreshes the old pair again. The holder keeps the
store's lock, extends it when the store can, and saves again with a short capped backoff until
the pair lands, or until another host could no longer refresh the old pair in time: then it
gives up and lets the lock go.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import anyio

from allegro_async.auth.tokens import Token, TokenStore

logger = logging.getLogger("allegro_async")

#: Seconds after the refresh was sent during which a failed save is tried again. Past it the
#: lock is let go while the old refresh token still works (A5: about 60 s) for the next holder.
SAVE_WINDOW = 45.0
#: Pauses between saves: short first (a restart is often over in a second), then capped, so the
#: lock is extended well inside its TTL.
SAVE_PAUSE_FIRST = 0.05
SAVE_PAUSE_MAX = 0.5
#: The most one save (or lock extension) may take while the store does not answer.
_ATTEMPT_LIMIT = 5.0


async def save_rotated(store: TokenStore, key: str, token: Token, *, until: float,
                       on_failure: Callable[[], None] | None = None) -> None:
    """Save ``token`` under ``key``, trying again after a failure until ``until``
    (``anyio.current_time()`` scale); the caller holds the store's ``lock(key)``.
    ``on_failure`` is called once, when the first save has failed (the caller hands the pair
    to whoever waits for it instead of holding them through the retries).

    Raises the last error when the window closes, and a
    :class:`~allegro_async.stores.StaleLockError` at once (another holder has saved a newer
    pair: nothing of ours must overwrite it).
    """
    from allegro_async.stores.fencing import StaleLockError

    pause = SAVE_PAUSE_FIRST
    attempt = 0
    while True:
        attempt += 1
        left = until - anyio.current_time()
        try:
            with anyio.fail_after(min(max(left, 0.001), _ATTEMPT_LIMIT) if attempt > 1
                                  else _ATTEMPT_LIMIT):
                await store.save(key, token)
            if attempt > 1:
                logger.warning("the refreshed pair of %r was saved at attempt %d", key, attempt)
            return
        except StaleLockError:
            logger.warning("the refreshed pair of %r was not saved: another worker has saved a "
                           "newer one since (this one's lock had expired)", key)
            raise
        except Exception as exc:
            if attempt == 1 and on_failure is not None:
                on_failure()
            left = until - anyio.current_time()
            if left <= pause:
                logger.error(
                    "the refreshed pair of %r could not be saved (%s) in %d attempts; this "
                    "process keeps using it, and the lock goes to the next holder while the "
                    "old refresh token still works", key, type(exc).__name__, attempt)
                raise
            logger.warning(
                "saving the refreshed pair of %r failed (%s), attempt %d; keeping the lock and "
                "saving again in %.2f s (%.0f s left)", key, type(exc).__name__, attempt, pause,
                left)
        await anyio.sleep(pause)
        await _extend(store, key)
        pause = min(pause * 2, SAVE_PAUSE_MAX)


async def _extend(store: TokenStore, key: str) -> None:
    """Extend the running task's lock on ``key`` when the store can (best effort: a store that
    does not answer cannot hand the lock to anyone else either)."""
    extend: Any = getattr(store, "extend_lock", None)
    if not callable(extend):
        return
    with contextlib.suppress(Exception), anyio.fail_after(_ATTEMPT_LIMIT):
        await extend(key)
