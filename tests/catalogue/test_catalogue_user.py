"""The user service: GET /me as a model."""

from __future__ import annotations

import pytest

from allegro_async.errors import PermissionDeniedError
from allegro_async.testing import Emulator


async def test_me_returns_the_tokens_seller(emulator: Emulator) -> None:
    async with emulator.client(1) as client:
        me = await client.user.me()
    assert me.id == emulator.sellers[1].id
    assert me.login == "seller-2"
    assert me.base_marketplace is not None and me.base_marketplace.id == "allegro-pl"


async def test_me_refuses_an_app_token(emulator: Emulator) -> None:
    async with emulator.client(None) as client:
        with pytest.raises(PermissionDeniedError):
            await client.user.me()
