"""A refresh whose answer is lost is sent again at once, inside A5's grace for the old refresh
token: the seller keeps the session (single flight and save-before-use kept)."""

from __future__ import annotations

import anyio
import pytest

from allegro_async.auth.httpx_auth import REFRESH_RETRY_WINDOW, RefreshingAuth
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.errors import (
    BadRequestError,
    InvalidArgumentError,
    RateLimitedError,
    ReauthorizationRequiredError,
    ServerError,
    TransportError,
)
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows
from tests.auth.test_refresh import _app, _seller_token

TOKEN = "POST /auth/oauth/token"


async def test_emulator_keeps_the_old_refresh_token_for_60_seconds(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)
    old = emulator.oauth.issue_pair(emulator.sellers[0].id)["refresh_token"]
    await flows.refresh(old)  # rotated now
    emulator.clock.advance(59)
    assert (await flows.refresh(old)).user_name == emulator.sellers[0].id  # still in the grace
    emulator.clock.advance(2)
    with pytest.raises(BadRequestError) as info:
        await flows.refresh(old)
    assert info.value.oauth_error == "invalid_grant"


@pytest.mark.parametrize("fault", [
    {"drop": True, "when": "after"},  # reached Allegro, rotated, answer lost (reset)
    {"drop": True, "when": "before"},  # never arrived
    {"status": 503},  # a proxy's 5xx
])
async def test_a_lost_refresh_answer_is_retried_at_once(
    emulator: Emulator, fault: dict[str, object]
) -> None:
    store = MemoryTokenStore()
    app = _app(emulator, store)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    rule = emulator.faults.add(TOKEN, times=1, **fault)  # type: ignore[arg-type]
    me = await app.seller(key).request("GET", "/me")
    assert me["id"] == key
    assert rule.fired == 1 and rule.lost == ([200] if fault.get("when") == "after" else [])
    # the endpoint saw the lost request too only when the answer was lost after it
    assert emulator.oauth.counters.token_requests["refresh_token"] == (
        2 if fault.get("when") == "after" else 1
    )
    saved = await store.load(key)
    assert saved is not None and saved.refresh_token != old.refresh_token
    assert app.auth(key)._token == saved and app.auth(key).refreshes == 1
    emulator.clock.advance(61)  # past the grace: the old refresh token is dead, the saved lives
    with pytest.raises(BadRequestError):
        await app.flows.refresh(str(old.refresh_token))
    assert (await app.flows.refresh(str(saved.refresh_token))).user_name == key


async def test_refresh_retries_are_bounded_and_keep_the_old_pair(emulator: Emulator) -> None:
    store = MemoryTokenStore()
    app = _app(emulator, store)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    rule = emulator.faults.add(TOKEN, drop=True, when="after")  # every answer lost
    with pytest.raises(TransportError):
        await app.seller(key).request("GET", "/me")
    assert rule.fired == 3 == emulator.oauth.counters.token_requests["refresh_token"]
    assert await store.load(key) == old
    emulator.faults.clear()  # the network is back within the grace: the old token still works
    assert (await app.seller(key).request("GET", "/me"))["id"] == key


async def test_200_concurrent_requests_share_one_retried_refresh(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    key = await app.add_seller(_seller_token(emulator, expires_in=10))
    emulator.faults.add(TOKEN, drop=True, when="after", times=1)
    client = app.seller(key)
    ids: list[str] = []

    async def one() -> None:
        ids.append((await client.request("GET", "/me"))["id"])

    async with anyio.create_task_group() as tg:
        for _ in range(200):
            tg.start_soon(one)
    assert ids == [key] * 200
    assert emulator.oauth.counters.token_requests["refresh_token"] == 2  # lost one, its retry


class _Failing:
    """A refresher whose every attempt fails with ``error``, taking ``seconds`` of ``clock``."""

    def __init__(self, error: Exception, clock: list[float], seconds: float = 0.0) -> None:
        self.error, self.clock, self.seconds, self.calls = error, clock, seconds, 0

    async def refresh(self, refresh_token: str) -> Token:
        self.calls += 1
        self.clock[0] += self.seconds
        raise self.error


def _stale_store() -> MemoryTokenStore:
    return MemoryTokenStore({"s": Token("old-access-" + "x" * 9, "old-refresh-" + "x" * 9,
                                        expires_at=900.0, issued_at=0.0)})


async def test_a_refresh_is_not_retried_past_the_grace() -> None:
    now = [1_000.0]
    # a read timeout after 50 s: the rotation is that old, a retry would come too late
    refresher = _Failing(TransportError("ReadTimeout", method="POST", path="/auth/oauth/token"),
                         now, seconds=REFRESH_RETRY_WINDOW + 5)
    auth = RefreshingAuth(_stale_store(), "s", refresher, clock=lambda: now[0])
    with pytest.raises(TransportError):
        await auth.token()
    assert refresher.calls == 1


async def test_transport_failures_and_5xx_are_retried_refusals_are_not() -> None:
    path = {"method": "POST", "path": "/auth/oauth/token"}
    cases: list[tuple[Exception, type[Exception], int]] = [
        (ServerError(status_code=502, **path), ServerError, 5),
        (TransportError("RemoteProtocolError", **path), TransportError, 5),
        (BadRequestError(status_code=400, oauth_error="invalid_grant", **path),  # A5: dead
         ReauthorizationRequiredError, 1),
        (RateLimitedError(status_code=429, **path), RateLimitedError, 1),  # A2: refused again
    ]
    now = [1_000.0]  # no time passes: only the count bounds the retries
    for error, raised, calls in cases:
        refresher = _Failing(error, now)
        auth = RefreshingAuth(_stale_store(), "s", refresher, clock=lambda: now[0],
                              refresh_retries=4)
        with pytest.raises(raised):
            await auth.token()
        assert (raised.__name__, refresher.calls) == (raised.__name__, calls)
    with pytest.raises(InvalidArgumentError, match="refresh_retries"):
        RefreshingAuth(_stale_store(), "s", refresher, refresh_retries=-1)
