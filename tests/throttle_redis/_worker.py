"""A worker process of the multi-process tests and benchmark: one app process sending
``requests`` GET /me calls from ``tasks`` tasks through its own AllegroClient."""

from __future__ import annotations

import asyncio
import time
from typing import Any


async def _run(base_url: str, tokens: list[str], requests: int, tasks: int,
               throttle_kwargs: dict[str, Any], redis_url: str | None) -> dict[str, Any]:
    from allegro_async import AllegroClient
    from allegro_async.config import Environment
    from allegro_async.errors import RateLimitedError
    from allegro_async.throttle import Throttle, metrics_of
    from allegro_async.throttle.redis import RedisThrottle

    throttle: Throttle
    if redis_url is None:
        throttle = Throttle(**throttle_kwargs)
    else:
        throttle = RedisThrottle(redis_url, **throttle_kwargs)
    env = Environment.custom(api_url=base_url, auth_url=base_url)
    statuses: list[int] = []
    counter = iter(range(requests))
    async with AllegroClient(access_token=tokens[0], environment=env,
                             throttle=throttle) as client:
        views = [client.with_options(access_token=t) for t in tokens]

        async def worker() -> None:
            for i in counter:
                try:
                    response = await views[i % len(views)].request_raw("GET", "/me")
                except RateLimitedError:
                    statuses.append(429)
                    return  # this task gives up; the others go on until they give up too
                statuses.append(response.status_code)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        elapsed = time.perf_counter() - start
        metrics = metrics_of(client).snapshot()
    if isinstance(throttle, RedisThrottle):
        await throttle.aclose()
    return {"elapsed": elapsed, "start": start, "ok": statuses.count(200),
            "statuses": sorted(set(statuses)), "metrics": metrics}


def run(base_url: str, tokens: list[str], requests: int, tasks: int,
        throttle_kwargs: dict[str, Any], redis_url: str | None, ready: Any, go: Any,
        results: Any) -> None:
    """Entry point in the child: signal ready, wait for go, run, put the result."""
    ready.set()
    go.wait()
    results.put(asyncio.run(_run(base_url, tokens, requests, tasks, throttle_kwargs,
                                 redis_url)))
