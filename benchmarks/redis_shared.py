"""Several app processes share the time-scaled S1 limit through Redis (RedisThrottle), against
one emulator served over uvicorn; baseline in the same run: each process with its own in-process
Throttle at the full rate (``unshared_429s``: together they overrun and get blocked).

Needs a redis-server binary (started here on a free loopback port, without persistence).
Goal: 0 ``responses_429``, ``ratio`` (achieved / limit, the initial burst included) >= 0.9.
Run: python benchmarks/redis_shared.py [--json] (PROCESSES below: 3).
"""

from __future__ import annotations

import multiprocessing
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import parse_args, report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.server import serve_in_thread
from tests.throttle_redis import _worker

SCALE = 0.5                      # 9000/min becomes 75 requests per real second (2 cores)
PROCESSES, REQUESTS, TASKS = 3, 200, 50
LIMIT_PER_S = 9000 / 60 * SCALE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(workdir: str) -> tuple[subprocess.Popen[str], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Ready to accept connections" in line:
            return proc, f"redis://127.0.0.1:{port}/0"
    raise SystemExit("redis-server did not start")


def run(redis_url: str | None, kwargs: dict[str, Any]) -> tuple[float, int, int, float]:
    """All processes against a fresh emulator: (achieved/s, 429s, requests during blocks,
    requests / (burst + limit * elapsed), which stays <= 1 when the shared limit holds)."""
    emulator = Emulator(EmulatorConfig(time_scale=SCALE, sellers=2 * PROCESSES))
    ctx = multiprocessing.get_context("spawn")
    with serve_in_thread(emulator) as base_url:
        go, results = ctx.Event(), ctx.Queue()
        procs, readies = [], []
        for p in range(PROCESSES):
            ready = ctx.Event()
            tokens = [emulator.mint_token(2 * p), emulator.mint_token(2 * p + 1)]
            proc = ctx.Process(target=_worker.run, args=(base_url, tokens, REQUESTS, TASKS,
                                                         kwargs, redis_url, ready, go, results))
            proc.start()
            procs.append(proc)
            readies.append(ready)
        for ready in readies:
            ready.wait(timeout=60)
        go.set()
        out = [results.get(timeout=300) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
    start = min(o["start"] for o in out)
    end = max(o["start"] + o["elapsed"] for o in out)
    total = PROCESSES * REQUESTS
    return (total / (end - start), emulator.stats.responses_429,
            emulator.stats.requests_during_block,
            total / (kwargs["burst"] + LIMIT_PER_S * (end - start)))


def main() -> None:
    args = parse_args(__doc__)
    full = {"rate": LIMIT_PER_S * 60, "per": 60, "burst": 100}
    # The baseline gives up on its first 429 (the emulator then blocks for 30 real seconds).
    unshared = {**full, "block_seconds": 0.5, "retry_429_for": 0}
    with tempfile.TemporaryDirectory() as workdir:
        redis, url = start_redis(workdir)
        try:
            started = time.perf_counter()
            achieved, r429, during, ceiling = run(url, {**full, "client_id": "bench",
                                               "processes": PROCESSES})
            shared_s = time.perf_counter() - started
            _, base_429, _, _ = run(None, unshared)
        finally:
            redis.terminate()
            redis.wait(timeout=10)
    result = {
        "processes": PROCESSES,
        "limit_per_s": LIMIT_PER_S,
        "achieved_per_s": round(achieved, 1),
        "ratio": round(achieved / LIMIT_PER_S, 4),
        "responses_429": r429,
        "requests_during_block": during,
        "of_burst_plus_rate_t": round(ceiling, 4),
        "shared_run_s": round(shared_s, 2),
        "unshared_429s": base_429,
    }
    report(f"{PROCESSES} processes x {REQUESTS} requests sharing the time-scaled S1 limit",
           result, args.json, {"ratio": ">= 0.9 (burst of 100 included)",
                               "responses_429": "0", "of_burst_plus_rate_t": "<= 1",
                               "unshared_429s": "> 0 (baseline)"})


if __name__ == "__main__":
    main()
