"""A refresh token Allegro refused is sent once, not once per call: concurrent calls share the
refusal, later calls are refused without a token request until a new pair is saved, and an
expired token without a refresh token is the same typed error."""

from __future__ import annotations

import anyio
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.errors import InvalidArgumentError, ReauthorizationRequiredError
from allegro_async.testing import Emulator
from tests.auth.test_refresh import _app, _clock, _seller_token


def _sent(emulator: Emulator) -> int:
    return emulator.oauth.counters.token_requests["refresh_token"]


async def _dead_seller(emulator: Emulator, app: AllegroApp) -> str:
    """A seller whose expired pair's refresh token was rotated away by another worker."""
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    await app.flows.refresh(str(old.refresh_token))  # a worker not sharing the store
    emulator.clock.advance(61)  # past A5's grace: the stored refresh token is dead
    return key


async def test_50_concurrent_calls_send_the_dead_refresh_token_once(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    key = await _dead_seller(emulator, app)
    before = _sent(emulator)
    errors: list[ReauthorizationRequiredError] = []

    async def one() -> None:
        try:
            await app.seller(key).request("GET", "/me")
        except ReauthorizationRequiredError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(one)
    assert len(errors) == 50 and all(e.seller_id == key for e in errors)
    assert _sent(emulator) - before == 1
    assert emulator.stats.route("GET", "/me") == 0


async def test_later_calls_are_refused_without_a_token_request_until_a_new_pair(
    emulator: Emulator,
) -> None:
    store = MemoryTokenStore()
    app = _app(emulator, store)
    key = await _dead_seller(emulator, app)
    before = _sent(emulator)
    for _ in range(20):
        with pytest.raises(ReauthorizationRequiredError) as caught:
            await app.seller(key).request("GET", "/me")
        assert _sent(emulator) - before == 1
        assert "connect again" in str(caught.value)
        assert caught.value.hint.startswith("a refresh token lives 3 months")
    assert emulator.stats.route("GET", "/me") == 0
    # the seller logs in again, and another process saves the new pair: calls work at once
    fresh = Token.from_response(emulator.oauth.issue_pair(key), now=_clock(emulator))
    await store.save(key, fresh)
    assert (await app.seller(key).request("GET", "/me"))["id"] == key
    assert _sent(emulator) - before == 1  # the new pair is fresh: nothing to refresh


async def test_a_new_login_through_the_app_clears_the_refusal(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    key = await _dead_seller(emulator, app)
    with pytest.raises(ReauthorizationRequiredError):
        await app.seller(key).request("GET", "/me")
    await app.add_seller(Token.from_response(emulator.oauth.issue_pair(key),
                                             now=_clock(emulator)))
    assert (await app.seller(key).request("GET", "/me"))["id"] == key


async def test_an_expired_token_without_a_refresh_token_asks_to_connect_again() -> None:
    now = 10_000.0
    store = MemoryTokenStore({"s": Token("app-access-" + "x" * 9, None, expires_at=now - 1)})

    class NeverCalled:
        async def refresh(self, refresh_token: str) -> Token:
            raise AssertionError("nothing to send")

    auth = RefreshingAuth(store, "s", NeverCalled(), clock=lambda: now)
    for _ in range(2):
        with pytest.raises(ReauthorizationRequiredError) as caught:
            await auth.token()
        assert not isinstance(caught.value, InvalidArgumentError)
        assert caught.value.seller_id == "s" and "no refresh token" in str(caught.value)
