"""Legacy offer-variant sets: every S22 rule, against the emulator."""

from __future__ import annotations

import pytest

from allegro_async import AllegroClient
from allegro_async.errors import InvalidArgumentError, NotFoundError, UnprocessableEntityError
from allegro_async.models.variants import VariantSet
from allegro_async.services.offer_variants import VariantMoveError
from allegro_async.testing import Emulator

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SIZE = ["4938"]


def _active(emulator: Emulator, n: int) -> list[str]:
    return [emulator.catalogue.add_offer(0).id for _ in range(n)]


async def test_every_call_warns_that_allegro_retired_the_endpoints(
    emulator: Emulator, client: AllegroClient
) -> None:
    with pytest.warns(DeprecationWarning, match="retired .* 2026-04-14"):
        set_id = await client.offer_variants.create("shirts", _active(emulator, 2), SIZE)
    with pytest.warns(DeprecationWarning, match="automatic product variants"):
        await client.offer_variants.get(set_id)
    with pytest.warns(DeprecationWarning):
        await client.offer_variants.delete(set_id)


async def test_create_get_and_delete_a_set(emulator: Emulator, client: AllegroClient) -> None:
    offers = _active(emulator, 3)
    set_id = await client.offer_variants.create(
        "t-shirts", offers, ["color/pattern"],
        color_patterns={offers[0]: "red", offers[1]: "red", offers[2]: "blue"},
    )
    got = await client.offer_variants.get(set_id)
    assert got.name == "t-shirts" and got.offer_ids == offers
    assert got.offers[2].color_pattern == "blue"
    await client.offer_variants.delete(set_id)
    with pytest.raises(NotFoundError) as info:
        await client.offer_variants.get(set_id)
    assert info.value.hint and "lost set id" in info.value.hint


async def test_s22_offer_in_your_set_cannot_join_another(
    emulator: Emulator, client: AllegroClient
) -> None:
    a, b, c = _active(emulator, 3)
    await client.offer_variants.create("first", [a, b], SIZE)
    with pytest.raises(UnprocessableEntityError) as info:
        await client.offer_variants.create("second", [b, c], SIZE)
    assert info.value.hint is not None and "DELETE the old set" in info.value.hint
    assert emulator.catalogue.user_set_of(c) is None  # nothing half-written


async def test_s22_offers_from_an_automatic_set_can_join(
    emulator: Emulator, client: AllegroClient
) -> None:
    auto_offers = [o.id for o in emulator.catalogue.offers_of(0)
                   if emulator.catalogue.automatic_set_of(o.id)]
    assert len(auto_offers) == 2
    set_id = await client.offer_variants.create("mine now", auto_offers, SIZE)
    assert (await client.offer_variants.get(set_id)).offer_ids == auto_offers
    assert all(emulator.catalogue.automatic_set_of(o) is None for o in auto_offers)


async def test_s22_move_is_delete_then_put(emulator: Emulator, client: AllegroClient) -> None:
    a, b, c, d, e = _active(emulator, 5)
    source = await client.offer_variants.create("source", [a, b, c], SIZE)
    target = await client.offer_variants.create("target", [d, e], SIZE)
    result = await client.offer_variants.move_offers([c], from_set_id=source, to_set_id=target)
    assert (await client.offer_variants.get(target)).offer_ids == [d, e, c]
    assert (await client.offer_variants.get(source)).offer_ids == [a, b]
    assert result.source_recreated
    assert emulator.stats.route("DELETE", "/sale/offer-variants/{setId}") == 1


async def test_s22_move_leaving_one_offer_drops_the_source(
    emulator: Emulator, client: AllegroClient
) -> None:
    a, b, c, d = _active(emulator, 4)
    source = await client.offer_variants.create("source", [a, b], SIZE)
    target = await client.offer_variants.create("target", [c, d], SIZE)
    result = await client.offer_variants.move_offers([b], from_set_id=source, to_set_id=target)
    assert not result.source_recreated
    assert [o.id for o in result.source_remaining] == [a]
    assert emulator.catalogue.user_set_of(a) is None


async def test_s22_failed_move_restores_the_source_and_says_what_happened(
    emulator: Emulator, client: AllegroClient
) -> None:
    a, b, c, d, e = _active(emulator, 5)
    source = await client.offer_variants.create("source", [a, b, c], SIZE)
    target = await client.offer_variants.create("target", [d, e], SIZE)
    original_delete = client.offer_variants.delete

    async def delete_then_end(set_id: str) -> None:
        # A target offer ends between the DELETE and the PUT: the PUT is refused.
        await original_delete(set_id)
        emulator.catalogue.set_offer_status(d, "ENDED")

    client.offer_variants.delete = delete_then_end  # type: ignore[method-assign]
    with pytest.raises(VariantMoveError) as info:
        await client.offer_variants.move_offers([c], from_set_id=source, to_set_id=target)
    err = info.value
    assert err.step == "write target"
    assert err.completed == ["read", "delete source", "restored source"]
    assert err.source is not None and err.source.offer_ids == [a, b, c]
    assert all(emulator.catalogue.user_set_of(o) == source for o in (a, b, c))


async def test_s22_still_processing_offers_are_refused_until_processed(
    emulator: Emulator, client: AllegroClient
) -> None:
    fresh = emulator.catalogue.add_offer(0, processing=True).id
    other = _active(emulator, 1)[0]
    with pytest.raises(UnprocessableEntityError) as info:
        await client.offer_variants.create("new", [fresh, other], SIZE)
    assert info.value.hint is not None and "processing" in info.value.hint
    emulator.clock.advance(emulator.config.catalogue.processing_seconds + 1)
    set_id = await client.offer_variants.create("new", [fresh, other], SIZE)
    assert (await client.offer_variants.get(set_id)).offer_ids == [fresh, other]


@pytest.mark.parametrize("status", ["INACTIVE", "ENDED", "ACTIVATING"])
async def test_s22_only_active_offers_else_not_found(
    emulator: Emulator, client: AllegroClient, status: str
) -> None:
    offer = emulator.catalogue.add_offer(0, status=status).id
    with pytest.raises(UnprocessableEntityError) as info:
        await client.offer_variants.create("x", [offer, _active(emulator, 1)[0]], SIZE)
    assert info.value.mentions("not found")
    assert info.value.hint is not None and "ACTIVE" in info.value.hint


async def test_s22_another_sellers_offer_is_not_found(
    emulator: Emulator, client: AllegroClient
) -> None:
    foreign = emulator.catalogue.add_offer(1).id
    with pytest.raises(UnprocessableEntityError) as info:
        await client.offer_variants.create("x", [foreign, _active(emulator, 1)[0]], SIZE)
    assert info.value.mentions("not found")


async def test_s22_find_a_lost_set_by_name_or_offer_id(
    emulator: Emulator, client: AllegroClient
) -> None:
    a, b = _active(emulator, 2)
    set_id = await client.offer_variants.create("Winter jackets", [a, b], SIZE)
    by_name = await client.offer_variants.find("winter")
    by_offer = await client.offer_variants.find(b)
    assert [s.id for s in by_name] == [set_id] == [s.id for s in by_offer]
    assert emulator.stats.route("GET", "/me") == 1  # seller id read once, then cached


async def test_list_pages_through_every_set(emulator: Emulator, client: AllegroClient) -> None:
    seller = emulator.sellers[0].id
    for i in range(55):
        a, b = _active(emulator, 2)
        emulator.catalogue.write_variant_set(f"set-{i:02d}", seller, f"bulk {i:02d}",
                                             [{"id": a}, {"id": b}], [{"id": "4938"}])
    names = [s.name async for s in client.offer_variants.list(user_id=seller, query="bulk")]
    assert names == sorted(names) and len(names) == 55
    assert emulator.stats.route("GET", "/sale/offer-variants") == 2


async def test_s22_ended_offer_returns_to_its_set_when_activated_again(
    emulator: Emulator, client: AllegroClient
) -> None:
    a, b, c = _active(emulator, 3)
    set_id = await client.offer_variants.create("comes back", [a, b, c], SIZE)
    emulator.catalogue.set_offer_status(b, "ENDED")
    assert (await client.offer_variants.get(set_id)).offer_ids == [a, c]
    emulator.catalogue.set_offer_status(b, "ACTIVE")
    assert (await client.offer_variants.get(set_id)).offer_ids == [a, b, c]


async def test_bad_sets_are_refused_before_sending(
    emulator: Emulator, client: AllegroClient
) -> None:
    a, b = _active(emulator, 2)
    before = emulator.stats.requests
    bad = [
        VariantSet.model_validate({"name": "", "offers": [{"id": a}, {"id": b}],
                                   "parameters": [{"id": "1"}]}),
        VariantSet.model_validate({"name": "x", "offers": [{"id": a}],
                                   "parameters": [{"id": "1"}]}),
        VariantSet.model_validate({"name": "x", "offers": [{"id": a}, {"id": b}],
                                   "parameters": [{"id": "color/pattern"}]}),
        VariantSet.model_validate({"name": "x", "offers": [{"id": a}, {"id": b}],
                                   "parameters": [{"id": "1"}, {"id": "2"}, {"id": "3"}]}),
    ]
    for body in bad:
        with pytest.raises(InvalidArgumentError):
            await client.offer_variants.put("some-id", body)
    with pytest.raises(InvalidArgumentError):
        await client.offer_variants.get("a/b")
    assert emulator.stats.requests == before


async def test_another_sellers_set_is_forbidden(emulator: Emulator) -> None:
    async with emulator.client(0) as first, emulator.client(1) as second:
        set_id = await first.offer_variants.create("mine", _active(emulator, 2), SIZE)
        with pytest.raises(Exception) as info:
            await second.offer_variants.get(set_id)
        assert getattr(info.value, "status_code", None) == 403


async def test_s22_offers_of_the_offers_area_follow_their_live_status(
    emulator: Emulator, client: AllegroClient
) -> None:
    if not callable(getattr(emulator.offers, "get", None)):
        pytest.skip("the offers area exposes no offer accessor yet")
    seller = emulator.sellers[0].id
    active = [oid for oid, o in emulator.offers.offers_of(seller).items()
              if o["publication"]["status"] == "ACTIVE"][:3]
    assert len(active) == 3
    set_id = await client.offer_variants.create("from offers", active, SIZE)
    emulator.catalogue.set_offer_status(active[1], "ENDED")  # as a publication command would
    assert (await client.offer_variants.get(set_id)).offer_ids == [active[0], active[2]]
    emulator.catalogue.set_offer_status(active[1], "ACTIVE")
    assert (await client.offer_variants.get(set_id)).offer_ids == active


async def test_listing_sets_ends_when_the_server_ignores_offset() -> None:
    import httpx

    from allegro_async import WalkStalledError
    from allegro_async.services.offer_variants import _PAGE

    offsets: list[str] = []

    def ignores_offset(request: httpx.Request) -> httpx.Response:
        offsets.append(request.url.params["offset"])
        return httpx.Response(200, json={"offerVariants": [
            {"id": f"s{i}", "name": f"set {i}"} for i in range(_PAGE)], "count": 5 * _PAGE})

    async with AllegroClient(access_token="t", retry=False,
                             transport=httpx.MockTransport(ignores_offset)) as client:
        names: list[str | None] = []
        with pytest.raises(WalkStalledError) as caught:
            async for summary in client.offer_variants.list(user_id="42"):
                names.append(summary.name)
    assert len(names) == len(set(names)) == _PAGE and offsets == ["0", str(_PAGE)]
    assert (caught.value.reason, caught.value.total) == ("page_repeated", 5 * _PAGE)
