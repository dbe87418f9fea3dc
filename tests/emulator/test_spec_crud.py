"""The CRUD-like areas keep per-seller state: contacts, tags, after-sales policies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.emulator import spec_index

JSON = {"Accept": PUBLIC_MEDIA_TYPE, "Content-Type": PUBLIC_MEDIA_TYPE}


def _scopes() -> list[str]:
    return sorted({s for op in spec_index.operations().values() for s in op.scopes})


@pytest.fixture
async def sellers() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    emulator = Emulator()
    clients = [httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://emulator",
        headers={**JSON, "Authorization": f"Bearer {emulator.mint_token(i, scopes=_scopes())}"})
        for i in (0, 1)]
    async with clients[0], clients[1]:
        yield clients[0], clients[1]


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def test_contact_round_trip(sellers: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    mine, theirs = sellers
    created = await _ok(await mine.post("/sale/offer-contacts", json={
        "name": "Shop desk", "emails": [{"address": "desk@example.com"}],
        "phones": [{"number": "+48 600 000 000"}], "junk": {"kept": False}}), 201)
    contact_id = created["id"]
    assert created["name"] == "Shop desk" and "junk" not in created
    got = await _ok(await mine.get(f"/sale/offer-contacts/{contact_id}"))
    assert got == created
    listed = await _ok(await mine.get("/sale/offer-contacts"))
    assert [c["id"] for c in listed["contacts"]] == [contact_id]
    assert (await _ok(await theirs.get("/sale/offer-contacts")))["contacts"] == []
    other = await theirs.get(f"/sale/offer-contacts/{contact_id}")
    assert other.status_code == 404 and other.json()["errors"][0]["code"] == "NotFoundException"
    updated = await _ok(await mine.put(f"/sale/offer-contacts/{contact_id}", json={
        "name": "Back office", "emails": [{"address": "back@example.com"}]}))
    assert updated["id"] == contact_id and updated["name"] == "Back office"
    assert (await _ok(await mine.get(f"/sale/offer-contacts/{contact_id}")))["emails"] == [
        {"address": "back@example.com"}]


async def test_tag_create_list_update_delete(
        sellers: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    mine, _ = sellers
    created = await _ok(await mine.post("/sale/offer-tags", json={"name": "summer"}))
    assert set(created) == {"id"}  # the create answers TagId only
    tag_id = created["id"]
    await _ok(await mine.put(f"/sale/offer-tags/{tag_id}",
                             json={"name": "winter", "hidden": True}))
    (tag,) = (await _ok(await mine.get("/sale/offer-tags")))["tags"]
    assert tag["id"] == tag_id and tag["name"] == "winter" and tag["hidden"] is True
    await _ok(await mine.delete(f"/sale/offer-tags/{tag_id}"), 204)
    assert (await _ok(await mine.get("/sale/offer-tags")))["tags"] == []
    gone = await mine.delete(f"/sale/offer-tags/{tag_id}")
    assert gone.status_code == 404


async def test_return_policy_round_trip_and_unknown_id(
        sellers: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    mine, _ = sellers
    body = {"name": "30 days", "isFulfillment": False, "availability": {"range": "FULL"},
            "withdrawalPeriod": "P30D"}
    created = await _ok(await mine.post("/after-sales-service-conditions/return-policies",
                                        json=body), 201)
    policy = created["id"]
    assert created["name"] == "30 days" and created["availability"] == {"range": "FULL"}
    got = await _ok(await mine.get(f"/after-sales-service-conditions/return-policies/{policy}"))
    assert got == created
    listed = await _ok(await mine.get("/after-sales-service-conditions/return-policies"))
    assert [p["id"] for p in listed["returnPolicies"]] == [policy] and listed["count"] == 1
    await _ok(await mine.delete(f"/after-sales-service-conditions/return-policies/{policy}"))
    missing = await mine.get(f"/after-sales-service-conditions/return-policies/{policy}")
    assert missing.status_code == 404


async def test_invalid_crud_body_is_422_and_nothing_is_stored(
        sellers: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    mine, _ = sellers
    refused = await mine.post("/sale/offer-tags", json={"name": "x" * 26},
                              headers={"x-emulator-expect-invalid": "1"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "name"
    assert (await _ok(await mine.get("/sale/offer-tags")))["tags"] == []
