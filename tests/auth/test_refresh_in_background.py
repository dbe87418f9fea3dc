"""A refresh runs in a task of its own: a caller whose cancel scope or deadline ends during it
leaves at once and sends nothing, and the refresh still saves the rotated pair (A5) for the
next caller, who does not refresh again."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore
from allegro_async.errors import RequestTimeoutError
from allegro_async.testing import Emulator
from tests.auth.test_refresh import _clock, _seller_token

GUARD = 10.0  # seconds: only bounds a test that would otherwise hang on the old behaviour


class HeldTokenEndpoint(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; a token request waits until ``release`` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.arrived = anyio.Event()
        self.release = anyio.Event()
        self.answered = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/oauth/token":
            self.arrived.set()
            await self.release.wait()
            response = await self.inner.handle_async_request(request)
            self.answered += 1
            return response
        return await self.inner.handle_async_request(request)


@contextlib.asynccontextmanager
async def guarded(held: HeldTokenEndpoint | anyio.Event) -> AsyncIterator[None]:
    """Answer the held token request after :data:`GUARD` seconds at the latest: a caller held
    through the whole refresh (the old behaviour) then fails its test instead of hanging it."""

    release = held if isinstance(held, anyio.Event) else held.release

    async def watchdog() -> None:
        await anyio.sleep(GUARD)
        release.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(watchdog)
        yield
        tg.cancel_scope.cancel()


def _app(emulator: Emulator, held: HeldTokenEndpoint) -> AllegroApp:
    return AllegroApp(
        emulator.client_id, emulator.client_secret, store=MemoryTokenStore(),
        environment=emulator.environment(), transport=held, clock=lambda: _clock(emulator),
    )


def _refreshes(emulator: Emulator) -> int:
    return emulator.oauth.counters.token_requests["refresh_token"]


async def _after_the_refresh(emulator: Emulator, app: AllegroApp, key: str, old_refresh: str,
                             held: HeldTokenEndpoint) -> None:
    """The refresh the caller left goes on and saves; the next caller uses its pair."""
    assert emulator.stats.route("GET", "/me") == 0  # the caller's GET never went out
    held.release.set()
    with anyio.fail_after(GUARD):
        await app.auth(key).join()
    saved = await app.store.load(key)
    assert saved is not None and saved.refresh_token != old_refresh
    assert held.answered == 1 and _refreshes(emulator) == 1
    assert (await app.seller(key).request("GET", "/me"))["id"] == key
    assert _refreshes(emulator) == 1  # the saved pair, not a second refresh
    assert emulator.stats.route("GET", "/me") == 1  # only the later caller's


async def test_a_cancelled_caller_leaves_while_the_refresh_goes_on(emulator: Emulator) -> None:
    held = HeldTokenEndpoint(emulator.transport())
    app = _app(emulator, held)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    left = anyio.Event()
    scope = anyio.CancelScope()

    async def caller() -> None:
        with scope:
            await app.seller(key).request("GET", "/me")
        left.set()

    async with guarded(held), anyio.create_task_group() as tg:
        tg.start_soon(caller)
        await held.arrived.wait()
        scope.cancel()
        await left.wait()  # back while the token request is still unanswered
        assert scope.cancelled_caught and held.answered == 0
    await _after_the_refresh(emulator, app, key, str(old.refresh_token), held)


async def test_a_caller_out_of_time_leaves_and_sends_nothing(emulator: Emulator) -> None:
    held = HeldTokenEndpoint(emulator.transport())
    app = _app(emulator, held)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    async with guarded(held):
        with pytest.raises(RequestTimeoutError) as caught:
            await app.seller(key).request("GET", "/me", timeout=0.05)
        assert held.answered == 0  # it left before the refresh was answered
    assert "deadline" in str(caught.value) and "refresh" in str(caught.value)
    await _after_the_refresh(emulator, app, key, str(old.refresh_token), held)


async def test_waiters_without_a_deadline_get_the_refresh_the_late_one_left(
    emulator: Emulator,
) -> None:
    held = HeldTokenEndpoint(emulator.transport())
    app = _app(emulator, held)
    key = await app.add_seller(_seller_token(emulator, expires_in=10))
    ids: list[str] = []

    async def patient() -> None:
        ids.append((await app.seller(key).request("GET", "/me"))["id"])

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(patient)
        async with guarded(held):
            await held.arrived.wait()
            with pytest.raises(RequestTimeoutError):
                await app.seller(key).request("GET", "/me", timeout=0.01)
        held.release.set()
    assert ids == [key] * 5 and _refreshes(emulator) == 1
    assert emulator.stats.route("GET", "/me") == 5


async def test_closing_the_app_waits_for_a_refresh_in_flight(emulator: Emulator) -> None:
    held = HeldTokenEndpoint(emulator.transport())
    app = _app(emulator, held)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    async with guarded(held):
        with pytest.raises(RequestTimeoutError):
            await app.seller(key).request("GET", "/me", timeout=0.01)
    closed = anyio.Event()

    async def close() -> None:
        await app.aclose()
        closed.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(close)
        await anyio.wait_all_tasks_blocked()
        assert not closed.is_set()  # the refresh is still out
        held.release.set()
    saved = await app.store.load(key)
    assert saved is not None and saved.refresh_token != old.refresh_token


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_refresh_outlives_a_cancelled_caller_on_each_backend(backend: str) -> None:
    from allegro_async.auth.httpx_auth import RefreshingAuth
    from allegro_async.auth.tokens import Token

    class Held:
        def __init__(self) -> None:
            self.arrived, self.release, self.calls = anyio.Event(), anyio.Event(), 0

        async def refresh(self, refresh_token: str) -> Token:
            self.calls += 1
            self.arrived.set()
            await self.release.wait()
            return Token("new-access-" + "x" * 9, "new-refresh-" + "x" * 9, expires_at=9e9)

    async def main() -> None:
        store = MemoryTokenStore({"s": Token("old-access-" + "x" * 9, "old-refresh-" + "x" * 9,
                                             expires_at=1.0)})
        held = Held()
        auth = RefreshingAuth(store, "s", held, clock=lambda: 100.0)
        scope, left = anyio.CancelScope(), anyio.Event()

        async def caller() -> None:
            with scope:
                await auth.token()
            left.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(caller)
            await held.arrived.wait()
            scope.cancel()  # the caller goes; the refresh must not
            with anyio.move_on_after(GUARD):  # bounds the old behaviour only
                await left.wait()
            gone_before_the_answer = left.is_set()
            held.release.set()
        assert gone_before_the_answer
        await auth.join()
        saved = await store.load("s")
        assert saved is not None and saved.refresh_token == "new-refresh-" + "x" * 9
        assert (await auth.token()).access_token == "new-access-" + "x" * 9
        assert held.calls == 1

    anyio.run(main, backend=backend)


async def test_over_real_sockets_a_caller_out_of_time_leaves_during_the_refresh(
    emulator: Emulator,
) -> None:
    from starlette.types import Receive, Scope, Send

    from allegro_async.testing.server import serve

    arrived, release = anyio.Event(), anyio.Event()
    inner = emulator.app

    async def holding(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") == "/auth/oauth/token":
            arrived.set()
            await release.wait()
        await inner(scope, receive, send)

    emulator.app = holding
    async with serve(emulator) as url:
        app = AllegroApp(emulator.client_id, emulator.client_secret, store=MemoryTokenStore(),
                         environment=emulator.environment(url),
                         clock=lambda: _clock(emulator))
        old = _seller_token(emulator, expires_in=10)
        key = await app.add_seller(old)
        async with guarded(release):
            with pytest.raises(RequestTimeoutError):
                await app.seller(key).request("GET", "/me", timeout=0.2)
            assert arrived.is_set() and not release.is_set()  # left with the refresh out
        release.set()
        await app.auth(key).join()
        saved = await app.store.load(key)
        assert saved is not None and saved.refresh_token != old.refresh_token
        assert emulator.stats.route("GET", "/me") == 0
        assert (await app.seller(key).request("GET", "/me"))["id"] == key
        assert _refreshes(emulator) == 1
        await app.aclose()
