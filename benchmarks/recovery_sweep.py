"""One pass of the app's recovery sweep over 10 000 held sellers, on each shared token store:
the batch read it uses (``abandoned_refreshes``, 500 keys per MGET or query) against the
baseline in the same run, one ``abandoned_refresh`` read per seller (8 at once, as the sweep
does for a store without the batch read). 1% of the sellers carry another holder's intent;
both must find exactly those.

Goals: ``<store>_batch_s`` well under the default interval (15 s: the pass is spread over it,
so this is the store time it costs), ``<store>_speedup`` (baseline / batch) >= 10,
``<store>_found_ok`` true.

Run: python benchmarks/recovery_sweep.py [--json] [--sellers 10000] [--stores redis,sqlite,postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
from _common import report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allegro_async.auth.tokens import Token
from allegro_async.stores import fencing

READS = 8  # single reads at once, as allegro_async/auth/_sweep.py does


@contextlib.contextmanager
def _server(kind: str) -> Iterator[str]:
    if kind == "redis":
        from allegro_async.testing.redis_server import run_server

        with run_server("redis") as url:
            yield url
    elif kind == "postgres":
        from allegro_async.testing.postgres_server import run_postgres

        with run_postgres() as dsn:
            yield dsn
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/tokens.db"


def _store(kind: str, url: str) -> Any:
    if kind == "redis":
        from allegro_async.stores.redis_tokens import RedisTokenStore

        return RedisTokenStore(url, prefix="bench:", cipher=None)
    from allegro_async.stores.sql_tokens import SqlTokenStore

    return SqlTokenStore(url, table_prefix="bench_", cipher=None)


async def _measure(kind: str, sellers: int) -> dict[str, Any]:
    keys = [f"seller-{i:06}" for i in range(sellers)]
    flagged = set(keys[::100])
    with _server(kind) as url:
        holder, sweeper = _store(kind, url), _store(kind, url)
        try:
            for key in keys:
                await holder.save(key, Token(f"access-{key}", f"refresh-{key}"))
            for key in flagged:  # another holder's intent, never saved
                async with holder.lock(key):
                    await holder.begin_refresh(key)
            assert fencing.held_fence(sweeper, keys[0]) is None
            started = time.perf_counter()
            found_batch = await sweeper.abandoned_refreshes(keys)
            batch_s = time.perf_counter() - started

            found_single: set[str] = set()
            limiter = anyio.CapacityLimiter(READS)

            async def read(key: str) -> None:
                async with limiter:
                    if await sweeper.abandoned_refresh(key):
                        found_single.add(key)

            started = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for key in keys:
                    tg.start_soon(read, key)
            single_s = time.perf_counter() - started
        finally:
            await holder.aclose()
            await sweeper.aclose()
    return {f"{kind}_batch_s": batch_s, f"{kind}_single_s": single_s,
            f"{kind}_speedup": single_s / batch_s,
            f"{kind}_found_ok": found_batch == found_single == flagged}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--stores", default="redis,sqlite,postgres")
    args = parser.parse_args()
    result: dict[str, Any] = {"sellers": args.sellers}
    goals: dict[str, str] = {}
    for kind in args.stores.split(","):
        result.update(anyio.run(_measure, kind, args.sellers))
        goals[f"{kind}_batch_s"] = "< 15 (the default interval)"
        goals[f"{kind}_speedup"] = ">= 10"
        goals[f"{kind}_found_ok"] = "True"
    report(f"recovery sweep: one pass over {args.sellers} held sellers", result, args.json,
           goals)


if __name__ == "__main__":
    main()
