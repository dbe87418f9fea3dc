"""The example FastAPI backend under uvicorn vs the same GETs sent straight to the emulator.

The emulator (real S1/S2 limits: 9000/min per Client ID, 10 parallel per user) is served by
uvicorn in a process of its own (``allegro-async emulator``'s ``run_cli``); the backend
(examples/fastapi_app) runs under uvicorn in another; this process only sends the requests.
3 sellers. First the baseline: 1000 concurrent ``GET /order/checkout-forms`` straight to the
emulator through one ``AllegroClient``. Then, once the emulator's bucket has drained, the same
1000 GETs as ``GET /sellers/{id}/orders`` to the backend (each on its own connection, sent by
a hand-written HTTP/1.1 loop that costs this machine little) while 2 bulk price jobs of 400
offers each run through it. Both phases share one machine and one S1 budget, so the ratio
shows what the backend (uvicorn, FastAPI, the seller dependency) adds on top of the library.

Keys: ``http_errors`` (non-2xx answers of the backend; goal 0), ``responses_429`` (the
emulator's count during the backend phase; goal 0), ``p50_ms``/``p95_ms`` (backend GET
latency), ``requests_per_s`` (backend GETs per second), ``direct_requests_per_s``, ``ratio``
(backend over direct; goal >= 0.8). Run: python benchmarks/fastapi_backend.py [--json].
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio
import httpx
from _common import parse_args, report

from allegro_async import AllegroClient
from allegro_async.auth.tokens import FileTokenStore, Token
from allegro_async.config import Environment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "fastapi_app"))
from harness import start_backend  # noqa: E402

GETS = 1000
JOB_OFFERS = 400
SERVER = (
    "from allegro_async.testing.server import run_cli\n"
    "from allegro_async.testing.emulator.offers import OffersConfig\n"
    f"run_cli(port=0, sellers=3, offers=OffersConfig(active={JOB_OFFERS}, command_seconds=0.5))\n"
)


class Served:
    """The emulator process: its URL, app credentials and one token per seller."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], env=env,
                                        stdout=subprocess.PIPE, text=True)
        self.url = self.client_id = self.client_secret = ""
        self.tokens: dict[str, str] = {}
        assert self.process.stdout is not None
        while len(self.tokens) < 3:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("the emulator server did not start")
            key, _, value = line.strip().partition(": ")
            if key == "url":
                self.url = value
            elif key == "client_id":
                self.client_id = value
            elif key == "client_secret":
                self.client_secret = value
            elif key.startswith("token "):
                self.tokens[key.split()[-1]] = value

    def stats(self) -> dict[str, object]:
        return dict(httpx.get(f"{self.url}/_emulator/stats").json())

    def reset(self) -> None:
        httpx.post(f"{self.url}/_emulator/reset")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def direct(served: Served) -> float:
    """The baseline: the same GETs through one AllegroClient (seller views), per second."""
    environment = Environment.custom(api_url=served.url, auth_url=served.url)
    async with AllegroClient(environment=environment) as client:
        views = [client.with_options(access_token=t) for t in served.tokens.values()]

        async def get(i: int) -> None:
            await views[i % 3].request("GET", "/order/checkout-forms",
                                       params={"limit": 10, "offset": i % 7})

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(GETS):
                tg.start_soon(get, i)
        return GETS / (time.perf_counter() - started)


async def raw_get(host: str, port: int, target: str) -> int:
    """One GET on its own connection, by hand: the load generator must cost the backend's
    machine little (httpx with 1000 connections would spend more CPU than the backend)."""
    async with await anyio.connect_tcp(host, port) as stream:
        await stream.send(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n"
                          "Connection: close\r\n\r\n".encode())
        head = b""
        try:
            while True:
                head += await stream.receive()
        except anyio.EndOfStream:
            pass
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 599


async def through_backend(base: str, sellers: list[str]) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=300) as http:
        jobs: list[dict[str, object]] = []
        offer_ids = [(await http.get(f"/sellers/{s}/offers",
                                     params={"limit": JOB_OFFERS})).json()["offer_ids"]
                     for s in sellers[:2]]
        latencies: list[float] = []
        statuses: Counter[int] = Counter()

        host, port = base.removeprefix("http://").split(":")

        async def get(i: int) -> None:
            started = time.perf_counter()
            status = await raw_get(host, int(port),
                                   f"/sellers/{sellers[i % 3]}/orders?limit=10&offset={i % 7}")
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] += 1

        async def job(seller: str, ids: list[str]) -> None:
            response = await http.post(f"/sellers/{seller}/prices",
                                       json={"prices": {o: "21.50" for o in ids}})
            statuses[response.status_code] += 1
            jobs.append(response.json())

        async with anyio.create_task_group() as tg:
            for seller, ids in zip(sellers[:2], offer_ids, strict=True):
                tg.start_soon(job, seller, ids)
            started = time.perf_counter()
            async with anyio.create_task_group() as gets:
                for i in range(GETS):
                    gets.start_soon(get, i)
            elapsed = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "rate": GETS / elapsed, "jobs": jobs}


def write_tokens(served: Served, path: Path) -> list[str]:
    """The sellers' tokens in the backend's token file (12 h tokens: no refresh needed)."""
    store = FileTokenStore(path)

    async def save() -> None:
        for seller, access in served.tokens.items():
            await store.save(seller, Token.from_response({"access_token": access},
                                                         environment="custom"))

    anyio.run(save)
    return list(served.tokens)


def env_for(served: Served, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLEGRO_", "EXAMPLE_"))}
    env.update({"ALLEGRO_CLIENT_ID": served.client_id,
                "ALLEGRO_CLIENT_SECRET": served.client_secret,
                "ALLEGRO_ENVIRONMENT": served.url,
                "ALLEGRO_TOKEN_FILE": str(data / "tokens.json"),
                # the emulator accepts any loopback redirect URI; the backend refuses to start
                # without one (it never takes the Host header's), though no seller connects here
                "ALLEGRO_REDIRECT_URI": "http://127.0.0.1/allegro/callback",
                "EXAMPLE_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)})
    return env


def main() -> None:
    args = parse_args(__doc__)
    served = Served()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            sellers = write_tokens(served, data / "tokens.json")
            direct_rate = anyio.run(direct, served)
            time.sleep(2)  # let the emulator's S1 bucket drain before the second phase
            served.reset()
            backend = start_backend(env_for(served, data), data / "backend.log")
            try:
                httpx.get(f"{backend.url}/health", timeout=120)  # started: imports not counted
                pids = [p.pid for p in (backend.process, served.process)]
                before = [cpu_seconds(pid) for pid in pids] + [time.process_time()]
                result = anyio.run(through_backend, backend.url, sellers)
                after = [cpu_seconds(pid) for pid in pids] + [time.process_time()]
            finally:
                backend.stop()
            stats = served.stats()
    finally:
        served.stop()
    latencies: list[float] = result["latencies"]  # type: ignore[assignment]
    jobs: list[dict[str, object]] = result["jobs"]  # type: ignore[assignment]
    changed = sum(int(j.get("succeeded", 0)) for j in jobs)  # type: ignore[call-overload]
    app_rate = float(result["rate"])  # type: ignore[arg-type]
    statuses: Counter[int] = result["statuses"]  # type: ignore[assignment]
    out = {
        "http_errors": sum(n for code, n in statuses.items() if code >= 300),
        "responses_429": stats["responses_429"],
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "requests_per_s": app_rate,
        "direct_requests_per_s": direct_rate,
        "ratio": app_rate / direct_rate,
        "offers_repriced": changed,
        # CPU seconds each process spent in the backend phase (where the time goes).
        "cpu_s_backend": _spent(before[0], after[0]),
        "cpu_s_emulator": _spent(before[1], after[1]),
        "cpu_s_driver": _spent(before[2], after[2]),
        "error_statuses": {str(k): v for k, v in statuses.items() if k >= 300},
    }
    report("FastAPI backend (examples/fastapi_app) vs direct AllegroClient", out, args.json,
           {"http_errors": "0", "responses_429": "0", "ratio": ">= 0.8",
            "offers_repriced": str(2 * JOB_OFFERS)})


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process: psutil when installed (the dev group),
    else Linux's /proc/<pid>/stat (stdlib only), else ``None`` (reported as not measured)."""
    try:
        import psutil
    except ImportError:
        pass
    else:
        return float(sum(psutil.Process(pid).cpu_times()[:2]))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command name: state is field 3, utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spent(before: float | None, after: float | None) -> float | str:
    if before is None or after is None:
        return "not measured (install psutil: pip install psutil)"
    return after - before


if __name__ == "__main__":
    main()
