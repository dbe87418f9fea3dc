"""Where an event stream keeps its place: the last finished event id and the de-duplication keys
of the most recent finished events (A8), so that a restart neither loses nor repeats events.

Two stores ship: :class:`MemoryCursorStore` (one process) and :class:`FileCursorStore` (an
append-only file that survives a crash). Anything with ``load``/``commit`` works, e.g. a row
in your database. Both are async context managers; a stream closes its store (``aclose()``,
when the store has one) as its own ``async with`` ends, so a file handle never outlives it.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MethodType
from typing import BinaryIO, Protocol, cast, runtime_checkable

from allegro_async import _args
from allegro_async.errors import InvalidArgumentError

#: How many recent de-duplication keys a store keeps by default. Allegro's duplicates trail
#: their original closely; a few thousand is ample.
DEFAULT_MAX_KEYS = 10_000


@dataclass
class CursorState:
    """A stream's saved place: ``cursor`` (the last finished event id, ``None`` if none yet)
    and ``keys`` (de-duplication keys of recently finished events, oldest first)."""

    cursor: str | None = None
    keys: list[str] = field(default_factory=list)


@runtime_checkable
class CursorStore(Protocol):
    """Persists a stream's place. ``commit`` is called once per finished event, with the event
    id and its de-duplication key. A store may also define ``_commit_checked`` (``commit``
    without checking its arguments), which the stream calls instead: see
    :func:`trusted_commit`."""

    async def load(self) -> CursorState:
        """The saved state (empty when nothing was saved)."""
        ...

    async def commit(self, cursor: str, keys: Sequence[str]) -> None:
        """Record ``cursor`` as the last finished event and ``keys`` as finished."""
        ...


def _check_commit(cursor: object, keys: object) -> None:
    # A key list given as one str would be stored as its characters.
    _args.ident(cursor, "cursor")
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence) or not all(
            isinstance(k, str) for k in keys):
        raise InvalidArgumentError("keys", "is not a list of de-duplication keys",
                                         "pass a list of str, e.g. [delivery.key]")


Commit = Callable[[str, Sequence[str]], Awaitable[None]]


def trusted_commit(store: CursorStore) -> Commit:
    """The commit to call with arguments the caller has already checked (the event stream:
    an id it read from a checked page, the key it made): the store's ``_commit_checked``,
    which skips :func:`_check_commit` (a regex and a scan of the keys on every event).
    Only when the class that gives the store its ``commit`` defines
    ``_commit_checked`` too: a subclass overriding ``commit`` alone is still called through
    its override, and any other store through ``commit``."""
    for cls in type(store).__mro__:
        if "commit" in vars(cls):
            if "_commit_checked" in vars(cls):
                return cast(Commit, MethodType(vars(cls)["_commit_checked"], store))
            break
    return store.commit


class MemoryCursorStore:
    """Keeps the place in memory: for tests, and for streams whose process lives as long as
    the work (restart from ``"now"`` otherwise)."""

    def __init__(self, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self._max_keys = _args.count(max_keys, "max_keys", minimum=1)
        self._state = CursorState()

    async def load(self) -> CursorState:
        """The saved state."""
        return CursorState(self._state.cursor, list(self._state.keys))

    async def commit(self, cursor: str, keys: Sequence[str]) -> None:
        """Record a finished event."""
        _check_commit(cursor, keys)
        await self._commit_checked(cursor, keys)

    async def _commit_checked(self, cursor: str, keys: Sequence[str]) -> None:
        # commit() without the argument check (see trusted_commit)
        state = self._state
        state.cursor = cursor
        state.keys.extend(keys)
        if len(state.keys) > 2 * self._max_keys:
            del state.keys[: -self._max_keys]

    async def aclose(self) -> None:
        """Nothing to release (kept for symmetry with :class:`FileCursorStore`)."""

    async def __aenter__(self) -> MemoryCursorStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"MemoryCursorStore(cursor={self._state.cursor!r})"


class FileCursorStore:
    """Keeps the place in a file, one appended JSON line per finished event, compacted now and
    then with an atomic rename.

    A crash at any point leaves a readable file: a half-written last line is cut off when the
    file is read, so the stream resumes after the last event whose line is complete. Lines
    are written (not fsync-ed): a killed process loses nothing, a power cut may cost the last
    few events, which are then delivered again. Writes are small and synchronous on purpose:
    an ``await`` to a thread per event would cost more than the write.
    """

    def __init__(self, path: str | os.PathLike[str], max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise InvalidArgumentError("path", f"{path!r} is not a file path",
                                             "pass a path such as 'order-events.cursor'")
        self.path = Path(path)
        self._max_keys = _args.count(max_keys, "max_keys", minimum=1)
        self._lines = 0
        self._state: CursorState | None = None
        self._handle: BinaryIO | None = None

    def _read(self) -> CursorState:
        state = CursorState()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return state
        if data and not data.endswith(b"\n"):
            # A crash cut the last line short: cut it off, or the next append would join it
            # into one unparseable line and that commit would be lost.
            data = data[: data.rfind(b"\n") + 1]
            with self.path.open("r+b") as handle:
                handle.truncate(len(data))
        text = data.decode("utf-8", errors="replace")
        lines = 0
        for line in text.splitlines():
            try:
                cursor, keys = json.loads(line)
            except (ValueError, TypeError):
                continue  # a line cut short by a crash
            lines += 1
            state.cursor = cursor
            state.keys.extend(keys)
        del state.keys[: -self._max_keys]
        self._lines = lines
        return state

    async def load(self) -> CursorState:
        """The saved state, read from the file."""
        self._state = self._read()
        return CursorState(self._state.cursor, list(self._state.keys))

    async def commit(self, cursor: str, keys: Sequence[str]) -> None:
        """Append the finished event; compact when the file holds many lines.

        A failed write (a full disk) raises ``OSError`` and leaves the store usable: the handle
        is dropped and the next call re-reads the file (cutting off a line written in part),
        so the place is what the file holds, never an event whose line did not land."""
        _check_commit(cursor, keys)
        await self._commit_checked(cursor, keys)

    async def _commit_checked(self, cursor: str, keys: Sequence[str]) -> None:
        # commit() without the argument check (see trusted_commit)
        try:
            if self._state is None:
                self._state = self._read()
            if self._lines >= 2 * self._max_keys:
                state = CursorState(cursor, [*self._state.keys, *keys])
                self._compact(state)
                self._state = state
                return
            if self._handle is None:
                # Unbuffered: a line is written at once or fails at once, and no unflushed
                # tail is left for close() to fail on.
                self._handle = self.path.open("ab", buffering=0)
            line = (json.dumps([cursor, list(keys)]) + "\n").encode("utf-8")
            if self._handle.write(line) != len(line):
                raise OSError(errno.ENOSPC, "the cursor line was written in part", str(self.path))
        except OSError:
            self._forget()
            raise
        self._state.cursor = cursor
        self._state.keys.extend(keys)
        self._lines += 1

    def _forget(self) -> None:
        """After a failed write: drop the handle and the cached state (re-read next time)."""
        self._state = None
        try:
            self.close()
        except OSError:
            pass  # the handle is gone either way; the next commit opens a new one

    def close(self) -> None:
        """Close the file (commits reopen it). The handle is let go before it is closed, so a
        close that fails (a full disk) never leaves a closed handle behind."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    async def aclose(self) -> None:
        """Close the file; :class:`~allegro_async.services.events.OrderEventStream` calls it
        when its ``async with`` ends. The store stays usable: a later commit reopens the file."""
        self.close()

    async def __aenter__(self) -> FileCursorStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _compact(self, state: CursorState) -> None:
        self.close()
        del state.keys[: -self._max_keys]
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps([state.cursor, state.keys]) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
        self._lines = 1

    def __repr__(self) -> str:
        return f"FileCursorStore({str(self.path)!r})"


async def close_store(store: object) -> None:
    """Close ``store`` if it has an ``aclose()`` (user stores need not)."""
    aclose = getattr(store, "aclose", None)
    if aclose is not None:
        await aclose()
