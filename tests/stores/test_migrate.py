"""Moving from files to a shared store keeps every pair and the stream's place."""

from __future__ import annotations

from pathlib import Path

import pytest

from allegro_async.auth.tokens import FileTokenStore
from allegro_async.cursors import FileCursorStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.stores.migrate import copy_cursor, copy_tokens
from allegro_async.testing import Emulator
from tests.stores.conftest import Backend
from tests.stores.test_token_stores import near_expiry

pytestmark = pytest.mark.stores


async def test_file_stores_move_into_a_shared_store(backend: Backend, emulator: Emulator,
                                                    tmp_path: Path) -> None:
    files = FileTokenStore(tmp_path / "tokens.json")
    pairs = {emulator.sellers[n].id: near_expiry(emulator, n) for n in range(3)}
    for key, token in pairs.items():
        await files.save(key, token)
    target = backend.tokens(cipher=None)
    newer = near_expiry(emulator, 0)
    await target.save(emulator.sellers[0].id, newer)  # already moved: kept
    copied = await copy_tokens(files, target)
    assert copied == sorted(set(pairs) - {emulator.sellers[0].id})
    assert await target.keys() == sorted(pairs)
    assert await target.load(emulator.sellers[1].id) == pairs[emulator.sellers[1].id]
    assert await target.load(emulator.sellers[0].id) == newer

    cursor_file = FileCursorStore(tmp_path / "orders.cursor", max_keys=4)
    for number in range(6):
        await cursor_file.commit(f"e{number}", [f"k{number}"])
    cursor_file.close()
    moved = backend.cursors("orders:1", max_keys=4)
    state = await copy_cursor(FileCursorStore(tmp_path / "orders.cursor", max_keys=4), moved)
    assert state.cursor == "e5"
    assert await backend.cursors("orders:1", max_keys=4).load() == state
    with pytest.raises(InvalidArgumentError, match="already holds"):
        await copy_cursor(FileCursorStore(tmp_path / "orders.cursor"), moved)
