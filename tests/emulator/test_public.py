"""A6: public resources (categories, delivery methods) answer app tokens as well as user
tokens, while user resources like /me refuse app tokens."""

from __future__ import annotations

import pytest

from allegro_async.errors import NotFoundError, PermissionDeniedError
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.public import ROOT_ID


@pytest.mark.parametrize("seller", [None, 0], ids=["app-token", "user-token"])
async def test_public_resources_answer_app_and_user_tokens(seller: int | None) -> None:
    emulator = Emulator()
    async with emulator.client(seller) as client:
        main = await client.request("GET", "/sale/categories")
        children = await client.request("GET", "/sale/categories",
                                        params={"parent.id": "954"})
        laptops = await client.request("GET", "/sale/categories/491")
        methods = await client.request("GET", "/sale/delivery-methods",
                                       params={"marketplace": "allegro-pl"})
    assert {c["name"] for c in main["categories"]} >= {"Electronics"}
    assert all("parent" not in c and not c["leaf"] for c in main["categories"])
    assert {c["id"] for c in children["categories"]} >= {"491", "77919"}
    assert laptops["leaf"] is True and laptops["parent"] == {"id": "954"}
    assert methods["deliveryMethods"] and all(
        "allegro-pl" in m["marketplaces"] for m in methods["deliveryMethods"])


async def test_app_token_is_refused_on_me_but_not_on_categories() -> None:
    emulator = Emulator()
    async with emulator.client(None) as client:
        root = await client.request("GET", "/sale/categories", params={"parent.id": ROOT_ID})
        with pytest.raises(PermissionDeniedError):
            await client.request("GET", "/me")
    assert root["categories"]


async def test_unknown_category_is_404() -> None:
    emulator = Emulator()
    async with emulator.client(None) as client:
        with pytest.raises(NotFoundError):
            await client.request("GET", "/sale/categories/no-such")
        with pytest.raises(NotFoundError):
            await client.request("GET", "/sale/categories", params={"parent.id": "no-such"})
