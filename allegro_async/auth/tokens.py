"""Tokens and where they live: :class:`Token`, the :class:`TokenStore` protocol, and the memory
and file stores.

A store keeps one token pair per key (usually the seller's user id). Refresh tokens rotate (A5),
so a refreshed pair must be saved before it is used, and two workers must not refresh the same
pair at once: stores offer a ``lock(key)`` that the refreshing auth holds while it re-reads the
store, refreshes and saves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Protocol, runtime_checkable

import anyio

# The pair and the file store are written in modules of their own; they stay importable here.
from allegro_async.auth._file_store import STALE_TEMP_AGE as STALE_TEMP_AGE
from allegro_async.auth._file_store import FileTokenStore as FileTokenStore
from allegro_async.auth._file_store import _lock_file_async as _lock_file_async
from allegro_async.auth._file_store import _parsed as _parsed
from allegro_async.auth._token import Token as Token


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
