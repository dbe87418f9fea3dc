"""The file store: :class:`FileTokenStore`, every pair in one JSON file replaced atomically, with
a lock per key that holds across processes (:mod:`filelock`), waited for without holding a
thread; and the removal of temp files that writers killed mid-save left behind.

Public through :mod:`allegro_async.auth.tokens`, which the class names as its module.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import filelock

from allegro_async._redact import Secret
from allegro_async.auth._token import Token
from allegro_async.errors import InvalidArgumentError

#: Waits between attempts at a busy file lock (seconds): short first, then capped, so a waiter
#: notices a release quickly without spinning the event loop.
_LOCK_POLL_FIRST = 0.001
_LOCK_POLL_MAX = 0.05
#: A temp file older than this is stale even while some writer holds the file-wide lock (a
#: save holds it for milliseconds; only a hung writer could own so old a file).
STALE_TEMP_AGE = 600.0


async def _lock_file_async(lock_path: Path) -> filelock.BaseFileLock:
    """An exclusive lock on ``lock_path`` (``flock`` on POSIX, ``msvcrt.locking`` on
    Windows, by :mod:`filelock`), waited for without holding a thread. Release it with
    ``.release()``.

    Non-blocking attempts with an async pause in between: a blocking acquire in a worker
    thread would pin one of anyio's (40 by default) threads per waiter, and enough waiters
    starve the holder of the thread it needs to save and release (a deadlock).
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # A new lock object per acquisition: filelock's objects are reentrant, so two tasks
    # sharing one would both "hold" it. thread_local=False: tasks, not threads, own it.
    lock = filelock.FileLock(str(lock_path), mode=0o600, thread_local=False)
    pause = _LOCK_POLL_FIRST
    while True:
        try:
            lock.acquire(timeout=0)
            return lock
        except filelock.Timeout:
            await anyio.sleep(pause)  # cancelled here: nothing is held, nothing leaks
            pause = min(pause * 2, _LOCK_POLL_MAX)


def _parsed(raw: Secret[bytes], path: Path) -> dict[str, Any]:
    """The store file's JSON. A corrupt file raises a ``ValueError`` that names the place,
    not the ``JSONDecodeError`` that carries the whole text (every token) in ``.doc``."""
    try:
        data = json.loads(raw.reveal()) if raw.reveal().strip() else {}
    except ValueError as exc:
        where = (f" ({exc.msg} at line {exc.lineno} column {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
    else:
        return data if isinstance(data, dict) else {}
    raise ValueError(f"{path} is not a token store file{where}; restore it from a backup, or "
                     "delete it and log the sellers in again")


class FileTokenStore:
    """Tokens in one JSON file (``{key: token}``), mode 0600, replaced atomically.

    ``lock(key)`` locks that key only: an in-process lock per key, then an OS file lock
    (:mod:`filelock`: ``flock`` on POSIX, ``msvcrt.locking`` on Windows) on a lock file per
    key (``<path>.locks/<sha256 of key>.lock``), so one seller's slow refresh
    never holds another seller's, in this process or any other. ``save`` takes a short
    file-wide lock (``<path>.lock``) only around its read-modify-write. Waiting for a busy
    lock never holds a thread (see :func:`_lock_file_async`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise InvalidArgumentError(
                "path", f"{self.path} is a directory", "give the path of a JSON file"
            )
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._key_dir = self.path.with_name(self.path.name + ".locks")
        self._key_locks: dict[str, anyio.Lock] = {}
        self._write = anyio.Lock()  # saves of this store queue here, not on the file lock
        self._remove_stale_temp_files()

    def _temp_files(self) -> list[os.DirEntry[str]]:
        # mkstemp's names: ".<name>." + 8 characters (+ ".tmp" since it is given a suffix)
        pattern = re.compile(re.escape(f".{self.path.name}.") + r"[a-z0-9_]{8}(\.tmp)?")
        try:
            with os.scandir(self.path.parent) as entries:
                return [e for e in entries
                        if pattern.fullmatch(e.name) and e.is_file(follow_symlinks=False)]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def _remove_stale_temp_files(self) -> None:
        """Remove temp files left by writers killed mid-save (each holds every token).

        A save holds the file-wide lock from creating its temp file to renaming it, so when
        that lock is free every temp file is a dead writer's; while it is held, only those
        older than :data:`STALE_TEMP_AGE` are.
        """
        found = self._temp_files()
        if not found:
            return
        lock = filelock.FileLock(str(self._lock_path), mode=0o600, thread_local=False)
        try:
            lock.acquire(timeout=0)
            free = True
        except filelock.Timeout:
            free = False  # a live writer is saving: its file is young, keep it
        try:
            now = time.time()
            for entry in found:
                with contextlib.suppress(OSError):  # gone already, or open elsewhere (Windows)
                    if free or now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_AGE:
                        os.unlink(entry.path)
        finally:
            if free:
                lock.release()

    def _read_all(self) -> dict[str, Any]:
        try:
            raw = Secret(self.path.read_bytes())  # every seller's tokens: never a bare local
        except FileNotFoundError:
            return {}
        return _parsed(raw, self.path)

    def _write_all(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600 from the start: the secret is never world-readable.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                   suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _load_sync(self, key: str) -> Token | None:
        item = self._read_all().get(key)
        return Token.from_json(item) if isinstance(item, dict) else None

    def _write_key(self, key: str, token: Token | None) -> bool:
        """Put ``token`` under ``key`` (``None``: remove it); whether the key was there."""
        data = self._read_all()
        found = key in data
        if token is not None:
            data[key] = token.to_json()
        elif found:
            del data[key]
        else:
            return False  # nothing to remove: the file stays as it is
        self._write_all(data)
        return found

    def _key_lock_path(self, key: str) -> Path:
        # A hash: keys are any strings (slashes, dots), file names are not.
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self._key_dir / f"{digest}.lock"

    async def load(self, key: str) -> Token | None:
        """The token under ``key``, read from disk each time (another process may have
        refreshed it)."""
        return await anyio.to_thread.run_sync(self._load_sync, key)

    async def save(self, key: str, token: Token) -> None:
        """Atomically replace the token under ``key`` (other keys are kept: the
        read-modify-write runs under a short file-wide lock)."""
        await self._update(key, token)

    async def _update(self, key: str, token: Token | None) -> bool:
        async with self._write:
            held = await _lock_file_async(self._lock_path)
            try:
                return await anyio.to_thread.run_sync(self._write_key, key, token)
            finally:
                held.release()

    async def keys(self) -> list[str]:
        """Every key that has a token, sorted (read from disk)."""
        data = await anyio.to_thread.run_sync(self._read_all)
        return sorted(data)

    async def delete(self, key: str) -> bool:
        """Remove the token under ``key``, after a refresh of it in flight (here or in another
        process); other keys are kept."""
        async with self.lock(key):
            return await self._update(key, None)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Hold ``key`` for one refresh, in this process and across processes; other keys
        stay free."""
        async with self._key_locks.setdefault(key, anyio.Lock()):
            held = await _lock_file_async(self._key_lock_path(key))
            try:
                yield
            finally:
                held.release()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


FileTokenStore.__module__ = "allegro_async.auth.tokens"  # its public home, as before the split
