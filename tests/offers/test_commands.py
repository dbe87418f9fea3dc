"""The command engine: S17 (past scheduledFor), S20 (<= 1000 offers, commandId reuse, tasks
paging), one result with per-offer outcomes."""

from __future__ import annotations

import datetime as _dt
import uuid

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.errors import ConflictError, InvalidArgumentError, UnprocessableEntityError
from allegro_async.models.commands import CommandKind
from allegro_async.services.commands import CommandEngine
from allegro_async.testing import Emulator

from .conftest import advancing_sleep, fast_client, make_emulator

PRICE_PUT = "/sale/offer-price-change-commands/{commandId}"
PUBLICATION_PUT = "/sale/offer-publication-commands/{commandId}"


async def _ids(client: AllegroClient, status: str | None = None) -> list[str]:
    filters = {"publication_status": status} if status else {}
    return [o.id async for o in client.offers.list(**filters)]


async def test_s20_10000_price_changes_take_10_commands_and_every_task() -> None:
    emulator = make_emulator(active=10_000, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = await _ids(client)
        assert len(ids) == 10_000
        result = await client.offers.change_price(ids, increase_percent="5")
    stats = emulator.stats
    assert stats.route("PUT", PRICE_PUT) == 10
    assert len(result.command_ids) == 10 and len(set(result.command_ids)) == 10
    assert len(result.outcomes) == 10_000 and result.ok
    assert [o.offer_id for o in result.outcomes] == ids
    assert stats.responses_429 == 0
    assert max(emulator.offers.counters.command_changes.values()) == 1


async def test_s20_publishing_2500_drafts_makes_3_commands() -> None:
    emulator = make_emulator(active=0, drafts=2500, ended=0)
    async with fast_client(emulator) as client:
        drafts = await _ids(client, "INACTIVE")
        result = await client.offers.publish(drafts)
        assert await client.offers.count_drafts() == 0
    assert emulator.stats.route("PUT", PUBLICATION_PUT) == 3
    assert len(result.succeeded) == 2500


async def test_s20_emulator_refuses_more_than_1000_offers(offers_emulator: Emulator) -> None:
    body = {"offerCriteria": [{"type": "CONTAINS_OFFERS",
                               "offers": [{"id": str(7_700_000_001 + i)} for i in range(1001)]}],
            "publication": {"action": "END"}}
    async with offers_emulator.client(0, throttle=False) as client:  # ours would refuse first
        with pytest.raises(UnprocessableEntityError, match="at most 1000"):
            await client.request("PUT", f"/sale/offer-publication-commands/{uuid.uuid4()}",
                                 json=body)


async def test_s20_same_command_id_same_body_is_the_same_command(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    ids = (await _ids(offers_client, "ACTIVE"))[:3]
    cid = str(uuid.uuid4())
    body = {"offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": i} for i in ids]}],
            "modification": {"changeType": "FIXED", "value": 7}}
    first = await offers_client.request("PUT", f"/sale/offer-quantity-change-commands/{cid}",
                                        json=body)
    again = await offers_client.request("PUT", f"/sale/offer-quantity-change-commands/{cid}",
                                        json=body)
    assert first["id"] == again["id"] == cid
    body["modification"]["value"] = 8
    with pytest.raises(ConflictError):
        await offers_client.request("PUT", f"/sale/offer-quantity-change-commands/{cid}",
                                    json=body)
    offers_emulator.clock.advance(60)
    parts = await offers_client.offers.parts(ids[0], ["stock"])
    assert parts.stock is not None and parts.stock.available == 7
    assert offers_emulator.offers.counters.command_changes[ids[0]] == 1


async def test_s20_retried_put_reuses_the_command_id(offers_emulator: Emulator) -> None:
    """The first PUT is lost (the connection drops after Allegro registered it): the engine
    sends the same commandId again, so the change is applied once."""
    seen: list[str] = []
    inner = offers_emulator.transport()

    class DropFirstPutResponse(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            if request.method == "PUT":
                seen.append(request.url.path)
                if len(seen) == 1:
                    raise httpx.RemoteProtocolError("dropped", request=request)
            return response

    async with fast_client(offers_emulator, transport=DropFirstPutResponse()) as client:
        ids = (await _ids(client, "ACTIVE"))[:5]
        result = await client.offers.change_quantity(ids, gain=2)
    assert len(seen) == 2 and seen[0] == seen[1]
    assert result.ok and len(result.succeeded) == 5
    assert all(offers_emulator.offers.counters.command_changes[i] == 1 for i in ids)


async def test_s17_past_scheduled_for_is_refused_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    past = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5)
    with pytest.raises(InvalidArgumentError, match="schedule activating an offer in the past"):
        await offers_client.offers.publish(["7700000031"], scheduled_for=past)
    assert offers_emulator.stats.requests == 0


async def test_s17_emulator_answers_past_schedule_with_allegros_message(
    offers_client: AllegroClient,
) -> None:
    body = {"offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": "7700000031"}]}],
            "publication": {"action": "ACTIVATE", "scheduledFor": "2020-01-01T00:00:00.000Z"}}
    with pytest.raises(UnprocessableEntityError) as caught:
        await offers_client.request("PUT", f"/sale/offer-publication-commands/{uuid.uuid4()}",
                                    json=body)
    assert "scheduledFor is in the past" in (caught.value.hint or "")


async def test_scheduled_publication_in_the_future_is_sent(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    drafts = (await _ids(offers_client, "INACTIVE"))[:2]
    later = offers_emulator.clock.now() + _dt.timedelta(days=1)
    result = await offers_client.offers.publish(drafts, scheduled_for=later,
                                                now=offers_emulator.clock.now())
    assert result.ok
    offer = await offers_client.offers.get(drafts[0])
    assert offer.publication is not None and offer.publication.status == "ACTIVATING"


async def test_failed_tasks_are_reported_per_offer() -> None:
    emulator = make_emulator(active=40, command_failure_rate=0.3)
    async with fast_client(emulator) as client:
        ids = await _ids(client, "ACTIVE")
        result = await client.offers.end([*ids, "7700999999"])
    assert "7700999999" in result.failed
    assert result.failed["7700999999"] == "The offer does not exist."
    assert 1 < len(result.failed) < len(ids)
    assert len(result.succeeded) + len(result.failed) == len(ids) + 1


async def test_tasks_are_paged_within_the_offset_rule(offers_emulator: Emulator) -> None:
    async with fast_client(offers_emulator) as client:
        ids = await _ids(client, "ACTIVE")
        engine = CommandEngine(client, sleep=advancing_sleep(offers_emulator), tasks_page=7)
        result = await engine.run(CommandKind.MODIFICATION, ids,
                                  {"modification": {"delivery": {"handlingTime": "PT72H"}}})
        offer = await client.offers.get_raw(ids[0])
    assert result.ok and len(result.outcomes) == 30
    assert offers_emulator.stats.route(
        "GET", "/sale/offer-modification-commands/{commandId}/tasks") == 5
    assert offer["delivery"]["handlingTime"] == "PT72H"


async def test_emulator_refuses_tasks_offset_over_999(offers_client: AllegroClient) -> None:
    ids = (await _ids(offers_client, "ACTIVE"))[:1]
    result = await offers_client.offers.change_quantity(ids, to=1)
    with pytest.raises(UnprocessableEntityError):
        await offers_client.request(
            "GET", f"/sale/offer-quantity-change-commands/{result.command_ids[0]}/tasks",
            params={"offset": 1000},
            # bad on purpose: the conformance recorder does not validate this request
            headers={"x-emulator-expect-invalid": "1"})


async def test_bad_input_is_refused_before_sending(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    for call in (
        offers_client.offers.change_price(["1"], to="1", increase_by="2"),
        offers_client.offers.change_price(["1"], to="abc"),
        offers_client.offers.change_quantity(["1"]),
        offers_client.offers.end(["1", "1"]),
        offers_client.offers.end([]),
    ):
        with pytest.raises(InvalidArgumentError):
            await call
    assert offers_emulator.stats.requests == 0


async def test_padded_ids_are_refused_and_one_offer_is_named_once(
    offers_client: AllegroClient, offers_emulator: Emulator
) -> None:
    # Ids went into the command body unstripped: " 1" and "1" passed the duplicate check, and
    # a padded id reached Allegro as an offer that does not exist.
    with pytest.raises(InvalidArgumentError):
        await offers_client.offers.end(["7700000001", " 7700000001 "])
    assert offers_emulator.stats.requests == 0
    # A padded id is refused (not stripped): the id checked is the id sent.
    with pytest.raises(InvalidArgumentError, match="not an id"):
        await offers_client.offers.change_quantity([" 7700000001 "], to=3)
    # One offer written as int and as text is one offer, named twice.
    with pytest.raises(InvalidArgumentError, match="twice"):
        await offers_client.offers.end(["7700000001", 7700000001])
    assert offers_emulator.stats.requests == 0
