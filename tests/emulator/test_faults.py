"""Injected faults: 5xx, latency, drops and timeouts, per route, reproducible from the seed."""

from __future__ import annotations

import httpx
import pytest

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.errors import InvalidArgumentError
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.faults import FaultRule, FaultsConfig
from allegro_async.testing.server import serve


def _raw(emulator: Emulator, timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://allegro.emulator", timeout=timeout,
        headers={"Authorization": f"Bearer {emulator.mint_token(0)}",
                 "Accept": PUBLIC_MEDIA_TYPE},
    )


async def test_no_faults_by_default() -> None:
    emulator = Emulator()
    assert not emulator.faults.active
    async with _raw(emulator) as raw:
        statuses = [(await raw.get("/me")).status_code for _ in range(20)]
    assert statuses == [200] * 20
    assert not emulator.stats.faults


async def test_status_fault_on_one_route_only() -> None:
    emulator = Emulator()
    rule = emulator.faults.add(route="GET /me", status=503, retry_after=2)
    async with _raw(emulator) as raw:
        response = await raw.get("/me")
        other = await raw.get("/no/such/path")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["trace-id"]
    assert response.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert other.status_code == 404
    assert rule.fired == 1
    assert emulator.stats.faults["status_503"] == 1


async def test_times_limits_how_often_a_fault_fires() -> None:
    emulator = Emulator()
    emulator.faults.add(route="/me", status=500, times=2)
    async with _raw(emulator) as raw:
        statuses = [(await raw.get("/me")).status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]


async def _statuses(seed: int) -> list[int]:
    emulator = Emulator(seed=seed)
    emulator.faults.add(status=502, probability=0.3)
    async with _raw(emulator) as raw:
        return [(await raw.get("/me")).status_code for _ in range(60)]


async def test_probability_is_reproducible_from_the_seed() -> None:
    first, again, other = await _statuses(7), await _statuses(7), await _statuses(8)
    assert first == again
    assert first != other
    assert 5 < first.count(502) < 35


async def test_drop_surfaces_as_remote_protocol_error() -> None:
    emulator = Emulator()
    emulator.faults.add(route="GET /me", drop=True, times=1)
    async with _raw(emulator) as raw:
        with pytest.raises(httpx.RemoteProtocolError):
            await raw.get("/me")
        assert (await raw.get("/me")).status_code == 200
    assert emulator.stats.faults["drop"] == 1


async def test_drop_after_lets_the_request_take_effect() -> None:
    emulator = Emulator()
    rule = emulator.faults.add(route="GET /me", drop=True, when="after", times=1)
    async with _raw(emulator) as raw:
        with pytest.raises(httpx.RemoteProtocolError):
            await raw.get("/me")
    assert rule.lost == [200]  # the route ran; its answer never reached the client


async def test_drop_under_uvicorn_really_drops_the_connection() -> None:
    emulator = Emulator()
    emulator.faults.add(route="GET /me", drop=True, times=1)
    token = emulator.mint_token(0)
    async with serve(emulator) as url, httpx.AsyncClient(base_url=url, headers={
            "Authorization": f"Bearer {token}", "Accept": PUBLIC_MEDIA_TYPE}) as raw:
        with pytest.raises(httpx.RemoteProtocolError):
            await raw.get("/me")
        assert (await raw.get("/me")).status_code == 200


async def test_timeout_fault_exceeds_the_client_timeout() -> None:
    emulator = Emulator(time_scale=1000)
    emulator.faults.add(route="GET /me", timeout=True, times=1)  # 3600 emulated s = 3.6 s real
    async with _raw(emulator, timeout=0.05) as raw:
        with pytest.raises(httpx.ReadTimeout):
            await raw.get("/me")
    assert emulator.stats.faults["timeout"] == 1


async def test_latency_uses_emulated_seconds() -> None:
    emulator = Emulator(time_scale=10_000, faults=FaultsConfig(latency=5.0, jitter=1.0))
    start = emulator.clock.monotonic()
    async with _raw(emulator) as raw:
        assert (await raw.get("/me")).status_code == 200
    assert emulator.clock.monotonic() - start >= 5.0


async def test_latency_spikes_are_counted() -> None:
    emulator = Emulator(time_scale=100_000, faults=FaultsConfig(
        spike_probability=1.0, spike_latency=10.0))
    async with _raw(emulator) as raw:
        await raw.get("/me")
    assert emulator.stats.faults["latency_spike"] == 1


async def test_rules_from_config_and_clear() -> None:
    emulator = Emulator(faults=FaultsConfig(rules=[FaultRule(route="*", status=504)]))
    async with _raw(emulator) as raw:
        assert (await raw.get("/me")).status_code == 504
        emulator.faults.clear()
        assert (await raw.get("/me")).status_code == 200


@pytest.mark.parametrize("kwargs", [
    {}, {"status": 404}, {"status": 503, "drop": True}, {"status": 503, "probability": 2.0},
    {"status": 503, "times": 0}, {"latency": -1.0},
])
def test_bad_rules_are_refused_clearly(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        Emulator().faults.add("GET /me", **kwargs)  # type: ignore[arg-type]
