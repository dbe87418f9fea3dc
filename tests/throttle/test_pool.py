"""Clients built with one Throttle share its connection pool as well as its buckets."""

from __future__ import annotations

import httpx
import respx

from allegro_async import AllegroClient
from allegro_async.throttle import Throttle


def pool_of(client: AllegroClient) -> object:
    throttled = client.transport.inner  # type: ignore[attr-defined]  # retry -> throttle
    return throttled.inner.transport  # the PoolHandle's shared transport


@respx.mock
async def test_two_clients_with_one_throttle_share_one_pool_until_both_close() -> None:
    route = respx.get("https://api.allegro.pl/me").respond(200, json={"id": "1"})
    throttle = Throttle()
    a = AllegroClient("token-a", throttle=throttle)
    b = AllegroClient("token-b", throttle=throttle)
    assert not throttle.pool.is_open  # building a client builds no network transport
    first = pool_of(a)  # made on first use
    assert isinstance(first, httpx.AsyncHTTPTransport)
    assert pool_of(a) is pool_of(b)
    assert throttle.pool.users == 2
    await a.request("GET", "/me")
    await a.aclose()
    assert throttle.pool.users == 1
    assert await b.request("GET", "/me") == {"id": "1"}  # the pool is still open for b
    await b.aclose()
    assert throttle.pool.users == 0
    assert route.call_count == 2
    assert not throttle.pool.is_open  # the last close closed it
    async with AllegroClient("token-c", throttle=throttle) as c:  # a fresh pool
        assert pool_of(c) is not first


async def test_a_client_with_its_own_transport_keeps_it() -> None:
    own = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    throttle = Throttle()
    async with AllegroClient("t", throttle=throttle, transport=own) as client:
        assert client.transport.inner.inner is own  # type: ignore[attr-defined]
    assert throttle.pool.users == 0
