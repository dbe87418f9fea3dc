"""The client reaches the emulator in-process and maps its answers."""

from __future__ import annotations

import pytest

from allegro_async import AllegroClient, NotFoundError, PermissionDeniedError
from allegro_async.testing import Emulator


async def test_me_returns_the_tokens_seller(client: AllegroClient, emulator: Emulator) -> None:
    me = await client.request("GET", "/me")
    assert me["id"] == emulator.sellers[0].id


async def test_unknown_path_is_a_typed_404(client: AllegroClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.request("GET", "/no/such/resource")
    assert info.value.errors[0].code == "NotFoundException"
    assert info.value.trace_id


async def test_app_token_on_user_resource_hints_a6(emulator: Emulator) -> None:
    async with emulator.client(None) as app_client:
        with pytest.raises(PermissionDeniedError) as info:
            await app_client.request("GET", "/me")
    assert info.value.hint is not None and info.value.hint.startswith("this is an app token")
