"""A cursor store after a full disk reopens cleanly, and the seller dependency keeps only
connected sellers in the app's auth cache."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from fastapi import FastAPI

from allegro_async import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.cursors import FileCursorStore
from allegro_async.fastapi import SellerClient, allegro_lifespan, install_error_handlers
from allegro_async.testing import Emulator


class _Disk:
    """A filesystem quota: appends fail with ENOSPC once ``bytes_left`` is spent, writing the
    part that fits (as a real full disk does); closing a handle with unwritten data fails."""

    def __init__(self, bytes_left: int) -> None:
        self.bytes_left = bytes_left


class _QuotaFile:
    def __init__(self, real: IO[Any], disk: _Disk) -> None:
        self._real, self._disk, self._pending = real, disk, False

    def write(self, data: Any) -> int:
        fits = max(0, min(len(data), self._disk.bytes_left))
        if fits:
            self._real.write(data[:fits])
            self._real.flush()
            self._disk.bytes_left -= fits
        if fits < len(data):
            self._pending = True  # a buffered writer would still hold the rest
            raise OSError(errno.ENOSPC, "No space left on device")
        return fits

    def flush(self) -> None:
        if self._pending:
            raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self._real.close()
        if self._pending:
            raise OSError(errno.ENOSPC, "No space left on device")

    @property
    def closed(self) -> bool:
        return bool(self._real.closed)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> _Disk:
    quota = _Disk(bytes_left=10**6)
    real_open = Path.open

    def open_with_quota(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, mode, *args, **kwargs)
        return _QuotaFile(handle, quota) if mode.startswith("a") else handle

    monkeypatch.setattr(Path, "open", open_with_quota)
    return quota


async def test_cursor_store_reopens_after_a_full_disk(tmp_path: Path, disk: _Disk) -> None:
    path = tmp_path / "events.cursor"
    store = FileCursorStore(path)
    await store.commit("e1", ["k1"])
    disk.bytes_left = 5  # the next line lands in part
    with pytest.raises(OSError, match="No space left"):
        await store.commit("e2", ["k2"])
    await store.aclose()  # the restart: no closed handle kept, no error
    disk.bytes_left = 10**6
    await store.commit("e3", ["k3"])  # was "I/O operation on closed file"
    await store.aclose()
    state = await FileCursorStore(path).load()
    assert (state.cursor, state.keys) == ("e3", ["k1", "k3"])
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        ["e1", ["k1"]], ["e3", ["k3"]],
    ]


async def test_cursor_store_close_after_a_failed_write_lets_go_of_the_handle(
    tmp_path: Path, disk: _Disk
) -> None:
    store = FileCursorStore(tmp_path / "events.cursor")
    await store.commit("e1", ["k1"])
    disk.bytes_left = 0
    with pytest.raises(OSError):
        await store.commit("e2", ["k2"])
    try:
        store.close()
    except OSError:
        pass  # a failed close may report the disk; it must not keep the handle
    assert store._handle is None
    assert (await store.load()).cursor == "e1"  # the failed event is not the place


async def test_unknown_sellers_do_not_evict_connected_sellers_auths() -> None:
    emulator = Emulator()
    store = MemoryTokenStore()
    now = emulator.clock.now().timestamp()
    connected = [s.id for s in emulator.sellers[:2]]
    for seller_id in connected:
        pair = emulator.oauth.issue_pair(seller_id)
        await store.save(seller_id, Token.from_response(pair, now=now, environment="custom"))
    allegro = AllegroApp(emulator.client_id, emulator.client_secret, store=store,
                         environment=emulator.environment(), transport=emulator.transport(),
                         max_cached_sellers=2)
    app = FastAPI(lifespan=allegro_lifespan(lambda: allegro))
    install_error_handlers(app)

    @app.get("/sellers/{seller_id}/me")
    async def me(seller: SellerClient) -> dict[str, object]:
        return dict(await seller.request("GET", "/me"))

    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        for seller_id in connected:
            assert (await http.get(f"/sellers/{seller_id}/me")).status_code == 200
        cached = {seller_id: allegro._auths[seller_id] for seller_id in connected}
        for n in range(5):
            assert (await http.get(f"/sellers/stranger-{n}/me")).status_code == 404
        assert dict(allegro._auths) == cached
        loads_before = emulator.oauth.counters.token_requests.copy()
        for seller_id in connected:
            assert (await http.get(f"/sellers/{seller_id}/me")).status_code == 200
        assert emulator.oauth.counters.token_requests == loads_before
