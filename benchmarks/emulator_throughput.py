"""Emulator throughput: simple in-process GETs (/me) per second through
``httpx.AsyncClient`` + ``EmulatorTransport``, at concurrency 1 and 50.

The baseline in the same run is a bare Starlette app answering the same JSON through the same
``httpx.ASGITransport``, so the ratio shows what the emulator's own layers cost.

    python benchmarks/emulator_throughput.py          # a table
    python benchmarks/emulator_throughput.py --json   # one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.limits import LimitsConfig

GOAL = 3000.0


async def _rate(client: httpx.AsyncClient, total: int, concurrency: int) -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.get("/me")
            assert response.status_code == 200, response.text

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


def _bare_app() -> Starlette:
    body = json.dumps({"id": "1", "login": "seller-1"}).encode()

    async def me(request: Request) -> Response:
        return Response(body, media_type=PUBLIC_MEDIA_TYPE)

    return Starlette(routes=[Route("/me", me, methods=["GET"])])


async def measure(total: int) -> dict[str, float]:
    """GETs per second for the emulator and the bare baseline, at concurrency 1 and 50."""
    # Limits off: this measures the emulator's own cost, not Allegro's 9000/min budget.
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    headers = {"Authorization": f"Bearer {emulator.mint_token(0)}", "Accept": PUBLIC_MEDIA_TYPE}
    out: dict[str, float] = {}
    targets = {
        "gets_per_s": emulator.transport(),
        "baseline_gets_per_s": httpx.ASGITransport(app=_bare_app()),
    }
    for name, transport in targets.items():
        async with httpx.AsyncClient(
            transport=transport, base_url="http://allegro.emulator", headers=headers
        ) as client:
            await _rate(client, 200, 1)  # warm up
            for concurrency in (1, 50):
                out[f"{name}_c{concurrency}"] = await _rate(client, total, concurrency)
    return out


def main() -> None:
    """Run and print a table, or JSON with ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--requests", type=int, default=5000, help="GETs per measurement")
    args = parser.parse_args()
    numbers = asyncio.run(measure(args.requests))
    result: dict[str, float | bool] = {
        "gets_per_s_c1": round(numbers["gets_per_s_c1"]),
        "gets_per_s_c50": round(numbers["gets_per_s_c50"]),
        "baseline_gets_per_s_c1": round(numbers["baseline_gets_per_s_c1"]),
        "baseline_gets_per_s_c50": round(numbers["baseline_gets_per_s_c50"]),
        "goal_gets_per_s": GOAL,
    }
    result["ok"] = min(numbers["gets_per_s_c1"], numbers["gets_per_s_c50"]) >= GOAL
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'what':<34}{'c=1':>10}{'c=50':>10}{'ratio c=1':>12}")
    for label, key in (("emulator GET /me", "gets_per_s"),
                       ("bare Starlette (baseline)", "baseline_gets_per_s")):
        c1, c50 = numbers[f"{key}_c1"], numbers[f"{key}_c50"]
        ratio = c1 / numbers["baseline_gets_per_s_c1"]
        print(f"{label:<34}{c1:>10.0f}{c50:>10.0f}{ratio:>12.2f}")
    print(f"goal >= {GOAL:.0f} GETs/s at both: {'ok' if result['ok'] else 'MISSED'}")


if __name__ == "__main__":
    main()
