"""Onboarding across workers: the pending flow in a shared store (a callback may land on any
worker), bound to the browser that started it, and never evicted by anonymous /connect calls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request

from allegro_async import AllegroApp
from allegro_async.auth.tokens import MemoryTokenStore
from allegro_async.fastapi import (
    PendingAuthorizations,
    RedisPendingAuthorizations,
    allegro_lifespan,
    install_error_handlers,
    onboarding_router,
)
from allegro_async.fastapi.onboarding import BINDING_COOKIE
from allegro_async.testing import Emulator

pytestmark = pytest.mark.stores

Pending = Callable[..., Any]


@pytest.fixture(params=["memory", "redis", "postgres", "sqlite"])
async def pending(request: pytest.FixtureRequest) -> AsyncIterator[Pending]:
    """Makes pending stores: for Redis, every call a new instance (another worker) on one
    server; in memory, one store (one process)."""
    if request.param == "memory":
        shared: list[PendingAuthorizations] = []

        def memory(**options: Any) -> PendingAuthorizations:
            if not shared:
                shared.append(PendingAuthorizations(**options))
            return shared[0]

        yield memory
        return
    made: list[Any] = []
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_url"), f"p{id(request)}:"

        def redis(**options: Any) -> RedisPendingAuthorizations:
            made.append(RedisPendingAuthorizations(url, prefix=prefix, **options))
            return made[-1]

        yield redis
    else:
        from allegro_async.stores.sql_pending import SqlPendingAuthorizations

        url = (request.getfixturevalue("allegro_postgres").dsn if request.param == "postgres"
               else f"sqlite:///{request.getfixturevalue('tmp_path') / 'pending.db'}")
        table_prefix = f"p{id(request)}_"

        def sql(**options: Any) -> SqlPendingAuthorizations:
            made.append(SqlPendingAuthorizations(url, table_prefix=table_prefix, **options))
            return made[-1]

        yield sql
    for store in made:
        await store.aclose()


def worker(emulator: Emulator, store: MemoryTokenStore, pending: Any) -> FastAPI:
    """One web worker: its own AllegroApp, the shared token store and pending store."""
    def allegro() -> AllegroApp:
        return AllegroApp(
            emulator.client_id, emulator.client_secret, store=store,
            environment=emulator.environment(), transport=emulator.transport(),
            clock=lambda: emulator.clock.now().timestamp(),
            redirect_uri=emulator.config.redirect_uris[0])

    def by_header(request: Request) -> str:  # stands in for the client's IP
        return request.headers.get("x-client", "browser")

    app = FastAPI(lifespan=allegro_lifespan(allegro))
    install_error_handlers(app)
    app.include_router(onboarding_router(pending=pending, client_key=by_header,
                                         start_consumer=False))
    return app


async def _open(stack: AsyncExitStack, app: FastAPI) -> httpx.AsyncClient:
    await stack.enter_async_context(app.router.lifespan_context(app))
    return await stack.enter_async_context(httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://backend"))


async def _approve(emulator: Emulator, authorize_url: str) -> str:
    """Allegro's page (the emulator approves at once): the callback's query string."""
    async with httpx.AsyncClient(transport=emulator.transport()) as page:
        answer = await page.get(authorize_url)
    return urlsplit(answer.headers["location"]).query


async def test_callback_lands_on_another_worker(emulator: Emulator, pending: Pending) -> None:
    tokens = MemoryTokenStore()
    async with AsyncExitStack() as stack:
        first = await _open(stack, worker(emulator, tokens, pending()))
        second = await _open(stack, worker(emulator, tokens, pending()))
        emulator.oauth.approve_as(1)
        connect = await first.get("/allegro/connect")
        assert connect.status_code == 302
        cookie = connect.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        query = await _approve(emulator, connect.headers["location"])
        second.cookies.set(BINDING_COOKIE, connect.cookies[BINDING_COOKIE])  # the same browser
        callback = await second.get(f"/allegro/callback?{query}")
    assert callback.status_code == 200, callback.text
    assert callback.json() == {"seller_id": emulator.sellers[1].id, "connected": True}
    assert await tokens.load(emulator.sellers[1].id) is not None


@pytest.mark.parametrize("cookie", [None, "x" * 43])
async def test_callback_in_another_browser_is_refused(emulator: Emulator, pending: Pending,
                                                      cookie: str | None) -> None:
    tokens = MemoryTokenStore()
    async with AsyncExitStack() as stack:
        attacker = await _open(stack, worker(emulator, tokens, pending()))
        connect = await attacker.get("/allegro/connect")
        query = await _approve(emulator, connect.headers["location"])
        victim = await _open(stack, worker(emulator, tokens, pending()))
        if cookie is not None:
            victim.cookies.set(BINDING_COOKIE, cookie)
        callback = await victim.get(f"/allegro/callback?{query}")
        assert callback.status_code == 400
        assert callback.json()["error"] == "authorization_failed"
        assert "not started in this browser" in callback.json()["message"]
        # and the flow is spent: the sender cannot finish it later either
        again = await attacker.get(f"/allegro/callback?{query}")
        assert again.status_code == 400
    assert emulator.oauth.counters.token_requests["authorization_code"] == 0
    assert await tokens.keys() == []


async def test_anonymous_connects_cannot_evict_a_sellers_flow(emulator: Emulator,
                                                              pending: Pending) -> None:
    tokens = MemoryTokenStore()
    async with AsyncExitStack() as stack:
        web = await _open(stack, worker(emulator, tokens,
                                        pending(max_pending=6, max_per_client=3)))
        emulator.oauth.approve_as(0)
        seller = await web.get("/allegro/connect")  # a real seller, first
        binding = seller.cookies[BINDING_COOKIE]
        web.cookies.clear()  # the bots come without it
        statuses = [(await web.get("/allegro/connect", headers={"x-client": "bot"})).status_code
                    for _ in range(5)]
        assert statuses == [302, 302, 302, 429, 429]
        flood = [await web.get("/allegro/connect", headers={"x-client": f"bot-{n}"})
                 for n in range(4)]
        assert [r.status_code for r in flood] == [302, 302, 503, 503]
        assert int(flood[-1].headers["retry-after"]) >= 1
        assert flood[-1].json()["error"] == "too_many_pending_authorizations"
        query = await _approve(emulator, seller.headers["location"])
        web.cookies.clear()
        web.cookies.set(BINDING_COOKIE, binding)
        callback = await web.get(f"/allegro/callback?{query}")
    assert callback.status_code == 200, callback.text
    assert await tokens.keys() == [emulator.sellers[0].id]


async def test_memory_flows_expire_after_their_ttl() -> None:
    from allegro_async.fastapi.pending import PendingFlow

    now = [0.0]
    store = PendingAuthorizations(ttl=60, max_pending=1, clock=lambda: now[0])
    await store.put(PendingFlow("s1", "v1", "", "b"), client="c")
    now[0] = 61.0
    assert await store.take("s1") is None
    await store.put(PendingFlow("s2", "v2", "", "b"), client="c")  # room again once expired
    assert (await store.take("s2")) == PendingFlow("s2", "v2", "", "b")
    assert await store.take("s2") is None  # once
    assert "s2" not in repr(PendingFlow("s2", "v2", "", "b"))


def test_router_refuses_a_pending_store_without_put_and_take() -> None:
    from allegro_async.errors import InvalidArgumentError

    class OldStyle:
        ttl = 600.0

        def add(self, request: object) -> None: ...

    with pytest.raises(InvalidArgumentError, match="pending"):
        onboarding_router(pending=OldStyle())  # type: ignore[arg-type]
