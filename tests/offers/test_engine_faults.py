"""The engine keeps what it made when a report cannot be read (finding 1): the offers of that
command come back UNKNOWN with the command id, and a rerun with ``command_ids=`` collects them
without registering anything twice."""

from __future__ import annotations

from typing import Any

from allegro_async.errors import PermissionDeniedError
from allegro_async.testing import Emulator

from .conftest import fast_client, make_emulator

TASKS = "GET /sale/offer-quantity-change-commands/{commandId}/tasks"
PUT = "/sale/offer-quantity-change-commands/{commandId}"


async def test_failed_tasks_read_keeps_command_ids_and_resume_collects() -> None:
    emulator: Emulator = make_emulator(active=1500, drafts=0, ended=0)
    async with fast_client(emulator, retry=False) as client:
        ids = [o.id async for o in client.offers.list()]
        engine = client.offers.commands(poll_initial=1.0)
        # the first command's tasks read fails; the second command's read works
        emulator.faults.add(route=TASKS, status=503, times=1)
        first = await client.offers.change_quantity(ids, to=5, engine=engine)
        assert len(first.command_ids) == 2
        assert len(first.unfinished) == 1000
        lost = first.outcomes[0]
        assert lost.status == "UNKNOWN" and lost.command_id == first.command_ids[0]
        assert "command_ids" in (lost.message or "")
        assert sum(o.ok for o in first.outcomes) == 500
        again = await client.offers.change_quantity(ids, to=5, engine=engine,
                                                    command_ids=first.command_ids)
    assert again.ok and again.unfinished == []
    assert again.command_ids == first.command_ids
    assert emulator.stats.route("PUT", PUT) == 4  # the same two ids, sent twice
    assert max(emulator.offers.counters.command_changes.values()) == 1


async def test_two_sellers_may_use_the_same_command_id() -> None:
    import uuid

    emulator = make_emulator(active=3, drafts=0, ended=0)
    cid = str(uuid.uuid4())
    results = []
    for seller in (0, 1):
        async with fast_client(emulator, seller) as client:
            ids = [o.id async for o in client.offers.list()]
            engine = client.offers.commands()
            results.append(await client.offers.change_quantity(ids, to=4, engine=engine,
                                                               command_ids=[cid]))
    assert all(r.ok and r.command_ids == [cid] for r in results)
    assert len(emulator.offers.counters.command_changes) == 6


async def test_non_uuid_command_id_is_422_and_refused_by_the_engine() -> None:
    import pytest

    from allegro_async.errors import InvalidArgumentError, UnprocessableEntityError

    emulator = make_emulator(active=1, drafts=0, ended=0)
    async with fast_client(emulator) as client:
        ids = [o.id async for o in client.offers.list()]
        body = {"offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": ids[0]}]}],
                "modification": {"changeType": "FIXED", "value": 1}}
        with pytest.raises(UnprocessableEntityError, match="UUID"):
            await client.request("PUT", "/sale/offer-quantity-change-commands/not-a-uuid",
                                 json=body)
        before = emulator.stats.requests
        with pytest.raises(InvalidArgumentError, match="UUID"):
            await client.offers.change_quantity(ids, to=1, command_ids=["not-a-uuid"])
        assert emulator.stats.requests == before


async def test_a_4xx_on_a_report_read_keeps_the_other_commands_outcomes() -> None:
    # Only 5xx/429/connection failures were caught there: a 403 on one report read raised out
    # of run() and the ids of every command already registered were lost with it.
    emulator: Emulator = make_emulator(active=1500, drafts=0, ended=0)
    async with fast_client(emulator, retry=False) as client:
        ids = [o.id async for o in client.offers.list()]
        engine = client.offers.commands(poll_initial=1.0)
        send = client.request_raw
        refused: list[str] = []

        async def first_tasks_read_refused(method: str, path: str, **kw: Any) -> Any:
            if path.endswith("/tasks") and not refused:  # the emulator injects only 5xx
                refused.append(path)
                raise PermissionDeniedError(status_code=403, method=method, path=path)
            return await send(method, path, **kw)

        client.request_raw = first_tasks_read_refused  # type: ignore[method-assign]
        first = await client.offers.change_quantity(ids, to=6, engine=engine)
        client.request_raw = send  # type: ignore[method-assign]
        assert refused
        assert len(first.command_ids) == 2
        assert len(first.unfinished) == 1000
        assert first.outcomes[0].status == "UNKNOWN"
        assert sum(o.ok for o in first.outcomes) == 500
        again = await client.offers.change_quantity(ids, to=6, engine=engine,
                                                    command_ids=first.command_ids)
    assert again.ok
    assert max(emulator.offers.counters.command_changes.values()) == 1
