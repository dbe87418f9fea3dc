"""The command engine alone, over a fake client: chunking (S20) as a property, ids made once,
unsent chunks reported per offer, and the emulator's data determinism."""

from __future__ import annotations

import math
from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_async.errors import ServerError
from allegro_async.models.commands import CommandKind
from allegro_async.services.commands import CommandEngine
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.offers import OffersConfig


class FakeClient:
    """Answers command PUTs, reports and tasks like Allegro, recording what was sent."""

    def __init__(self, fail_puts: int = 0, broken_first: str | None = None) -> None:
        self.puts: list[tuple[str, int]] = []
        self.fail_puts = fail_puts
        self.broken_first = broken_first
        self.bodies: dict[str, list[str]] = {}

    async def request(self, method: str, path: str, **kw: Any) -> Any:
        cid = path.split("/")[3]
        if method == "PUT":
            offers = [o["id"] for o in kw["json"]["offerCriteria"][0]["offers"]]
            self.puts.append((cid, len(offers)))
            assert kw["extensions"]  # marked retry-safe
            if self.fail_puts > 0 or offers[0] == self.broken_first:
                self.fail_puts -= 1
                raise ServerError(status_code=503, method="PUT", path=path)
            self.bodies[cid] = offers
            return {}
        offers = self.bodies[cid]
        cast = kw["cast_to"]
        if path.endswith("/tasks"):
            start, limit = kw["params"]["offset"], kw["params"]["limit"]
            assert start <= 999
            return cast.model_validate({"tasks": [
                {"offer": {"id": o}, "status": "SUCCESS"} for o in offers[start:start + limit]]})
        return cast.model_validate({"id": cid, "completedAt": "2026-01-01T00:00:00Z",
                                    "taskCount": {"total": len(offers),
                                                  "success": len(offers), "failed": 0}})


async def _no_sleep(seconds: float) -> None:
    return None


@settings(max_examples=25, deadline=None)
@given(count=st.integers(min_value=1, max_value=3500), page=st.sampled_from([100, 333, 1000]))
def test_any_number_of_offers_makes_ceil_n_over_1000_commands(count: int, page: int) -> None:
    fake = FakeClient()
    engine = CommandEngine(fake, sleep=_no_sleep, tasks_page=page)  # type: ignore[arg-type]
    ids = [str(i) for i in range(count)]
    result = anyio.run(engine.run, CommandKind.PRICE, ids, {"modification": {"type": "X"}})
    assert len(fake.puts) == math.ceil(count / 1000)
    assert all(n <= 1000 for _, n in fake.puts)
    assert len(set(result.command_ids)) == len(result.command_ids) == len(fake.puts)
    assert [o.offer_id for o in result.outcomes] == ids and result.ok


async def test_put_retries_keep_the_same_command_id() -> None:
    fake = FakeClient(fail_puts=2)
    engine = CommandEngine(fake, sleep=_no_sleep)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1", "2"], {"modification": {}})
    assert [cid for cid, _ in fake.puts] == [result.command_ids[0]] * 3
    assert result.ok


async def test_a_chunk_that_cannot_be_sent_is_reported_per_offer() -> None:
    fake = FakeClient(broken_first="1000")
    engine = CommandEngine(fake, sleep=_no_sleep, put_attempts=2)  # type: ignore[arg-type]
    ids = [str(i) for i in range(2500)]
    result = await engine.run(CommandKind.PUBLICATION, ids, {"publication": {"action": "END"}})
    assert len(result.succeeded) == 1500
    assert len(result.failed) == 1000
    assert all(o.status == "NOT_SENT" for o in result.outcomes[1000:2000])
    assert "gave up after 2 attempts" in result.failed["1500"]


def test_emulator_offers_are_deterministic_from_the_seed() -> None:
    def offers(seed: int) -> dict[str, Any]:
        config = EmulatorConfig(seed=seed, offers=OffersConfig(active=5, drafts=3, ended=2))
        emulator = Emulator(config)
        return emulator.offers.offers_of(emulator.sellers[0].id)

    first, again, other = offers(7), offers(7), offers(8)
    assert first == again and first != other
    statuses = [o["publication"]["status"] for o in first.values()]
    assert statuses.count("ACTIVE") == 5 and statuses.count("INACTIVE") == 3
    assert statuses.count("ENDED") == 2
