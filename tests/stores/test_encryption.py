"""Token pairs encrypted at rest: the raw stored value never holds a token in clear, old keys
still read, and the key never shows in reprs, pickles or errors."""

from __future__ import annotations

import pickle

import pytest

from allegro_async.errors import InvalidArgumentError
from allegro_async.stores.crypto import TokenCipher
from allegro_async.testing import Emulator
from tests.stores.conftest import Backend
from tests.stores.test_token_stores import near_expiry

pytestmark = pytest.mark.stores


async def test_stored_value_holds_no_token_in_clear(backend: Backend, emulator: Emulator,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    key = TokenCipher.generate_key()
    monkeypatch.setenv("ALLEGRO_TOKEN_KEY", key)
    token = near_expiry(emulator)
    assert token.refresh_token
    store = backend.tokens()  # the key from the environment
    await store.save("seller", token)
    raw = await backend.raw_token("seller")
    assert raw is not None and raw.startswith("fernet:")
    for secret in (token.access_token, token.refresh_token, token.access_token[-40:],
                   token.refresh_token[-20:], key):
        assert secret not in raw
    assert await backend.tokens().load("seller") == token
    assert key not in repr(store)


async def test_old_key_still_reads_and_a_save_moves_to_the_new(backend: Backend,
                                                               emulator: Emulator) -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    token = near_expiry(emulator)
    await backend.tokens(cipher=TokenCipher([old])).save("seller", token)
    rotated = backend.tokens(cipher=TokenCipher([new, old]))
    assert await rotated.load("seller") == token
    await rotated.save("seller", token)
    assert await backend.tokens(cipher=TokenCipher([new])).load("seller") == token
    with pytest.raises(InvalidArgumentError) as caught:
        await backend.tokens(cipher=TokenCipher([old])).load("seller")
    assert "ALLEGRO_TOKEN_KEY" in str(caught.value) and old not in str(caught.value)


async def test_encrypted_pairs_without_a_key_fail_naming_the_variable(
        backend: Backend, emulator: Emulator) -> None:
    await backend.tokens(cipher=TokenCipher([TokenCipher.generate_key()])).save(
        "seller", near_expiry(emulator))
    with pytest.raises(InvalidArgumentError, match="ALLEGRO_TOKEN_KEY"):
        await backend.tokens(cipher=None).load("seller")


async def test_plain_pairs_are_read_once_a_key_is_configured(backend: Backend,
                                                             emulator: Emulator) -> None:
    token = near_expiry(emulator)
    await backend.tokens(cipher=None).save("seller", token)
    assert await backend.tokens(cipher=TokenCipher([TokenCipher.generate_key()])).load(
        "seller") == token


def test_cipher_is_not_pickled_and_bad_keys_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    key = TokenCipher.generate_key()
    cipher = TokenCipher([key])
    with pytest.raises(TypeError):
        pickle.dumps(cipher)
    assert key not in repr(cipher)
    with pytest.raises(InvalidArgumentError, match="generate_key"):
        TokenCipher(["not-a-key"])
    monkeypatch.setenv("ALLEGRO_TOKEN_KEY", "nope")
    with pytest.raises(InvalidArgumentError) as caught:
        TokenCipher.from_env()
    assert "nope" not in str(caught.value)
    monkeypatch.delenv("ALLEGRO_TOKEN_KEY")
    assert TokenCipher.from_env() is None
