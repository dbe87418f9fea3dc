"""The example backend (examples/fastapi_app) under real uvicorn on 127.0.0.1 against the
served emulator: concurrent requests, bulk prices, onboarding errors, a SIGKILL in the middle
of event consumption, and a clean shutdown with ResourceWarning as an error."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from allegro_async.auth.tokens import FileTokenStore
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.core import EmulatorConfig
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.testing.emulator.offers import OffersConfig
from allegro_async.testing.emulator.orders import OrdersConfig
from allegro_async.testing.server import serve_in_thread

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app"
sys.path.insert(0, str(EXAMPLE))
from harness import (  # noqa: E402
    Backend,
    backend_env,
    listening_socket,
    start_backend,
    write_tokens,
)

pytestmark = pytest.mark.slow


def _wait_until(done: Callable[[], bool], what: str, backend: Backend,
                timeout: float = 120) -> None:
    """Wait for a condition on the emulator's counters or the backend's metrics."""
    deadline = time.monotonic() + timeout
    while not done():
        if backend.process.poll() is not None:
            raise AssertionError(f"the backend exited while waiting for {what}: "
                                 f"{backend.stderr()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _clean_shutdown(backend: Backend) -> None:
    assert backend.stop() == 0, backend.stderr()
    text = backend.stderr()
    assert "Application shutdown complete." in text, text  # the lifespan's exit ran
    for sign in ("ResourceWarning", "unclosed", "Traceback", "Exception ignored"):
        assert sign not in text, text


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, str]]:
    config: EmulatorConfig = getattr(request, "param", EmulatorConfig())
    emulator = Emulator(config)
    with serve_in_thread(emulator) as url:
        yield emulator, url


def _journal(url: str, emulator: Emulator) -> dict[str, list[str]]:
    """Each seller's events as a fresh stream from the beginning delivers them (A8)."""

    async def read() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for index, seller in enumerate(emulator.sellers):
            async with emulator.client(index, environment=emulator.environment(url),
                                       transport=None) as client, \
                    client.orders.events(start="beginning", follow=False) as stream:
                out[seller.id] = [delivery.id async for delivery in stream]
        return out

    return anyio.run(read)


def _recorded(data: Path) -> list[tuple[str, str]]:
    path = data / "events.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(item["seller"], item["id"]) for item in map(json.loads, lines)]


SMALL = EmulatorConfig(
    orders=OrdersConfig(orders_per_seller=40),
    offers=OffersConfig(active=120, command_seconds=0.2),
)


@pytest.mark.parametrize("served", [SMALL], indirect=True)
def test_concurrent_requests_and_bulk_prices_under_uvicorn(
        served: tuple[Emulator, str], tmp_path: Path) -> None:
    emulator, url = served
    sellers = write_tokens(emulator, tmp_path / "tokens.json")
    first_pair = anyio.run(FileTokenStore(tmp_path / "tokens.json").load, sellers[2])
    assert first_pair is not None
    sock, base = listening_socket()
    callback = f"{base}/allegro/callback"
    emulator.config.redirect_uris = (callback,)  # registered exactly (S4)
    env = backend_env(emulator, url, tmp_path, {"ALLEGRO_REDIRECT_URI": callback})
    backend = start_backend(env, tmp_path / "backend.log", sock=sock)
    try:
        async def drive() -> tuple[list[int], dict[str, object], int]:
            async with httpx.AsyncClient(base_url=backend.url, timeout=120) as http:
                offer_ids = (await http.get(f"/sellers/{sellers[1]}/offers",
                                            params={"limit": 100})).json()["offer_ids"]
                statuses: list[int] = []
                job: dict[str, object] = {}

                async def get(i: int) -> None:
                    response = await http.get(f"/sellers/{sellers[i % 3]}/orders",
                                              params={"limit": 10, "offset": i % 7})
                    statuses.append(response.status_code)

                async def prices() -> None:
                    response = await http.post(f"/sellers/{sellers[1]}/prices", json={
                        "prices": {offer: "19.99" for offer in offer_ids}})
                    job.update(response.json())

                async with anyio.create_task_group() as tg:
                    tg.start_soon(prices)
                    for i in range(300):
                        tg.start_soon(get, i)
                unknown = (await http.get("/sellers/424242/orders")).status_code
                # Onboarding through the real server: Allegro's page (the emulator) sends
                # the seller back to the backend's callback, which saves them.
                emulator.oauth.approve_as(2)
                connect = await http.get("/allegro/connect")
                # the same browser: it carries the cookie that binds the flow to it
                async with httpx.AsyncClient(cookies=connect.cookies) as browser:
                    page = await browser.get(connect.headers["location"])
                    back = await browser.get(page.headers["location"])
                return statuses, job, unknown, back

        statuses, job, unknown, back = anyio.run(drive)
    finally:
        _clean_shutdown(backend)
    assert statuses == [200] * 300
    assert job["succeeded"] == 100 and job["failed"] == {} and job["unknown"] == {}
    assert unknown == 404
    assert back.status_code == 200
    assert back.json() == {"seller_id": emulator.sellers[2].id, "connected": True}
    assert emulator.oauth.counters.token_requests["authorization_code"] == 1
    saved = anyio.run(FileTokenStore(tmp_path / "tokens.json").load, emulator.sellers[2].id)
    assert saved is not None and saved.access_token != first_pair.access_token  # the new pair
    assert emulator.stats.responses_429 == 0
    assert emulator.stats.route("GET", "/order/checkout-forms") == 300
    # 100 offers at one price: one command (S20), not 100 requests.
    assert emulator.stats.route("PUT", "/sale/offer-price-change-commands/{commandId}") == 1


KILL = EmulatorConfig(
    orders=OrdersConfig(orders_per_seller=40),
    # Slow pages, so the kill lands while the journal is being read.
    limits=LimitsConfig(latency=0.05),
)


@pytest.mark.parametrize("served", [KILL], indirect=True)
def test_sigkill_mid_consumption_loses_and_repeats_no_event(
        served: tuple[Emulator, str], tmp_path: Path) -> None:
    emulator, url = served
    write_tokens(emulator, tmp_path / "tokens.json")
    expected = _journal(url, emulator)
    total = sum(map(len, expected.values()))
    env = backend_env(emulator, url, tmp_path, {"EXAMPLE_EVENTS_START": "beginning",
                                                 "EXAMPLE_EVENTS_PAGE_SIZE": "10"})
    pages_before = emulator.stats.route("GET", "/order/events")

    first = start_backend(env, tmp_path / "first.log")
    _wait_until(lambda: emulator.stats.route("GET", "/order/events") >= pages_before + 9,
                "the first backend to read a few pages of events", first)
    first.kill()
    kept = _recorded(tmp_path)
    assert 0 < len(kept) < total  # killed in the middle

    second = start_backend(env, tmp_path / "second.log")
    try:
        def caught_up() -> bool:
            state = httpx.get(f"{second.url}/consumers", timeout=60).json()
            return bool(state["recorded"] == total)

        _wait_until(caught_up, "the restarted backend to record every event", second)
        state = httpx.get(f"{second.url}/consumers", timeout=60).json()
    finally:
        _clean_shutdown(second)
    recorded = _recorded(tmp_path)
    print(f"killed after {len(kept)} of {total} events; skipped again: "
          f"{state['skipped_as_already_recorded']}")
    assert len(recorded) == len(set(recorded)) == total  # none twice, none lost
    for seller_id, ids in expected.items():
        assert [i for s, i in recorded if s == seller_id] == ids  # in journal order
    # The cursor resumed where the first process stopped: at most the one event in flight
    # per seller came again (and was skipped by the record).
    assert state["skipped_as_already_recorded"] <= len(expected)
    assert all(m["restarts"] == 0 for m in state["sellers"].values())
