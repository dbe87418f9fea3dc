"""One worker process of ``benchmarks/fleet.py``: an app on the shared Redis token store, its
share of the sellers' order journals by leases in Redis, cursors in PostgreSQL, polls through a
scheduler and the shared :class:`~allegro_async.throttle.redis.RedisThrottle`.

Each handled event is appended, with ``fsync``, to the host's own file ``handled-<worker>.log``
as ``seller event-id wall-time worker``. When the file ``arm-<worker>`` exists in the host folder,
the next event's handler writes ``blocked-<worker>`` (seller and event id) and stops the process
(SIGSTOP) without recording it: the run then kills it with SIGKILL while it handles that event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WorkerConfig:
    """What one worker needs (picklable, for a spawned process)."""

    worker_id: str
    folder: str
    base_url: str
    client_id: str
    client_secret: str
    redis_url: str
    database_url: str
    sellers: list[str]
    workers: int
    ttl: float
    renew_every: float
    max_interval: float
    refresh_margin: float


async def _main(config: WorkerConfig) -> None:
    import anyio
    from sqlalchemy.ext.asyncio import create_async_engine

    from allegro_async import AllegroApp
    from allegro_async.config import Environment
    from allegro_async.fleet import FleetConsumers, RedisLeases
    from allegro_async.scheduler import PollScheduler
    from allegro_async.services.events import EventDelivery
    from allegro_async.stores.redis_tokens import RedisTokenStore
    from allegro_async.stores.sql_cursors import SqlCursorStore
    from allegro_async.throttle.redis import RedisThrottle

    folder = Path(config.folder)
    fd = os.open(folder / f"handled-{config.worker_id}.log",
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    arm = folder / f"arm-{config.worker_id}"

    async def handle(seller_id: str, delivery: EventDelivery) -> None:
        event_id = str(delivery.raw.get("id"))
        if arm.exists():
            arm.unlink()
            blocked = folder / f"blocked-{config.worker_id}"
            blocked.write_text(json.dumps({"seller": seller_id, "event": event_id}))
            # The process hangs here (as in a stuck call) until the run kills it: the event
            # stays unrecorded and no other consumer of this process moves on meanwhile.
            os.kill(os.getpid(), signal.SIGSTOP)
            await anyio.sleep_forever()
        os.write(fd, f"{seller_id} {event_id} {time.time():.3f} {config.worker_id}\n".encode())
        os.fsync(fd)

    engine = create_async_engine(config.database_url, pool_pre_ping=True,
                                 hide_parameters=True, pool_size=5)
    store = RedisTokenStore(config.redis_url, lock_ttl=20, cipher=None)
    throttle = RedisThrottle(config.redis_url, client_id=config.client_id,
                             processes=config.workers)
    app = AllegroApp(config.client_id, config.client_secret, store=store,
                     environment=Environment.custom(api_url=config.base_url,
                                                    auth_url=config.base_url),
                     throttle=throttle,
                     refresh_margin=config.refresh_margin,
                     max_cached_sellers=len(config.sellers))
    leases = RedisLeases(config.redis_url, prefix="fleet-bench")
    scheduler = PollScheduler(active_interval=5.0, max_interval=config.max_interval,
                              active_max_interval=config.max_interval, park_after=5.0)

    def cursors(seller_id: str) -> Any:
        return SqlCursorStore(engine, f"order-events:{seller_id}")

    async with app, FleetConsumers(app, handle, leases=leases, worker_id=config.worker_id,
                                   sellers=config.sellers, cursor_stores=cursors,
                                   scheduler=scheduler, ttl=config.ttl,
                                   renew_every=config.renew_every, start="beginning"):
        await anyio.sleep_forever()


def run(config: WorkerConfig) -> None:
    """The process's entry point; it runs until terminated or killed."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_main(config))
