"""Emulator throughput: simple in-process GETs (/me) per second through
``httpx.AsyncClient`` + ``EmulatorTransport``, at concurrency 1 and 50.

Two views of the same question, "can the emulator keep up, so that limit tests measure the
client and not the emulator?":

- served: the emulator's ASGI app called directly, with no HTTP client in the way; this is
  what the emulator itself can serve, and what the 3000/s goal is judged on;
- through httpx: ``httpx.AsyncClient`` + ``EmulatorTransport``, what a test sees; httpx's
  own request and response building costs more than the emulator here.

The baseline in the same run is a bare Starlette app answering the same JSON the same ways,
so the ratio shows what the emulator's own layers cost.

Then the two routes benchmarks lean on, ``GET /me`` and a 100-form page of
``GET /order/checkout-forms?limit=100``, in-process (httpx + ``EmulatorTransport``) and served
(the emulator under uvicorn in another process, over loopback): ``inprocess_*`` and
``served_http_*`` requests per second at concurrency 1 and 50.

    python benchmarks/emulator_throughput.py          # a table
    python benchmarks/emulator_throughput.py --json   # one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import _common  # noqa: F401 - this checkout's package first on sys.path
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.limits import LimitsConfig

GOAL = 3000.0
FORMS = "/order/checkout-forms?limit=100"


async def _rate(client: httpx.AsyncClient, total: int, concurrency: int,
                path: str = "/me") -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.get(path)
            assert response.status_code == 200, response.text

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def _served_rate(app: ASGIApp, token: str, total: int, concurrency: int) -> float:
    """GETs of /me per second, calling the ASGI app directly."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/me", "raw_path": b"/me", "query_string": b"",
        "root_path": "", "server": ("allegro.emulator", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"allegro.emulator"), (b"accept", PUBLIC_MEDIA_TYPE.encode()),
                    (b"authorization", f"Bearer {token}".encode())],
    }
    remaining = total

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def worker() -> None:
        nonlocal remaining
        status: list[int] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        while remaining > 0:
            remaining -= 1
            await app(dict(scope), receive, send)
            assert status[-1] == 200, status[-1]

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
    token = emulator.mint_token(0)
    for name, app in (("served", emulator.app), ("baseline_served", _bare_app())):
        await _served_rate(app, token, 200, 1)  # warm up
        for concurrency in (1, 50):
            out[f"{name}_c{concurrency}"] = await _served_rate(app, token, total, concurrency)
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


async def routes(total: int) -> dict[str, float]:
    """``GET /me`` and a 100-form checkout-forms page, in-process and served over HTTP."""
    from client_overhead import start_server

    emulator = Emulator(limits=LimitsConfig(enabled=False))
    out: dict[str, float] = {}
    proc, url, token = start_server()
    try:
        targets = (("inprocess", emulator.transport(), "http://allegro.emulator",
                    emulator.mint_token(0)), ("served_http", None, url, token))
        for name, transport, base, tok in targets:
            headers = {"Authorization": f"Bearer {tok}", "Accept": PUBLIC_MEDIA_TYPE}
            kwargs: dict[str, object] = {} if transport is None else {"transport": transport}
            async with httpx.AsyncClient(base_url=base, headers=headers, **kwargs) as client:
                for route, path, n in (("me", "/me", total), ("forms", FORMS, total // 10)):
                    await _rate(client, 20, 1, path)  # warm up
                    for concurrency in (1, 50):
                        out[f"{name}_{route}_per_s_c{concurrency}"] = round(
                            await _rate(client, n, concurrency, path))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return out


def main() -> None:
    """Run and print a table, or JSON with ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--requests", type=int, default=5000, help="GETs per measurement")
    args = parser.parse_args()
    numbers = asyncio.run(measure(args.requests))
    result: dict[str, float | bool] = {
        "served_per_s_c1": round(numbers["served_c1"]),
        "served_per_s_c50": round(numbers["served_c50"]),
        "gets_per_s_c1": round(numbers["gets_per_s_c1"]),
        "gets_per_s_c50": round(numbers["gets_per_s_c50"]),
        "baseline_gets_per_s_c1": round(numbers["baseline_gets_per_s_c1"]),
        "baseline_gets_per_s_c50": round(numbers["baseline_gets_per_s_c50"]),
        "goal_gets_per_s": GOAL,
    }
    result["ok"] = min(numbers["served_c1"], numbers["served_c50"]) >= GOAL
    by_route = asyncio.run(routes(args.requests // 5))
    result.update(by_route)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'what':<34}{'c=1':>10}{'c=50':>10}{'ratio c=1':>12}")
    rows = (("emulator served (ASGI direct)", "served", "baseline_served"),
            ("bare Starlette served (baseline)", "baseline_served", "baseline_served"),
            ("emulator through httpx", "gets_per_s", "baseline_gets_per_s"),
            ("bare Starlette through httpx", "baseline_gets_per_s", "baseline_gets_per_s"))
    for label, key, base in rows:
        c1, c50 = numbers[f"{key}_c1"], numbers[f"{key}_c50"]
        ratio = c1 / numbers[f"{base}_c1"]
        print(f"{label:<34}{c1:>10.0f}{c50:>10.0f}{ratio:>12.2f}")
    print(f"\n{'route (requests/s)':<34}{'c=1':>10}{'c=50':>10}")
    for name in ("inprocess", "served_http"):
        for route in ("me", "forms"):
            key = f"{name}_{route}_per_s"
            print(f"{name + ' ' + route:<34}{by_route[key + '_c1']:>10.0f}"
                  f"{by_route[key + '_c50']:>10.0f}")
    print(f"goal: the emulator serves >= {GOAL:.0f} GETs/s at both concurrencies: "
          f"{'ok' if result['ok'] else 'MISSED'}")


if __name__ == "__main__":
    main()
