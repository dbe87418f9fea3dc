"""Per-call options on the offer services: every request a command or a bulk update makes
(each PUT, each report and task poll, each PATCH) carries them."""

from __future__ import annotations

import httpx
import pytest

from allegro_async.errors import InvalidArgumentError
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator


class Spy(httpx.AsyncBaseTransport):
    """The emulator's transport, keeping every request it is sent."""

    def __init__(self, emulator: Emulator) -> None:
        self.inner = emulator.transport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("own_engine", [False, True])
async def test_a_command_sends_the_options_with_every_put_and_poll(own_engine: bool) -> None:
    emulator = make_emulator(active=0, drafts=1500, ended=0)
    spy = Spy(emulator)
    async with fast_client(emulator, transport=spy) as client:
        drafts = [o.id async for o in client.offers.list(publication_status="INACTIVE")]
        spy.requests.clear()
        engine = client.offers.commands() if own_engine else None
        result = await client.offers.publish(drafts, engine=engine,
                                             extra_headers={"X-Run": "r-1"},
                                             extra_query={"trace": "t"})
    commands = [r for r in spy.requests if "/sale/offer-publication-commands/" in r.url.path]
    puts = [r for r in commands if r.method == "PUT"]
    polls = [r for r in commands if r.method == "GET"]
    assert len(result.succeeded) == 1500
    assert len(puts) == 2 and polls  # 1500 offers: two commands, then their reports
    assert all(r.headers.get("X-Run") == "r-1" for r in commands)
    assert all(r.url.params.get("trace") == "t" for r in commands)


async def test_a_bulk_update_sends_the_options_with_every_patch() -> None:
    emulator = make_emulator(active=5, drafts=0, ended=0)
    spy = Spy(emulator)
    async with fast_client(emulator, transport=spy) as client:
        ids = [o.id async for o in client.offers.list()]
        spy.requests.clear()
        result = await client.offers.bulk_update(
            {offer_id: {"name": f"Renamed {offer_id}"} for offer_id in ids},
            extra_headers={"X-Run": "bulk"}, concurrency=2)
    patches = [r for r in spy.requests if r.method == "PATCH"]
    assert all(item.ok for item in result.items) and len(patches) == len(ids)
    assert all(r.headers.get("X-Run") == "bulk" for r in patches)


async def test_a_bad_option_of_a_command_is_refused_before_any_put() -> None:
    emulator = make_emulator(active=0, drafts=3, ended=0)
    spy = Spy(emulator)
    async with fast_client(emulator, transport=spy) as client:
        drafts = [o.id async for o in client.offers.list(publication_status="INACTIVE")]
        spy.requests.clear()
        with pytest.raises(InvalidArgumentError) as info:
            await client.offers.publish(drafts, max_retries=-1)
    assert info.value.field == "max_retries"
    assert spy.requests == []


async def test_a_command_with_options_is_journaled_where_resume_looks() -> None:
    emulator = make_emulator(active=0, drafts=3, ended=0)

    class Gone(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("down")  # nothing arrives: the commands stay pending

    async with fast_client(emulator) as client:
        drafts = [o.id async for o in client.offers.list(publication_status="INACTIVE")]
    async with fast_client(emulator, transport=Gone(), retry=False) as client:
        # the service's own engine, made on the copy the options give, before anything else
        # asked for the journal
        result = await client.offers.end(drafts, timeout=30, max_retries=0)
        pending = client.offers.command_journal.pending
    assert result.command_ids and result.command_ids[0] in pending
