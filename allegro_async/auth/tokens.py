"""Tokens and where they live: :class:`Token`, the :class:`TokenStore` protocol, and the memory
and file stores.

A store keeps one token pair per key (usually the seller's user id). Refresh tokens rotate (A5),
so a refreshed pair must be saved before it is used, and two workers must not refresh the same
pair at once: stores offer a ``lock(key)`` that the refreshing auth holds while it re-reads the
store, refreshes and saves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio
import filelock

from allegro_async import _redact
from allegro_async._redact import Secret
from allegro_async.auth.jwt import TokenClaims, decode_claims
from allegro_async.errors import InvalidArgumentError


@dataclass(frozen=True)
class Token:
    """An access token, its refresh token and when it expires (epoch seconds).

    ``environment`` names where it was issued ("production", "sandbox" or "custom"), so a
    sandbox token can be refused on production before any request (S8). The repr never shows
    the secrets.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: tuple[str, ...] = ()
    token_type: str = "bearer"
    environment: str | None = None
    #: When the pair was issued (epoch seconds), to know the token's lifetime.
    issued_at: float | None = None

    def __post_init__(self) -> None:
        _redact.register(self.access_token)
        _redact.register(self.refresh_token, long_lived=True)  # 3 months (A5)

    @classmethod
    def from_response(
        cls, data: Mapping[str, Any], *, now: float | None = None, environment: str | None = None
    ) -> Token:
        """Build from a token-endpoint answer (``access_token``, ``expires_in``, ...)."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("token response has no access_token")
        now = time.time() if now is None else now
        expires_in = data.get("expires_in")
        expires_at = now + float(expires_in) if isinstance(expires_in, (int, float)) else None
        if expires_at is None:
            claims = decode_claims(access)
            expires_at = claims.exp if claims else None
        scope = data.get("scope") or ""
        return cls(
            access_token=access,
            refresh_token=data.get("refresh_token") or None,
            expires_at=expires_at,
            scope=tuple(scope.split()) if isinstance(scope, str) else tuple(scope),
            token_type=str(data.get("token_type", "bearer")),
            environment=environment,
            issued_at=now,
        )

    @property
    def claims(self) -> TokenClaims | None:
        """The A6 claims of the access token (``user_name``, ``client_id``, ``exp``, ``scope``)."""
        return decode_claims(self.access_token)

    @property
    def user_name(self) -> str | None:
        """The seller's user id, ``None`` for an app token (A6)."""
        claims = self.claims
        return claims.user_name if claims else None

    @property
    def lifetime(self) -> float | None:
        """Seconds from issue to expiry, when both are known."""
        if self.issued_at is None or self.expires_at is None:
            return None
        return self.expires_at - self.issued_at

    def refresh_margin(self, margin: float) -> float:
        """``margin`` capped at half the token's lifetime.

        A margin longer than the lifetime would make a freshly refreshed token look stale at
        once, and every request would refresh it (a refresh storm against the per-user token
        limit, A2). With the cap a token is used for at least half its life.
        """
        lifetime = self.lifetime
        if lifetime is None or lifetime <= 0:
            return margin
        return min(margin, lifetime / 2)

    def expires_within(self, seconds: float, *, now: float | None = None) -> bool:
        """True when the token expires in less than ``seconds`` (or has expired)."""
        if self.expires_at is None:
            return False
        return self.expires_at - (time.time() if now is None else now) < seconds

    def to_json(self) -> dict[str, Any]:
        """Plain data for a store."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": list(self.scope),
            "token_type": self.token_type,
            "environment": self.environment,
            "issued_at": self.issued_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of :meth:`to_json`."""
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=data.get("expires_at"),
            scope=tuple(data.get("scope") or ()),
            token_type=str(data.get("token_type", "bearer")),
            environment=data.get("environment"),
            issued_at=data.get("issued_at"),
        )

    def with_environment(self, environment: str) -> Token:
        """A copy marked as issued by ``environment``."""
        return replace(self, environment=environment)


@runtime_checkable
class TokenStore(Protocol):
    """Where token pairs live, one per key (a seller's user id, or any name you choose).

    ``save`` must be atomic: a reader sees the old pair or the new one, never half. A store may
    also offer ``lock(key)``: an async context manager held across "re-read, refresh, save";
    for stores shared by several processes it must be an inter-process lock.

    A shared store may also offer ``begin_refresh(key)`` (called under ``lock(key)`` just
    before the token request: records a refresh intent that any ``save`` of the key removes)
    and ``abandoned_refresh(key) -> bool`` (an intent of another holder is still there). Then a
    process killed between Allegro's answer and its save is taken over within A5's grace.
    With ``abandoned_refreshes(keys) -> set[str]`` (the keys among ``keys`` with such an intent,
    read in one round trip) and ``lock_ttl`` (seconds a lock lives), an open
    :class:`~allegro_async.AllegroApp` sweeps every held seller in batches; without them it
    reads one key at a time.
    """

    async def load(self, key: str) -> Token | None:
        """The token saved under ``key``, or ``None``."""
        ...

    async def save(self, key: str, token: Token) -> None:
        """Save ``token`` under ``key``, replacing what was there."""
        ...


@runtime_checkable
class ListableTokenStore(TokenStore, Protocol):
    """A :class:`TokenStore` that can also list and delete its keys, for a seller's whole
    lifecycle (``AllegroApp.sellers()``, ``remove_seller()``). Both bundled stores are one.

    ``delete`` should wait for a refresh of that key in flight (hold ``lock(key)``), or the
    refresh's save would bring the seller back.
    """

    async def keys(self) -> list[str]:
        """Every key that has a token, sorted."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the token under ``key``; ``True`` when there was one."""
        ...


class MemoryTokenStore:
    """Tokens in a dict, for one process (tests, short scripts)."""

    def __init__(self, tokens: Mapping[str, Token] | None = None) -> None:
        self._tokens: dict[str, Token] = dict(tokens or {})
        self._locks: dict[str, anyio.Lock] = {}

    async def load(self, key: str) -> Token | None:
        """The token under ``key``."""
        return self._tokens.get(key)

    async def save(self, key: str, token: Token) -> None:
        """Replace the token under ``key``."""
        self._tokens[key] = token

    async def keys(self) -> list[str]:
        """Every key that has a token, sorted."""
        return sorted(self._tokens)

    async def delete(self, key: str) -> bool:
        """Remove the token under ``key`` (after a refresh of it in flight)."""
        async with self.lock(key):
            return self._tokens.pop(key, None) is not None

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """A lock per key within this process."""
        async with self._locks.setdefault(key, anyio.Lock()):
            yield

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={sorted(self._tokens)})"


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
