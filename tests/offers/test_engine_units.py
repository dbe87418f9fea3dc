"""The command engine alone, over a fake client: chunking (S20) as a property, ids made once,
unsent chunks reported per offer, and the emulator's data determinism."""

from __future__ import annotations

import math
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_async._response import APIResponse
from allegro_async.api._root import Api
from allegro_async.config import Environment
from allegro_async.errors import (
    AuthenticationError,
    ConnectError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    UnprocessableEntityError,
)
from allegro_async.models.commands import CommandKind
from allegro_async.services.commands import CommandEngine
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.offers import OffersConfig


class FakeClient:
    """Answers command PUTs, reports and tasks like Allegro, recording what was sent; the
    engine reaches it through the real generated layer (``api``), which calls
    ``request_raw``.

    ``put_errors``: what the next PUTs raise, in turn; ``lost_puts``: how many PUTs register
    the command but lose the answer (a read timeout) before answering again."""

    environment = Environment.production()

    def __init__(self, fail_puts: int = 0, broken_first: str | None = None,
                 put_errors: list[Exception] | None = None, lost_puts: int = 0) -> None:
        self.puts: list[tuple[str, int]] = []
        self.fail_puts = fail_puts
        self.broken_first = broken_first
        self.put_errors = list(put_errors or [])
        self.lost_puts = lost_puts
        self.bodies: dict[str, list[str]] = {}
        self.api = Api(self)  # type: ignore[arg-type]

    async def request_raw(self, method: str, path: str, **kw: Any) -> APIResponse:
        return APIResponse(httpx.Response(200, json=self._answer(method, path, **kw)))

    def _answer(self, method: str, path: str, **kw: Any) -> Any:
        cid = path.split("/")[3]
        if method == "PUT":
            offers = [o["id"] for o in kw["json"]["offerCriteria"][0]["offers"]]
            self.puts.append((cid, len(offers)))
            if self.put_errors:
                raise self.put_errors.pop(0)
            if self.fail_puts > 0 or offers[0] == self.broken_first:
                self.fail_puts -= 1
                raise ServerError(status_code=503, method="PUT", path=path)
            self.bodies[cid] = offers
            if self.lost_puts > 0:
                self.lost_puts -= 1
                raise RequestTimeoutError("timed out (ReadTimeout)", method="PUT", path=path)
            return {}
        if cid not in self.bodies:
            raise NotFoundError(status_code=404, method=method, path=path)
        offers = self.bodies[cid]
        if path.endswith("/tasks"):
            start, limit = kw["params"]["offset"], kw["params"]["limit"]
            assert start <= 999
            return {"tasks": [
                {"offer": {"id": o}, "status": "SUCCESS"} for o in offers[start:start + limit]]}
        return {"id": cid, "completedAt": "2026-01-01T00:00:00Z",
                "taskCount": {"total": len(offers), "success": len(offers), "failed": 0}}


async def _no_sleep(seconds: float) -> None:
    return None


@settings(max_examples=25, deadline=None)
@given(count=st.integers(min_value=1, max_value=3500), page=st.sampled_from([100, 333, 1000]))
def test_any_number_of_offers_makes_ceil_n_over_1000_commands(count: int, page: int) -> None:
    fake = FakeClient()
    engine = CommandEngine(fake, sleep=_no_sleep, tasks_page=page)  # type: ignore[arg-type]
    ids = [str(i) for i in range(count)]
    change = {"modification": {"type": "FIXED_PRICE"}}  # a body the spec allows
    result = anyio.run(engine.run, CommandKind.PRICE, ids, change)
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


async def test_a_chunk_whose_put_got_5xx_to_the_end_is_unknown_not_failed() -> None:
    # It was NOT_SENT and in result.failed: a 5xx may come after Allegro applied the command,
    # and re-sending a relative change from result.failed applied it twice.
    fake = FakeClient(broken_first="1000")
    engine = CommandEngine(fake, sleep=_no_sleep, put_attempts=2)  # type: ignore[arg-type]
    ids = [str(i) for i in range(2500)]
    result = await engine.run(CommandKind.PUBLICATION, ids, {"publication": {"action": "END"}})
    assert len(result.succeeded) == 1500
    assert result.failed == {}
    lost = result.command_ids[1]
    assert result.unknown == {str(i): lost for i in range(1000, 2000)}
    assert all(o.status == "UNKNOWN" for o in result.outcomes[1000:2000])
    assert "gave up after 2 attempts" in (result.outcomes[1500].message or "")
    assert "engine.resume()" in (result.outcomes[1500].message or "")
    assert engine.journal.command_ids == [lost]  # the settled two are dropped


@pytest.mark.parametrize("error", [
    RequestTimeoutError("timed out (ReadTimeout)", method="PUT", path="/x"),
    ProtocolError("connection failed mid-request", method="PUT", path="/x"),
    ServerError(status_code=500, method="PUT", path="/x"),
])
async def test_a_put_that_may_have_arrived_is_unknown(error: Exception) -> None:
    fake = FakeClient(put_errors=[error])
    engine = CommandEngine(fake, sleep=_no_sleep, put_attempts=1)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1", "2"], {"modification": {}})
    assert result.failed == {} and set(result.unknown) == {"1", "2"}
    assert engine.journal.command_ids == result.command_ids


async def test_a_lost_answer_after_registration_is_read_from_the_report() -> None:
    fake = FakeClient(lost_puts=3)
    engine = CommandEngine(fake, sleep=_no_sleep, put_attempts=3)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1", "2"], {"modification": {}})
    assert result.ok and len(fake.puts) == 3
    assert engine.journal.command_ids == []


async def test_connect_errors_on_every_attempt_and_no_command_is_not_sent() -> None:
    errors: list[Exception] = [ConnectError("could not connect", method="PUT", path="/x"),
                               RateLimitedError(status_code=429, method="PUT", path="/x")]
    fake = FakeClient(put_errors=errors)
    engine = CommandEngine(fake, sleep=_no_sleep, put_attempts=2)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1", "2"], {"modification": {}})
    assert set(result.failed) == {"1", "2"} and result.unknown == {}
    assert all(o.status == "NOT_SENT" for o in result.outcomes)
    assert "has no command" in result.failed["1"]
    assert engine.journal.command_ids == []


async def test_a_4xx_answer_is_refused_and_safe_to_send_again() -> None:
    fake = FakeClient(put_errors=[UnprocessableEntityError(status_code=422, method="PUT",
                                                           path="/x")])
    engine = CommandEngine(fake, sleep=_no_sleep)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1"], {"modification": {}})
    assert result.outcomes[0].status == "REFUSED" and "1" in result.failed
    assert len(fake.puts) == 1


async def test_a_401_after_a_lost_answer_stays_unknown() -> None:
    # The first attempt may have registered the command; the 401 says nothing about it.
    fake = FakeClient(put_errors=[
        RequestTimeoutError("timed out (ReadTimeout)", method="PUT", path="/x"),
        AuthenticationError(status_code=401, method="PUT", path="/x")])
    engine = CommandEngine(fake, sleep=_no_sleep)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1"], {"modification": {}})
    assert result.failed == {} and list(result.unknown) == ["1"]


async def test_a_raising_progress_callback_does_not_end_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The exception escaped run(): the outcomes of every command already made were lost.
    calls: list[int] = []

    def broken_bar(done: int, total: int) -> None:
        calls.append(done)
        raise ValueError("the bar is gone")

    fake = FakeClient()
    engine = CommandEngine(fake, sleep=_no_sleep, progress=broken_bar)  # type: ignore[arg-type]
    ids = [str(i) for i in range(2500)]
    with caplog.at_level("WARNING", logger="allegro_async.commands"):
        result = await engine.run(CommandKind.QUANTITY, ids, {"modification": {}})
    assert result.ok and len(result.outcomes) == 2500 and len(fake.puts) == 3
    assert calls == [1000, 2000, 2500]
    assert result.callback_errors == ["ValueError: the bar is gone"] * 3
    assert len([r for r in caplog.records if "progress callback" in r.getMessage()]) == 1


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


def test_every_command_family_calls_the_spec_operations_of_its_url() -> None:
    from allegro_async.api import OPERATIONS
    from allegro_async.services.commands import OPERATION_IDS

    assert set(OPERATION_IDS) == set(CommandKind)
    for kind, (put, report, tasks) in OPERATION_IDS.items():
        base = f"/sale/{kind.value}/{{commandId}}"
        assert (OPERATIONS[put].method, OPERATIONS[put].path) == ("PUT", base)
        assert (OPERATIONS[report].method, OPERATIONS[report].path) == ("GET", base)
        assert (OPERATIONS[tasks].method, OPERATIONS[tasks].path) == ("GET", base + "/tasks")


def test_the_report_models_are_the_generated_ones_with_every_field() -> None:
    from allegro_async.api import models as generated
    from allegro_async.models import commands

    assert commands.CommandReport is generated.GeneralReport
    assert commands.TaskPage is generated.TaskReport
    assert commands.CommandTask is generated.CommandTask
    assert commands.TaskError is generated.CommandOutputErrors
    page = commands.TaskPage.model_validate({"tasks": [{
        "offer": {"id": "1"}, "status": "FAIL", "field": "sellingMode.price",
        "errors": [{"code": "E1", "details": "d", "userMessage": "too low",
                    "metadata": {"k": "v"}}]}]})
    assert page.tasks is not None and page.tasks[0].errors is not None
    assert page.tasks[0].offer_id == "1"
    error = page.tasks[0].errors[0]
    assert (error.details, error.user_message, error.metadata) == ("d", "too low", {"k": "v"})
    report = commands.CommandReport.model_validate({"id": "c"})
    assert report.task_count is None and report.tasks_total == 0 and not report.done
    finished = commands.CommandReport.model_validate(
        {"id": "c", "taskCount": {"total": 2, "success": 1, "failed": 1}})
    assert finished.tasks_total == 2 and finished.done


async def test_a_report_without_its_id_leaves_the_offers_unknown_not_lost() -> None:
    class NoId(FakeClient):
        def _answer(self, method: str, path: str, **kw: Any) -> Any:
            found = super()._answer(method, path, **kw)
            if method == "GET" and not path.endswith("/tasks"):
                found.pop("id")
            return found

    engine = CommandEngine(NoId(), sleep=_no_sleep)  # type: ignore[arg-type]
    result = await engine.run(CommandKind.QUANTITY, ["1", "2"], {"modification": {
        "changeType": "FIXED", "value": 3}})
    # registered, but its report could not be read: unknown, to be resumed, never "not sent"
    assert [o.status for o in result.outcomes] == ["UNKNOWN", "UNKNOWN"]
    assert result.command_ids and not result.ok
    assert "id" in (result.outcomes[0].message or "")
