"""A seller's lifecycle: stores list and delete keys, the app lists, checks and removes its
sellers, keeps a bounded number of per-seller auths, and says in a typed error when a seller
has to authorize (again)."""

from __future__ import annotations

import pickle
import secrets
import tracemalloc
from pathlib import Path

import anyio
import pytest
from anyio.lowlevel import checkpoint

from allegro_async.auth.tokens import (
    FileTokenStore,
    ListableTokenStore,
    MemoryTokenStore,
    Token,
)
from allegro_async.errors import (
    AuthorizationRequiredError,
    BadRequestError,
    InvalidArgumentError,
    ReauthorizationRequiredError,
    SellerNotConnectedError,
)
from allegro_async.testing import Emulator
from tests.auth.test_refresh import _app, _seller_token


def _token(n: int) -> Token:
    return Token(f"a.b.{n}", f"refresh-{n:06d}", expires_at=float(n))


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ListableTokenStore:
    return MemoryTokenStore() if request.param == "memory" else FileTokenStore(
        tmp_path / "tokens.json")


async def test_stores_list_and_delete_keys(store: ListableTokenStore) -> None:
    assert isinstance(store, ListableTokenStore) and await store.keys() == []
    for n, key in enumerate(["b", "c", "a"]):
        await store.save(key, _token(n))
    assert await store.keys() == ["a", "b", "c"]
    assert await store.delete("b") is True
    assert await store.delete("b") is False
    assert await store.keys() == ["a", "c"]
    assert await store.load("b") is None and await store.load("a") == _token(2)


async def test_delete_waits_for_a_refresh_in_flight(store: ListableTokenStore) -> None:
    await store.save("seller", _token(1))
    deleted: list[bool] = []
    holding = store.lock("seller")  # type: ignore[attr-defined]  # as a refresh does
    async with anyio.create_task_group() as tg, holding:
        tg.start_soon(lambda: _delete_into(store, deleted))
        for _ in range(20):
            await checkpoint()
        assert deleted == []
        await store.save("seller", _token(2))  # the refresh saves its pair
    assert deleted == [True] and await store.load("seller") is None  # not brought back


async def _delete_into(store: ListableTokenStore, out: list[bool]) -> None:
    out.append(await store.delete("seller"))


async def test_app_lists_checks_and_removes_sellers(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    a = await app.add_seller(_seller_token(emulator, 0))
    b = await app.add_seller(_seller_token(emulator, 1))
    assert await app.sellers() == sorted([a, b])
    assert await app.has_seller(a) and not await app.has_seller("999")
    view = app.seller(a)
    assert (await view.request("GET", "/me"))["id"] == a
    assert await app.remove_seller(a) is True and await app.remove_seller(a) is False
    assert await app.sellers() == [b]
    sent = emulator.stats.requests
    with pytest.raises(SellerNotConnectedError) as info:
        await view.request("GET", "/me")  # a view made before the removal
    assert info.value.seller_id == a and "log the seller in again" in info.value.hint
    assert emulator.stats.requests == sent  # refused before sending


async def test_a_store_without_listing_is_a_clear_error(emulator: Emulator) -> None:
    class LoadSaveOnly:
        async def load(self, key: str) -> Token | None:
            return None

        async def save(self, key: str, token: Token) -> None:
            return None

    app = _app(emulator, LoadSaveOnly())
    assert not await app.has_seller("1")
    with pytest.raises(InvalidArgumentError) as info:
        await app.sellers()
    assert info.value.field == "store" and "keys()" in info.value.fix


def test_auth_cache_is_bounded_and_keeps_the_recently_used(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore(), max_cached_sellers=100)
    kept = app.auth("regular")
    ids = [secrets.token_hex(8) for _ in range(50_000)]
    tracemalloc.start()
    try:
        for n, seller in enumerate(ids):
            app.auth(seller)
            if n % 50 == 0:
                assert app.auth("regular") is kept  # used often: never evicted
            if n == 5_000:
                early = tracemalloc.get_traced_memory()[0]
        late = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(app._auths) == 100 and ids[0] not in app._auths and ids[-1] in app._auths
    assert late - early < 256 * 1024  # 45 000 more sellers seen, no more memory held
    default = _app(emulator, MemoryTokenStore())
    for seller in ids[:2_000]:
        default.auth(seller)
    assert len(default._auths) == default.max_cached_sellers == 1024
    with pytest.raises(InvalidArgumentError, match="max_cached_sellers"):
        _app(emulator, MemoryTokenStore(), max_cached_sellers=0)


async def test_a_dead_refresh_token_asks_for_reauthorization(emulator: Emulator) -> None:
    app = _app(emulator, MemoryTokenStore())
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    await app.flows.refresh(str(old.refresh_token))  # refreshed by a worker not sharing the store
    emulator.clock.advance(61)  # past A5's grace
    with pytest.raises(ReauthorizationRequiredError) as info:
        await app.seller(key).request("GET", "/me")
    error = info.value
    assert isinstance(error, AuthorizationRequiredError)
    assert not isinstance(error, InvalidArgumentError)
    assert error.seller_id == key and error.hint.startswith("a refresh token lives 3 months")
    assert isinstance(error.__cause__, BadRequestError)
    assert error.__cause__.oauth_error == "invalid_grant"
    assert emulator.oauth.counters.token_errors["refresh_token:invalid_grant"] == 1
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.seller_id, copy.hint, str(copy)) == (key, error.hint, str(error))
    assert str(old.refresh_token) not in str(error) + repr(error)
    assert issubclass(SellerNotConnectedError, AuthorizationRequiredError)
    assert not issubclass(SellerNotConnectedError, InvalidArgumentError)
