"""A refreshed pair that the store would not save (an outage) is never dropped: this process's
callers get it at once, the save is tried again under the lock until it lands, and nobody
refreshes the old pair a second time (A5)."""

from __future__ import annotations

import anyio
import pytest

from allegro_async.auth import _save_retry, httpx_auth
from allegro_async.auth.app import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.errors import RequestTimeoutError
from allegro_async.testing import Emulator
from tests.auth.test_refresh import _app, _seller_token

GUARD = 10.0  # seconds: only bounds a test that would otherwise hang


class OutageStore(MemoryTokenStore):
    """A memory store whose ``save`` fails while ``down`` (after the seeding save)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.failed = 0
        self.first_failure = anyio.Event()
        #: After this many failures the store is back (``None``: while ``down``).
        self.up_after: int | None = None

    async def save(self, key: str, token: Token) -> None:
        if self.down and self.up_after is not None and self.failed >= self.up_after:
            self.down = False
        if self.down:
            self.failed += 1
            self.first_failure.set()
            raise ConnectionError("the store is restarting")
        await super().save(key, token)


def _refreshes(emulator: Emulator) -> int:
    return emulator.oauth.counters.token_requests["refresh_token"]


async def _seeded(emulator: Emulator) -> tuple[AllegroApp, OutageStore, str, Token]:
    store = OutageStore()
    app = _app(emulator, store)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    store.down = True
    return app, store, key, old


async def test_callers_get_the_pair_while_its_save_is_retried(emulator: Emulator) -> None:
    app, store, key, old = await _seeded(emulator)
    got: list[Token] = []

    async def call() -> None:
        got.append(await app.auth(key).token())

    with anyio.fail_after(GUARD):
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
        assert store.failed >= 1 and await store.load(key) == old  # not saved yet
        assert {t.access_token for t in got} == {got[0].access_token}
        assert got[0].access_token != old.access_token and len(got) == 5
        store.down = False  # the store is back: the retried save lands
        await app.auth(key).join()
    saved = await store.load(key)
    assert saved is not None and saved.access_token == got[0].access_token
    assert _refreshes(emulator) == 1
    assert (await app.seller(key).request("GET", "/me"))["id"] == key


async def test_a_second_client_waits_for_the_retried_save(emulator: Emulator) -> None:
    app, store, key, old = await _seeded(emulator)
    store.up_after = 3  # the store is back after three failed saves
    other = _app(emulator, store)  # another worker sharing the store and its lock
    got: dict[str, Token] = {}

    async def first() -> None:
        got["first"] = await app.auth(key).token()

    async def second() -> None:
        got["second"] = await other.auth(key).token()

    with anyio.fail_after(GUARD):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await store.first_failure.wait()  # refreshed, not saved: the lock is still held
            tg.start_soon(second)
        await app.auth(key).join()
    assert store.failed == 3
    assert got["second"].access_token == got["first"].access_token != old.access_token
    assert _refreshes(emulator) == 1
    saved = await store.load(key)
    assert saved is not None and saved.access_token == got["first"].access_token


async def test_a_save_that_never_lands_gives_up_within_the_grace(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpx_auth, "SAVE_WINDOW", 0.3)
    app, store, key, old = await _seeded(emulator)
    with anyio.fail_after(GUARD):
        token = await app.auth(key).token()
        await app.auth(key).join()  # every walk ends: the lock is let go
    assert store.failed >= 2 and await store.load(key) == old
    assert token.access_token != old.access_token
    assert await app.auth(key).token() == token  # this process keeps using the new pair
    assert _refreshes(emulator) == 1


async def test_the_next_refresh_uses_the_pair_that_was_never_saved(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpx_auth, "SAVE_WINDOW", 0.3)
    app, store, key, old = await _seeded(emulator)
    with anyio.fail_after(GUARD):
        unsaved = await app.auth(key).token()
        await app.auth(key).join()
    assert await store.load(key) == old  # the store kept the replaced pair
    store.down = False
    emulator.clock.advance(12 * 3600)  # the new pair is due; the old refresh token long dead
    with anyio.fail_after(GUARD):
        renewed = await app.auth(key).token()
    assert renewed.access_token not in (old.access_token, unsaved.access_token)
    assert await store.load(key) == renewed
    assert _refreshes(emulator) == 2


class HungStore(MemoryTokenStore):
    """A memory store whose first save after seeding never answers (a server gone silent)."""

    def __init__(self) -> None:
        super().__init__()
        self.hang_next = False
        self.hung = anyio.Event()

    async def save(self, key: str, token: Token) -> None:
        if self.hang_next:
            self.hang_next = False
            self.hung.set()
            await anyio.sleep_forever()
        await super().save(key, token)


async def test_a_hung_save_bounds_neither_the_caller_nor_the_refresh(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_save_retry, "_ATTEMPT_LIMIT", 0.2)
    store = HungStore()
    app = _app(emulator, store)
    old = _seller_token(emulator, expires_in=10)
    key = await app.add_seller(old)
    store.hang_next = True
    with anyio.fail_after(GUARD):
        with pytest.raises(RequestTimeoutError):
            await app.seller(key).request("GET", "/me", timeout=0.05)
        assert store.hung.is_set() and emulator.stats.route("GET", "/me") == 0
        await app.auth(key).join()  # the hung save was given up and tried again
    saved = await store.load(key)
    assert saved is not None and saved.access_token != old.access_token
    assert (await app.seller(key).request("GET", "/me"))["id"] == key
    assert _refreshes(emulator) == 1
