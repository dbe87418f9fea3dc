"""Products by phrase and GTIN with cursor paging; one EAN, several products (S21)."""

from __future__ import annotations

import httpx
import pytest

from allegro_async import AllegroClient, WalkStalledError
from allegro_async.errors import InvalidArgumentError, NotFoundError, UnprocessableEntityError
from allegro_async.testing import Emulator


def _laptop_ean(emulator: Emulator) -> str:
    for gtin in emulator.catalogue.shared_gtins():
        if emulator.catalogue.products_by_gtin(gtin)[0]["category"]["id"] == "491":
            return gtin
    raise AssertionError("the seed made no shared laptop EAN")


def test_emulator_has_eans_shared_by_several_products(emulator: Emulator) -> None:
    shared = emulator.catalogue.shared_gtins()
    assert len(shared) >= 3
    assert max(shared.values()) >= 3


def test_products_are_deterministic_from_the_seed() -> None:
    assert Emulator(seed=7).catalogue.products == Emulator(seed=7).catalogue.products
    assert Emulator(seed=7).catalogue.products != Emulator(seed=8).catalogue.products


async def test_s21_by_ean_returns_every_product_with_that_ean(
    emulator: Emulator, client: AllegroClient
) -> None:
    ean = _laptop_ean(emulator)
    matches = await client.products.by_ean(ean)
    assert len(matches) == len(emulator.catalogue.products_by_gtin(ean)) >= 2
    assert all(ean in p.gtins for p in matches)
    disks = {p.identifying_parameters()["Disk size"] for p in matches}
    assert len(disks) == len(matches)  # the parameter tells them apart
    assert all(d.endswith(" GB") for d in disks)


async def test_s21_shirts_sharing_an_ean_differ_by_colour(
    emulator: Emulator, client: AllegroClient
) -> None:
    ean = next(g for g in emulator.catalogue.shared_gtins()
               if emulator.catalogue.products_by_gtin(g)[0]["category"]["id"] == "2441")
    matches = await client.products.by_ean(ean)
    colours = [p.identifying_parameters()["Colour"] for p in matches]
    assert len(set(colours)) == len(matches) >= 2


async def test_by_ean_accepts_spaces_and_hyphens(emulator: Emulator, client: AllegroClient) -> None:
    ean = _laptop_ean(emulator)
    spaced = f"{ean[:1]} {ean[1:7]}-{ean[7:]}"
    assert {p.id for p in await client.products.by_ean(spaced)} == {
        p["id"] for p in emulator.catalogue.products_by_gtin(ean)
    }


async def test_by_ean_unknown_returns_empty_list(client: AllegroClient) -> None:
    assert await client.products.by_ean("4006381333931") == []


@pytest.mark.parametrize("bad", ["12345", "59012341234AB", "", "1234567890123456"])
async def test_by_ean_rejects_non_gtin_before_sending(
    emulator: Emulator, client: AllegroClient, bad: str
) -> None:
    before = emulator.stats.requests
    with pytest.raises(InvalidArgumentError) as info:
        await client.products.by_ean(bad)
    assert info.value.field == "ean"
    assert emulator.stats.requests == before


async def test_phrase_search_follows_the_cursor_across_pages(
    emulator: Emulator, client: AllegroClient
) -> None:
    expected = [p["id"] for p in emulator.catalogue.products if "laptop" in p["name"].lower()]
    assert len(expected) > emulator.config.catalogue.products_page_size  # needs 2+ pages
    found = [p.id async for p in client.products.search("laptop")]
    assert found == expected
    assert emulator.stats.route("GET", "/sale/products") == 2


async def test_search_page_resumes_from_next_page_id(client: AllegroClient) -> None:
    first = await client.products.search_page("laptop")
    assert first.next_page_id
    second = await client.products.search_page("laptop", page_id=first.next_page_id)
    assert not {p.id for p in first.products} & {p.id for p in second.products}


async def test_max_pages_stops_early(emulator: Emulator, client: AllegroClient) -> None:
    found = [p async for p in client.products.search("laptop", max_pages=1)]
    assert len(found) == emulator.config.catalogue.products_page_size


async def test_cursor_of_another_search_is_refused(client: AllegroClient) -> None:
    first = await client.products.search_page("laptop")
    with pytest.raises(UnprocessableEntityError):
        await client.products.search_page("t-shirt", page_id=first.next_page_id)


async def test_category_filter(emulator: Emulator, client: AllegroClient) -> None:
    found = [p async for p in client.products.search(category_id="77919")]
    assert found and all(p.category.id == "77919" for p in found)


async def test_search_needs_phrase_or_category(client: AllegroClient) -> None:
    with pytest.raises(InvalidArgumentError):
        await client.products.search_page()


async def test_mpn_mode_finds_by_manufacturer_code(
    emulator: Emulator, client: AllegroClient
) -> None:
    product = emulator.catalogue.products[1]
    mpn = next(p["values"][0] for p in product["parameters"] if p["name"] == "Manufacturer code")
    found = [p async for p in client.products.search(mpn, mode="MPN")]
    assert product["id"] in {p.id for p in found}


async def test_get_returns_parameters_and_keeps_unknown_fields(
    emulator: Emulator, client: AllegroClient
) -> None:
    raw = emulator.catalogue.products[0]
    raw["futureField"] = {"x": 1}  # Allegro adds fields; the model keeps them
    product = await client.products.get(raw["id"])
    assert product.name == raw["name"]
    assert product.parameter("Brand") is not None
    assert product.model_extra == {"futureField": {"x": 1}}


async def test_get_unknown_product_is_not_found(client: AllegroClient) -> None:
    with pytest.raises(NotFoundError):
        await client.products.get("00000000-0000-4000-8000-000000000000")


def _search_answer(pages: dict[str | None, tuple[list[str], str | None]],
                   calls: list[str | None]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("page.id")
        calls.append(cursor)
        assert len(calls) < 20, "the walk loops"
        ids, nxt = pages[cursor]
        return httpx.Response(200, headers={"trace-id": f"tr{len(calls)}"}, json={
            "products": [{"id": i, "name": i, "category": {"id": "1"}} for i in ids],
            "nextPage": {"id": nxt} if nxt else None})
    return httpx.MockTransport(answer)


async def test_search_ends_when_next_page_ids_go_round() -> None:
    calls: list[str | None] = []
    pages = {None: (["a"], "p1"), "p1": (["b"], "p2"), "p2": (["c"], "p1")}
    found: list[str] = []
    async with AllegroClient(access_token="t", retry=False,
                             transport=_search_answer(pages, calls)) as client:
        with pytest.raises(WalkStalledError) as caught:
            async for product in client.products.search("laptop"):
                found.append(product.id)
    assert found == ["a", "b", "c"] and calls == [None, "p1", "p2"]
    assert (caught.value.reason, caught.value.yielded) == ("cursor_cycle", 3)


async def test_search_ends_when_the_server_ignores_the_cursor() -> None:
    calls: list[str | None] = []
    pages = {None: (["a", "b"], "p1"), "p1": (["a", "b"], "p2")}
    found: list[str] = []
    async with AllegroClient(access_token="t", retry=False,
                             transport=_search_answer(pages, calls)) as client:
        with pytest.raises(WalkStalledError) as caught:
            async for product in client.products.search("laptop"):
                found.append(product.id)
    assert found == ["a", "b"] and calls == [None, "p1"]
    assert caught.value.reason == "page_repeated" and caught.value.trace_id == "tr2"
