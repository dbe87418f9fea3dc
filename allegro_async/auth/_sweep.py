"""The recovery sweep of an open :class:`~allegro_async.AllegroApp`: pairs this process holds in
memory are renewed when another process began their refresh and died before saving it.

Such a death leaves the stored refresh token rotated (Allegro answered the refresh) and alive
only for A5's grace, about 60 s, while this process's copy of the access token looks valid for
hours. A process that loads the pair sees the refresh intent the dead holder left in the store
and refreshes at once; a process that already holds the pair learns of it only from a read of
the store. The sweep makes that read for every seller the app holds: stores with
``abandoned_refreshes(keys)`` answer for up to 500 sellers in one command or query, others with
``abandoned_refresh(key)`` one read per seller. A flagged seller goes to
:meth:`RefreshingAuth.recover <allegro_async.auth.httpx_auth.RefreshingAuth.recover>`, which
waits for the store's lock (the dead holder's lease ends within ``lock_ttl``) and refreshes
with the stored refresh token.

Timing: the dead holder took its lease at L, wrote its intent and sent its refresh at T >= L;
the old refresh token dies at about T + 60. Its lease ends by L + ``lock_ttl`` <= T +
``lock_ttl``. The sweep reads every held seller once per ``interval`` (the reads spread evenly
over it), and at least once every 2 x ``interval`` when the set of sellers changes between
passes. With the default ``interval`` of ``lock_ttl`` / 2 the intent is therefore seen by T +
``lock_ttl``, when the lease has ended anyway: the takeover is done by T + ``lock_ttl`` + one
refresh, as for a process that loads the pair (30 s + a refresh with the default lock TTL).
A ``recover_every`` of up to 20 s keeps it by T + 40 s + one refresh.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import anyio
import anyio.abc

from allegro_async._redact import scrub
from allegro_async.auth._detached import start_detached
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.errors import InvalidArgumentError

logger = logging.getLogger("allegro_async")

#: ``recover_every`` bounds (seconds): below 1 s the store is read for nothing; above 20 s a
#: takeover found by the sweep may come after A5's grace (see the module's timing).
MIN_RECOVER_EVERY = 1.0
MAX_RECOVER_EVERY = 20.0
#: The lock TTL assumed for a store that does not say its own (the bundled stores' default).
_DEFAULT_LOCK_TTL = 30.0
#: Sellers per read: one batch read (``abandoned_refreshes``), or that many single reads.
_BATCH = 500
_SINGLE_BATCH = 50
#: Single reads (stores without a batch read) and takeovers in flight at once.
_READS = 8
_TAKEOVERS = 8

RecoverEvery = float | Literal["auto"] | None


def supports_intents(store: object) -> bool:
    """Whether ``store`` records refresh intents (the optional ``abandoned_refresh``)."""
    return callable(getattr(store, "abandoned_refresh", None))


def sweep_interval(store: object, recover_every: RecoverEvery) -> float | None:
    """The sweep's interval for ``store``: ``recover_every`` checked, ``"auto"`` for half the
    store's ``lock_ttl``; ``None`` when off or when the store records no refresh intents."""
    if recover_every is None:
        return None
    if recover_every == "auto":
        ttl: Any = getattr(store, "lock_ttl", None)
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl <= 55:
            ttl = _DEFAULT_LOCK_TTL
        interval: float = min(max(ttl / 2, MIN_RECOVER_EVERY), MAX_RECOVER_EVERY)
    elif (isinstance(recover_every, bool) or not isinstance(recover_every, (int, float))
          or not math.isfinite(recover_every)
          or not MIN_RECOVER_EVERY <= recover_every <= MAX_RECOVER_EVERY):
        raise InvalidArgumentError(
            "recover_every", f"{recover_every!r} is not a number of seconds from "
            f"{MIN_RECOVER_EVERY:g} to {MAX_RECOVER_EVERY:g}",
            "leave it \"auto\" (half the token store's lock_ttl), give seconds (e.g. 10; above "
            f"{MAX_RECOVER_EVERY:g} an abandoned refresh may be found after the old refresh "
            "token died), or None to turn the sweep off",
        )
    else:
        interval = float(recover_every)
    return interval if supports_intents(store) else None


class RecoverySweep:
    """Reads the store for every seller the app holds in memory, ``interval`` seconds per pass,
    and takes over the refreshes other processes abandoned (see the module's docstring).

    ``app.recovery`` while the app is open; its counters are for monitoring: ``passes``
    (complete passes over the held sellers), ``checked`` (seller reads), ``taken_over``
    (abandoned refreshes renewed here) and ``failures`` (reads or takeovers that raised; each
    is logged, and the sweep goes on).
    """

    def __init__(self, store: object, held: Callable[[], Sequence[RefreshingAuth]],
                 interval: float,
                 sleep: Callable[[float], Awaitable[Any]] = anyio.sleep) -> None:
        self.interval = interval
        self.passes = 0
        self.checked = 0
        self.taken_over = 0
        self.failures = 0
        self._store: Any = store
        self._held = held
        self._sleep = sleep
        self._busy: set[str] = set()  # sellers with a takeover in flight
        self._idle = anyio.Event()
        self._idle.set()
        self._takeovers = anyio.CapacityLimiter(_TAKEOVERS)
        self._scope: anyio.CancelScope | None = None
        self._stopping = False
        self._stopped: anyio.Event | None = None

    def __repr__(self) -> str:
        return (f"<RecoverySweep every {self.interval:g} s passes={self.passes} "
                f"taken_over={self.taken_over} failures={self.failures}>")

    def start(self) -> None:
        """Run the sweep in a task of its own until :meth:`stop`."""
        if self._stopped is None:
            self._stopped = anyio.Event()
            start_detached(self._main, self._stopped)

    async def stop(self) -> None:
        """Stop the sweep and wait until its task has ended. Takeovers in flight are left to
        finish their refresh and save (``RefreshingAuth.join`` waits for them)."""
        self._stopping = True
        if self._scope is not None:
            self._scope.cancel()
        if self._stopped is not None:
            await self._stopped.wait()

    async def run_once(self) -> int:
        """One pass over every seller held now, at once (no waits between reads), returning
        when its takeovers have ended: how many abandoned refreshes it took over. Safe while
        the background sweep runs: a seller whose takeover is already under way is left to
        it. For tests, demos and a health endpoint's "check now"::

            taken = await app.recovery.run_once()
        """
        batch = self._batch()
        held = list(self._held())
        took: list[str] = []
        async with anyio.create_task_group() as tg:
            for start in range(0, len(held), batch):
                await self._check(held[start:start + batch], tg, took)
        return len(took)

    async def wait_idle(self) -> None:
        """Wait until no takeover started by the sweep is running."""
        while self._busy:
            await self._idle.wait()

    async def _main(self, stopped: anyio.Event) -> None:
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                if self._stopping:
                    scope.cancel()
                async with anyio.create_task_group() as tg:
                    await self._run(tg)
        except Exception:  # pragma: no cover - _run logs its own errors
            logger.exception("the token recovery sweep stopped")
        finally:
            stopped.set()

    async def _run(self, tg: anyio.abc.TaskGroup) -> None:
        batch = self._batch()
        while True:
            held = list(self._held())
            steps = [held[i:i + batch] for i in range(0, len(held), batch)] or [[]]
            for step in steps:  # evenly over the interval: no burst on the store
                await self._sleep(self.interval / len(steps))
                if step:
                    await self._check(step, tg)
            self.passes += 1

    def _batch(self) -> int:
        """Sellers per read step: one batch read, or that many single reads."""
        return _BATCH if callable(getattr(self._store, "abandoned_refreshes", None)) \
            else _SINGLE_BATCH

    async def _check(self, auths: list[RefreshingAuth], tg: anyio.abc.TaskGroup,
                     took: list[str] | None = None) -> None:
        """Read the intents of ``auths``' sellers; start a takeover for each one abandoned."""
        keys = [auth.key for auth in auths]
        try:
            # a store that does not answer must not hold up the next step
            with anyio.fail_after(self.interval):
                flagged = await self._flagged(keys)
        except Exception as exc:
            self.failures += 1
            logger.warning("the token recovery sweep could not read %d sellers' refresh "
                           "intents (%s); it reads them again in %g s", len(keys),
                           _describe(exc), self.interval)
            return
        self.checked += len(keys)
        for auth in auths:
            if auth.key in flagged and auth.key not in self._busy:
                if not self._busy:
                    self._idle = anyio.Event()
                self._busy.add(auth.key)
                tg.start_soon(self._take_over, auth, took)

    async def _flagged(self, keys: list[str]) -> set[str]:
        many: Any = getattr(self._store, "abandoned_refreshes", None)
        if callable(many):
            return set(await many(keys))
        one: Any = self._store.abandoned_refresh
        found: set[str] = set()
        limiter = anyio.CapacityLimiter(_READS)

        async def read(key: str) -> None:
            async with limiter:
                if await one(key):
                    found.add(key)

        async with anyio.create_task_group() as tg:
            for key in keys:
                tg.start_soon(read, key)
        return found

    async def _take_over(self, auth: RefreshingAuth, took: list[str] | None = None) -> None:
        try:
            async with self._takeovers:
                if await auth.recover():
                    self.taken_over += 1
                    if took is not None:
                        took.append(auth.key)
                    logger.warning(
                        "a refresh of %r begun by another process was never saved (it died); "
                        "refreshed again here with the stored refresh token", auth.key)
        except Exception as exc:
            self.failures += 1
            logger.warning("taking over the abandoned refresh of %r failed (%s)", auth.key,
                           _describe(exc))
        finally:
            self._busy.discard(auth.key)
            if not self._busy:
                self._idle.set()


def _describe(exc: BaseException) -> str:
    """The error's type and message, any registered secret in it masked."""
    return f"{type(exc).__name__}: {scrub(str(exc))}"
