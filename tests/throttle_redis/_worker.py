"""A worker process of the multi-process tests and benchmark: one app process sending GET /me
from ``tasks`` tasks through its own AllegroClient for ``duration`` seconds after "go",
recording when each response arrived (``time.monotonic``: one clock for every process of the
machine)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
import httpx

# Imported before "ready", so the processes start together when released.
from allegro_async import AllegroClient
from allegro_async.config import Environment
from allegro_async.errors import RateLimitedError
from allegro_async.throttle import Throttle, metrics_of
from allegro_async.throttle.redis import RedisThrottle


class _SendClock(httpx.AsyncBaseTransport):
    """The innermost transport: notes when each request leaves the throttle for the network,
    which is what the throttle controls (response arrival also carries the loaded machine's
    scheduling and the single server thread's queue)."""

    def __init__(self, sent: list[float]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._sent = sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._sent.append(time.monotonic())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _run(base_url: str, tokens: list[str], duration: float, tasks: int,
               throttle_kwargs: dict[str, Any], redis_url: str | None, ready: Any,
               go: Any) -> dict[str, Any]:
    throttle: Throttle
    if redis_url is None:
        throttle = Throttle(**throttle_kwargs)
    else:
        throttle = RedisThrottle(redis_url, **throttle_kwargs)
    env = Environment.custom(api_url=base_url, auth_url=base_url)
    ok: list[float] = []  # monotonic arrival time of each 200
    sent: list[float] = []  # monotonic time each request went to the network
    others: list[int] = []
    async with AllegroClient(access_token=tokens[0], environment=env,
                             throttle=throttle, transport=_SendClock(sent)) as client:
        views = [client.with_options(access_token=t) for t in tokens]

        async def worker(n: int) -> None:
            view = views[n % len(views)]
            while True:
                try:
                    response = await view.request_raw("GET", "/me")
                except RateLimitedError:
                    others.append(429)
                    continue
                if response.status_code == 200:
                    ok.append(time.monotonic())
                else:
                    others.append(response.status_code)

        # Everything is built (and imported) before "ready": released together, the
        # processes start sending together.
        ready.set()
        await anyio.to_thread.run_sync(go.wait)
        start = time.monotonic()
        with anyio.move_on_after(duration):
            async with anyio.create_task_group() as tg:
                for n in range(tasks):
                    tg.start_soon(worker, n)
        metrics = metrics_of(client).snapshot()
    shared: dict[str, int] = {}
    if isinstance(throttle, RedisThrottle):
        s = throttle.shared
        shared = {"calls": s.calls, "grants": s.grants, "outages": s.outages,
                  "errors": s.errors}
        await throttle.aclose()
    return {"start": start, "ok": ok, "sent": sent, "others": others, "metrics": metrics,
            "shared": shared}


def run(base_url: str, tokens: list[str], duration: float, tasks: int,
        throttle_kwargs: dict[str, Any], redis_url: str | None, ready: Any, go: Any,
        results: Any) -> None:
    """Entry point in the child: build the client, signal ready, wait for go, run, put the
    result."""
    results.put(asyncio.run(_run(base_url, tokens, duration, tasks, throttle_kwargs,
                                 redis_url, ready, go)))
