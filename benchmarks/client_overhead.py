"""Client-process CPU per request: the full AllegroClient stack vs raw httpx, same server.

The emulator runs under uvicorn in another process on loopback (its limits off), so only the
client's CPU is counted (``time.process_time`` of this process). Client limits are set high
enough never to wait; the app-wide in-flight cap stays on. Each side is measured ``RUNS``
times, alternating, and the best run counts (the machine's load only ever adds CPU). Keys:
``ratio_c1`` (1 caller; goal <= 1.1) and ``ratio_c100`` (100 callers; goal <= 0.85). Exits
with status 1 when a goal is missed. Run: python benchmarks/client_overhead.py [--json].
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from _common import checkout_env, parse_args, report

from allegro_async import AllegroClient
from allegro_async.config import Environment
from allegro_async.throttle import Throttle

SERVER = (
    "from allegro_async.testing.server import run_cli\n"
    "from allegro_async.testing.emulator.limits import LimitsConfig\n"
    "run_cli(port=0, limits=LimitsConfig(enabled=False))\n"
)
ACCEPT = "application/vnd.allegro.public.v1+json"
ROUNDS = {1: 100, 100: 300}
IN_FLIGHT = 8
RUNS = 8
#: The most each ratio may be (ours / raw).
GOALS = {"ratio_c1": 1.1, "ratio_c100": 0.85}


def start_server() -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True,
                            env=checkout_env())
    url = token = ""
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (url and token):
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("url: "):
            url = line.split(": ", 1)[1].strip()
        elif line.startswith("token "):
            token = line.split(": ", 1)[1].strip()
    if not (url and token):
        proc.terminate()
        raise SystemExit("the emulator server did not start")
    return proc, url, token


async def cpu_per_request(call: Callable[[], Awaitable[object]], callers: int, n: int) -> float:
    """Client CPU microseconds per request with ``callers`` tasks in flight."""
    for _ in range(20):
        await call()  # warm the pool and caches
    remaining = iter(range(n))

    async def worker() -> None:
        for _ in remaining:
            await call()

    cpu = time.process_time()
    await asyncio.gather(*(worker() for _ in range(callers)))
    return (time.process_time() - cpu) / n * 1e6


async def measure(url: str, token: str) -> dict[str, float]:
    result: dict[str, float] = {}
    for callers, n in ROUNDS.items():
        raw_runs, ours_runs = [], []
        for _ in range(RUNS):
            headers = {"Accept": ACCEPT, "Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=url, headers=headers) as raw:
                raw_runs.append(await cpu_per_request(lambda: raw.get("/me"), callers, n))
            throttle = Throttle(rate=1e9, burst=1e9, user_parallel=10_000,
                                max_in_flight=IN_FLIGHT)
            env = Environment.custom(api_url=url, auth_url=url)
            async with AllegroClient(token, environment=env, throttle=throttle) as client:
                ours_runs.append(await cpu_per_request(
                    lambda: client.request("GET", "/me"), callers, n))
        raw_us, ours_us = min(raw_runs), min(ours_runs)
        result[f"raw_us_c{callers}"] = round(raw_us, 1)
        result[f"ours_us_c{callers}"] = round(ours_us, 1)
        result[f"ratio_c{callers}"] = round(ours_us / raw_us, 4)
    return result


def main() -> None:
    args = parse_args(__doc__)
    proc, url, token = start_server()
    try:
        result = asyncio.run(measure(url, token))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    missed = [key for key, limit in GOALS.items() if result[key] > limit]
    if args.json:
        result = {k: result[k] for k in GOALS}
    report("client CPU per request: AllegroClient vs raw httpx (server in another process)",
           result, args.json, {key: f"<= {limit}" for key, limit in GOALS.items()})
    if missed:
        print(f"goal missed: {', '.join(missed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
