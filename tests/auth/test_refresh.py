"""RefreshingAuth: ahead of expiry, after a 401, single flight, shared stores (A5)."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import FileTokenStore, MemoryTokenStore, Token
from allegro_async.errors import SellerNotConnectedError
from allegro_async.testing import Emulator

ROUTE = ("POST", "/auth/oauth/token")


def _clock(emulator: Emulator) -> float:
    return emulator.clock.now().timestamp()


def _app(emulator: Emulator, store: object, **kwargs: object) -> AllegroApp:
    return AllegroApp(
        emulator.client_id, emulator.client_secret, store=store,  # type: ignore[arg-type]
        environment=emulator.environment(), transport=emulator.transport(),
        clock=lambda: _clock(emulator), **kwargs,  # type: ignore[arg-type]
    )


def _seller_token(emulator: Emulator, seller: int = 0, *, expires_in: float = 43199) -> Token:
    """A 12-hour token (A5) with ``expires_in`` seconds left."""
    pair = emulator.oauth.issue_pair(emulator.sellers[seller].id)
    pair["expires_in"] = expires_in
    token = Token.from_response(pair, now=_clock(emulator), environment="custom")
    assert token.expires_at is not None
    return replace(token, issued_at=token.expires_at - 12 * 3600)


async def test_refresh_ahead_of_expiry_margin(emulator: Emulator) -> None:
    store = MemoryTokenStore()
    app = _app(emulator, store, refresh_margin=600)
    key = await app.add_seller(_seller_token(emulator, expires_in=500))
    me = await app.seller(key).request("GET", "/me")
    assert me["id"] == key
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    saved = await store.load(key)
    assert saved is not None and not saved.expires_within(600, now=_clock(emulator))


async def test_refresh_once_after_401_for_expired_token(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    key = await app.add_seller(_seller_token(emulator))
    emulator.clock.advance(13 * 3600)  # the emulator thinks it expired; our clock does not
    app._clock = lambda: 0.0
    app.auth(key)._clock = lambda: 0.0
    me = await app.seller(key).request("GET", "/me")
    assert me["id"] == key
    assert emulator.stats.by_status[401] == 1
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1


@pytest.mark.parametrize("path", ["ahead", "after_401"])
async def test_200_concurrent_requests_cause_exactly_one_refresh(
    emulator: Emulator, path: str
) -> None:
    app = _app(emulator, MemoryTokenStore())
    key = await app.add_seller(_seller_token(emulator, expires_in=10 if path == "ahead" else 43199))
    if path == "after_401":
        emulator.clock.advance(13 * 3600)
        app.auth(key)._clock = lambda: 0.0
    client = app.seller(key)
    results: list[str] = []

    async def one() -> None:
        results.append((await client.request("GET", "/me"))["id"])

    async with anyio.create_task_group() as tg:
        for _ in range(200):
            tg.start_soon(one)
    assert results == [key] * 200
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert emulator.stats.route(*ROUTE) == 1


async def test_two_clients_sharing_a_file_store_refresh_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    first = _app(emulator, FileTokenStore(path))
    key = await first.add_seller(_seller_token(emulator, expires_in=10))
    second = _app(emulator, FileTokenStore(path))
    results: list[str] = []

    async def call(app: AllegroApp) -> None:
        results.append((await app.seller(key).request("GET", "/me"))["id"])

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(call, first)
            tg.start_soon(call, second)
    assert results == [key] * 40
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    assert not any(k.endswith("invalid_grant") for k in emulator.oauth.counters.token_errors)
    # The refresh by one is what the other uses: both hold the pair in the file.
    saved = await FileTokenStore(path).load(key)
    assert saved is not None
    assert first.auth(key)._token == second.auth(key)._token == saved


async def test_file_store_is_0600_and_atomic(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "sub" / "tokens.json")
    token = Token("a.b.c", "refresh-123456", expires_at=1.0, scope=("x",))
    await store.save("42", token)
    await store.save("43", token)
    mode = stat.S_IMODE((tmp_path / "sub" / "tokens.json").stat().st_mode)
    assert mode == 0o600
    assert await store.load("42") == token and await store.load("43") == token
    assert [p.name for p in (tmp_path / "sub").iterdir() if p.name.startswith(".")] == []


async def test_unknown_key_is_a_clear_error(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    with pytest.raises(SellerNotConnectedError, match="no token"):
        await app.seller("999").request("GET", "/me")
    assert emulator.stats.requests == 0


async def test_one_app_serves_two_sellers(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    a = await app.add_seller(_seller_token(emulator, 0))
    b = await app.add_seller(_seller_token(emulator, 1))
    ids = [(await app.seller(k).request("GET", "/me"))["id"] for k in (a, b)]
    assert ids == [emulator.sellers[0].id, emulator.sellers[1].id]
    assert app.seller(a).http_client is app.seller(b).http_client  # one pool


async def test_margin_longer_than_lifetime_does_not_refresh_every_request(
    emulator: Emulator,
) -> None:
    # Tokens of 10 minutes with a 1-hour margin: uncapped, every fresh token would look stale
    # and every request would refresh (a storm against the per-user token limit, A2).
    emulator.tokens.access_ttl = 601.0
    store = MemoryTokenStore()
    app = _app(emulator, store, refresh_margin=3600)
    pair = emulator.oauth.issue_pair(emulator.sellers[0].id)
    key = await app.add_seller(Token.from_response(pair, now=_clock(emulator)))
    client = app.seller(key)
    for _ in range(5):
        await client.request("GET", "/me")
    assert emulator.oauth.counters.token_requests["refresh_token"] == 0
    emulator.clock.advance(400)  # past half the lifetime: refresh once, then use the new one
    for _ in range(5):
        await client.request("GET", "/me")
    assert emulator.oauth.counters.token_requests["refresh_token"] == 1
    saved = await store.load(key)
    assert saved is not None and saved.lifetime == 600 and saved.refresh_margin(3600) == 300


def test_refresh_margin_is_capped_at_half_the_lifetime() -> None:
    token = Token("a.b.c", "r-123456", expires_at=1000.0, issued_at=400.0)
    assert token.refresh_margin(60) == 60
    assert token.refresh_margin(3600) == 300
    assert Token("a.b.c", expires_at=1000.0).refresh_margin(3600) == 3600  # lifetime unknown
    assert Token.from_json(token.to_json()) == token


async def test_two_sellers_refresh_concurrently_without_waiting_on_each_other(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Seller A's refresh cannot finish until seller B's has: with one lock for the whole file
    # (the old FileTokenStore) B waits for A, A waits for B, and fail_after ends the test.
    path = tmp_path / "tokens.json"
    b_done = anyio.Event()
    flows = _app(emulator, MemoryTokenStore()).flows

    class Refresher:
        async def refresh(self, refresh_token: str) -> Token:
            new = await flows.refresh(refresh_token)
            if new.user_name == emulator.sellers[0].id:
                await b_done.wait()  # a slow refresh for seller A
            else:
                b_done.set()
            return new

    keys = [emulator.sellers[0].id, emulator.sellers[1].id]
    auths = []
    for seller, key in enumerate(keys):
        store = FileTokenStore(path)  # one store each, as two processes would have
        await store.save(key, _seller_token(emulator, seller, expires_in=10))
        auths.append(RefreshingAuth(store, key, Refresher(), clock=lambda: _clock(emulator)))
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for auth in auths:
                tg.start_soon(auth.token)
    assert [a.refreshes for a in auths] == [1, 1]
    for key in keys:
        saved = await FileTokenStore(path).load(key)
        assert saved is not None and not saved.expires_within(300, now=_clock(emulator))


async def test_many_concurrent_saves_lose_nothing_and_do_not_exhaust_threads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    stores = [FileTokenStore(path) for _ in range(3)]
    holder = FileTokenStore(path)
    with anyio.fail_after(20):
        async with holder.lock("busy-seller"), anyio.create_task_group() as tg:
            for i in range(120):  # more than anyio's 40 worker threads
                token = Token(f"a.b.{i}", f"refresh-{i:06d}", expires_at=float(i))
                tg.start_soon(stores[i % 3].save, f"seller-{i}", token)
            # the holder's own save goes through while 120 others queue
            await holder.save("busy-seller", Token("a.b.c", "refresh-busy", expires_at=1.0))
    everything = FileTokenStore(path)._read_all()
    assert sorted(everything) == sorted([f"seller-{i}" for i in range(120)] + ["busy-seller"])


class _SlowRefresher:
    """Rotates the pair at once (as Allegro does on receipt) and answers when released."""

    def __init__(self) -> None:
        self.rotated = anyio.Event()
        self.release = anyio.Event()

    async def refresh(self, refresh_token: str) -> Token:
        self.rotated.set()  # the server has rotated: the old refresh token is now dying (A5)
        await self.release.wait()
        return Token("new-access-" + "y" * 16, "new-refresh-" + "y" * 16,
                     expires_at=50_000.0, issued_at=1_000.0)


async def test_cancelled_caller_does_not_lose_the_rotated_pair() -> None:
    old = Token("old-access-" + "x" * 16, "old-refresh-" + "x" * 16,
                expires_at=900.0, issued_at=0.0)
    store = MemoryTokenStore({"seller": old})
    refresher = _SlowRefresher()
    auth = RefreshingAuth(store, "seller", refresher, clock=lambda: 1_000.0)
    scope = anyio.CancelScope()

    async def caller() -> None:
        with scope:
            await auth.token()

    async with anyio.create_task_group() as tg:
        tg.start_soon(caller)
        await refresher.rotated.wait()
        scope.cancel()  # e.g. the request's timeout fires mid-refresh
        refresher.release.set()
    saved = await store.load("seller")
    assert saved is not None and saved.access_token.startswith("new-access-")
    assert auth.refreshes == 1
