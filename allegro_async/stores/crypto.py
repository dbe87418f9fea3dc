"""Encryption at rest for stored token pairs (Fernet: AES-128-CBC with HMAC-SHA256, from the
``cryptography`` package).

The key comes from ``ALLEGRO_TOKEN_KEY`` (make one with :meth:`TokenCipher.generate_key`);
older keys, still accepted for reading while the pairs are re-saved, from
``ALLEGRO_TOKEN_OLD_KEYS`` (comma-separated). A pair is re-encrypted with the current key on its
next save (every refresh), or at once with :meth:`TokenCipher.rotate`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, NoReturn

from allegro_async.errors import InvalidArgumentError

#: Marks an encrypted value; a value without it is plain JSON (read leniently, for migration).
PREFIX = "fernet:"
KEY_VARIABLE = "ALLEGRO_TOKEN_KEY"
OLD_KEYS_VARIABLE = "ALLEGRO_TOKEN_OLD_KEYS"


class TokenCipher:
    """Encrypts with the first key, decrypts with any of them. Its repr, pickles and errors
    never show a key.

    ::

        cipher = TokenCipher([os.environ["ALLEGRO_TOKEN_KEY"]])
        store = RedisTokenStore("redis://...", cipher=cipher)
    """

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        try:
            from cryptography.fernet import Fernet, MultiFernet
        except ImportError as exc:  # pragma: no cover - cryptography is a dependency of authlib
            raise ImportError("token encryption needs cryptography: pip install cryptography") \
                from exc
        if isinstance(keys, (str, bytes)) or not keys:
            raise InvalidArgumentError("keys", "is not a non-empty list of keys",
                                       "pass [current_key, *old_keys]")
        fernets = []
        for number, key in enumerate(keys):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise InvalidArgumentError(
                    "keys", f"key number {number} is not a Fernet key (32 url-safe base64 bytes)",
                    "make one with TokenCipher.generate_key()",
                ) from None
        self._fernet = MultiFernet(fernets)

    @staticmethod
    def generate_key() -> str:
        """A new random key, to put in ``ALLEGRO_TOKEN_KEY``."""
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode("ascii")

    @classmethod
    def from_env(cls) -> TokenCipher | None:
        """The cipher of ``ALLEGRO_TOKEN_KEY`` (+ ``ALLEGRO_TOKEN_OLD_KEYS``); ``None`` when
        the first is unset or empty."""
        current = os.environ.get(KEY_VARIABLE, "").strip()
        if not current:
            return None
        old = [k.strip() for k in os.environ.get(OLD_KEYS_VARIABLE, "").split(",") if k.strip()]
        try:
            return cls([current, *old])
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(
                KEY_VARIABLE, f"{KEY_VARIABLE} or {OLD_KEYS_VARIABLE} holds a bad key",
                "set it to the output of TokenCipher.generate_key()",
            ) from exc

    def encrypt(self, plain: str) -> str:
        """``plain`` encrypted with the current key, marked with :data:`PREFIX`."""
        return PREFIX + self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plain text of a value from :meth:`encrypt`, with any of the keys."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise InvalidArgumentError(
                KEY_VARIABLE, "a stored token pair does not decrypt with any configured key",
                f"put the key it was saved with in {KEY_VARIABLE} or {OLD_KEYS_VARIABLE}",
            ) from None

    def rotate(self, stored: str) -> str:
        """``stored`` re-encrypted with the current key."""
        return PREFIX + self._fernet.rotate(stored.removeprefix(PREFIX).encode("ascii")).decode()

    def __repr__(self) -> str:
        return "<TokenCipher>"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TokenCipher holds keys and is not pickled; build it in each process")

    def __getstate__(self) -> Any:  # copy.copy and friends: same rule as pickling
        raise TypeError("a TokenCipher holds keys and is not copied by state")


class _FromEnvironment:
    """The default ``cipher=``: :meth:`TokenCipher.from_env` when the store is made."""

    def __repr__(self) -> str:
        return "FROM_ENV"


FROM_ENV: Any = _FromEnvironment()


def resolve(cipher: TokenCipher | Any | None) -> TokenCipher | None:
    """A store's ``cipher=`` argument as a cipher or ``None``."""
    if cipher is FROM_ENV:
        return TokenCipher.from_env()
    if cipher is not None and not isinstance(cipher, TokenCipher):
        raise InvalidArgumentError("cipher", f"{type(cipher).__name__} is not a TokenCipher",
                                   "pass TokenCipher([key]) or None (no encryption)")
    return cipher
