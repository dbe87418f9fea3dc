"""What the shared token stores have in common: how a pair is written down (JSON, optionally
encrypted), and the fencing token that a lock holder's save carries.

A store's ``lock(key)`` hands out a fence (a number that grows with every acquisition); the
holder's ``save`` is accepted only while no newer holder exists. A holder that outlived its
lock (its process hung past the lock's TTL while another host took over) gets
:class:`StaleLockError` instead of overwriting the newer pair.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar

from allegro_async.auth.tokens import Token
from allegro_async.errors import AllegroError
from allegro_async.stores.crypto import PREFIX, TokenCipher

#: Fences held by the running task: (id of the store, key) -> fence. A context variable, so a
#: save from another task (outside the lock) never passes as the holder's.
_HELD: ContextVar[Mapping[tuple[int, str], int] | None] = ContextVar("allegro_held_fences",
                                                                     default=None)


class StaleLockError(AllegroError):
    """A save under ``lock(key)`` came after the lock had passed to another holder (its TTL
    ran out) or after a save outside the lock; the newer pair is kept."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"the token of {key!r} was not saved: this worker's lock on it expired and another "
            "worker has refreshed or saved it since; reload it from the store"
        )
        self.key = key


def check_key(key: object, *, max_length: int = 200) -> str:
    """``key`` checked as a store key: a non-empty str of at most ``max_length`` characters."""
    if not isinstance(key, str) or not key or len(key) > max_length:
        from allegro_async.errors import InvalidArgumentError

        shown = f"a str of {len(key)} characters" if isinstance(key, str) else repr(key)
        raise InvalidArgumentError("key", f"{shown} is not a store key",
                                   f"pass the seller's user id (1 to {max_length} characters)")
    return key


def held_fence(store: object, key: str) -> int | None:
    """The fence the running task holds on ``key`` of ``store``, if any."""
    return (_HELD.get() or {}).get((id(store), key))


def hold(store: object, key: str, fence: int | None) -> None:
    """Record (``None``: forget) the running task's fence on ``key`` of ``store``."""
    held = dict(_HELD.get() or {})
    if fence is None:
        held.pop((id(store), key), None)
    else:
        held[(id(store), key)] = fence
    _HELD.set(held)


def encode(token: Token, cipher: TokenCipher | None) -> str:
    """The stored text of ``token``: its JSON, encrypted when there is a cipher."""
    text = json.dumps(token.to_json(), sort_keys=True)
    return cipher.encrypt(text) if cipher is not None else text


def decode(stored: str | bytes, cipher: TokenCipher | None) -> Token:
    """The token in a stored text; plain JSON is accepted even with a cipher (a store being
    moved to encryption), an encrypted value without one fails saying which variable to set."""
    text = stored.decode("utf-8") if isinstance(stored, bytes) else stored
    if text.startswith(PREFIX):
        if cipher is None:
            from allegro_async.errors import InvalidArgumentError

            raise InvalidArgumentError(
                "cipher", "the stored token pairs are encrypted and no key is configured",
                "set ALLEGRO_TOKEN_KEY (or pass cipher=TokenCipher([key])) to the key they "
                "were saved with",
            )
        text = cipher.decrypt(text)
    return Token.from_json(json.loads(text))
