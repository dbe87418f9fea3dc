"""Served-emulator latency: sequential ``GET /me`` over loopback HTTP, one keep-alive connection.

The emulator is served by ``allegro_async.testing.server.serve`` (uvicorn on a socket of our
own, in this event loop); each request is timed from send to the whole body read. The baseline
in the same run is the same emulator on a listening socket created the old way (proto 0), on
which asyncio leaves Nagle's algorithm on: every response then waits for the client's delayed
ACK. Keys: ``p50_ms`` (goal < 3 ms), ``p95_ms``, ``n``, and ``baseline_p50_ms`` /
``baseline_p95_ms``. Run: python benchmarks/served_latency.py [--json] [--requests N].
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import time
from collections.abc import AsyncIterator

import httpx
from _common import report

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.limits import LimitsConfig
from allegro_async.testing.server import _server, _start, _url, serve

GOAL_P50_MS = 3.0
WARM_UP = 20


@contextlib.asynccontextmanager
async def _serve_with_nagle(emulator: Emulator) -> AsyncIterator[str]:
    """Like ``serve``, on a socket made as before the fix (proto 0: no TCP_NODELAY)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    server = _server(emulator)
    task = await _start(server, sock)
    try:
        yield _url(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


async def _latencies(url: str, token: str, n: int) -> list[float]:
    """Milliseconds per sequential GET /me, after a warm-up on the same connection."""
    headers = {"Authorization": f"Bearer {token}", "Accept": PUBLIC_MEDIA_TYPE}
    out: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        for i in range(WARM_UP + n):
            started = time.perf_counter()
            response = await http.get("/me")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            if i >= WARM_UP:
                out.append(elapsed)
    return out


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def measure(n: int, baseline_n: int) -> dict[str, float | int | bool]:
    """p50/p95 of the served emulator, then of the Nagle baseline (if ``baseline_n``)."""
    # Limits off: this measures the wire, not Allegro's 9000/min budget.
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    token = emulator.mint_token(0)
    async with serve(emulator) as url:
        fixed = await _latencies(url, token, n)
    result: dict[str, float | int | bool] = {
        "p50_ms": round(_p(fixed, 50), 3), "p95_ms": round(_p(fixed, 95), 3), "n": n,
    }
    if baseline_n:
        async with _serve_with_nagle(emulator) as url:
            old = await _latencies(url, token, baseline_n)
        result["baseline_p50_ms"] = round(_p(old, 50), 3)
        result["baseline_p95_ms"] = round(_p(old, 95), 3)
        result["baseline_n"] = baseline_n
    result["ok"] = result["p50_ms"] < GOAL_P50_MS
    return result


def main() -> None:
    """Run and print a table, or one JSON object with ``--json``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--requests", type=int, default=500, help="timed GETs (served)")
    parser.add_argument("--baseline-requests", type=int, default=100,
                        help="timed GETs on the Nagle baseline (0: skip it; ~45 ms each)")
    args = parser.parse_args()
    result = asyncio.run(measure(args.requests, args.baseline_requests))
    report("served emulator: sequential GET /me over loopback (keep-alive)", result, args.json,
           {"p50_ms": f"< {GOAL_P50_MS:g}", "baseline_p50_ms": "Nagle + delayed ACK (old)"})


if __name__ == "__main__":
    main()
