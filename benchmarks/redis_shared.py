"""Eight app processes share the time-scaled S1 limit through Redis (or Valkey) for 30 s, then
Redis is stopped and they run 30 s more on their fallback shares; one emulator served over
uvicorn. Baseline in the same run: the same processes each with its own in-process Throttle
at the full rate (``unshared_429s``: together they overrun and get blocked).

Goals: ``processes`` >= 8, ``responses_429`` 0 (while shared), ``sustained_ratio`` >= 0.95
(the 200s until the outage less the burst, over limit * t: 1 is the whole budget, and a
value over 1 would mean an overrun; ``ratio_after_3s`` counts from 3 s instead, when the
burst's responses are back),
``redis_calls_per_grant`` <= 1.5 (script calls the server counted, ``INFO commandstats``,
over the requests the emulator got), ``outage_429s`` 0 (in the 30 s after Redis stopped).

Run: python benchmarks/redis_shared.py [--json] [--server redis|valkey] [--seconds 30]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from _common import report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.redis_server import RunningServer, serve
from tests.throttle_redis._fleet import Fleet, run_fleet

# 9000/min becomes 75 requests per real second: 8 client processes, the emulator's HTTP
# server (one thread) and Redis share 2 cores with other jobs; at 150/s the emulator, not
# the limiter, is the bottleneck there (see benchmarks/emulator_throughput.py).
SCALE = 0.5
LIMIT_PER_S = 9000 / 60 * SCALE
PROCESSES, SELLERS, TASKS, BURST = 8, 4, 16, 100
BASELINE_S = 6.0
#: The burst of 100 goes at once and its responses queue at the emulator: count from here.
BURST_S = 3.0
#: Commands that are one round trip of the limiter's scripts (redis-py: EVALSHA, and on a
#: cold script cache SCRIPT LOAD then EVALSHA again).
SCRIPT_COMMANDS = ("cmdstat_evalsha", "cmdstat_eval", "cmdstat_script|load", "cmdstat_script")


def script_calls(url: str) -> int:
    """Script round trips the server has counted so far."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return sum(int(stats.get(name, {}).get("calls", 0)) for name in SCRIPT_COMMANDS)


def ratio(times: list[float], start: float, end: float) -> float:
    """200s per second in ``(start, end]`` over the limit."""
    inside = sum(1 for t in times if start < t <= end)
    return inside / (LIMIT_PER_S * (end - start))


def shared_run(server: RunningServer, seconds: float) -> tuple[Fleet, Emulator,
                                                               dict[str, float]]:
    """``seconds`` shared, then Redis stopped for ``seconds`` more."""
    emulator = Emulator(EmulatorConfig(time_scale=SCALE, sellers=PROCESSES * SELLERS))
    at_stop: dict[str, float] = {}

    def stop() -> None:
        at_stop["script_calls"] = script_calls(server.url)
        at_stop["requests"] = emulator.stats.requests
        server.stop()

    kwargs = {"client_id": "bench", "rate": LIMIT_PER_S * 60, "per": 60, "burst": BURST,
              "processes": PROCESSES}
    fleet = run_fleet(emulator, server.url, PROCESSES, 2 * seconds, kwargs, tasks=TASKS,
                      sellers=SELLERS, events=(("stop", seconds, stop),))
    return fleet, emulator, at_stop


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--server", choices=("redis", "valkey"), default="redis")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="length of the shared phase, and of the outage after it")
    args = parser.parse_args()
    with serve(args.server) as server:
        fleet, emulator, at_stop = shared_run(server, args.seconds)
    stopped_at, shared_429s = fleet.marks["stop"]
    times = fleet.ok_times()
    end = 2 * args.seconds
    # The unshared baseline: every process at the full rate on its own; 429s are the point.
    base_emulator = Emulator(EmulatorConfig(time_scale=SCALE, sellers=PROCESSES * SELLERS))
    run_fleet(base_emulator, None, PROCESSES, BASELINE_S,
              {"rate": LIMIT_PER_S * 60, "per": 60, "burst": BURST}, tasks=TASKS,
              sellers=SELLERS)
    result: dict[str, Any] = {
        "server": args.server,
        "processes": PROCESSES,
        "limit_per_s": LIMIT_PER_S,
        "shared_s": round(stopped_at, 2),
        "responses_429": shared_429s,
        "sustained_ratio": round((sum(1 for t in times if t <= stopped_at) - BURST)
                                 / (LIMIT_PER_S * stopped_at), 4),
        "ratio_after_3s": round(ratio(times, BURST_S, stopped_at), 4),
        "redis_calls_per_grant": round(at_stop["script_calls"] / max(1, at_stop["requests"]),
                                       4),
        "client_calls_per_grant": round(fleet.shared("calls") / max(1, fleet.shared("grants")),
                                        4),
        "outage_s": round(end - stopped_at, 2),
        "outage_429s": emulator.stats.responses_429 - shared_429s,
        "outage_ratio": round(ratio(times, stopped_at + 1.0, end), 4),
        "processes_fell_back": fleet.shared("outages"),
        "requests_during_block": emulator.stats.requests_during_block,
        "unshared_429s": base_emulator.stats.responses_429,
    }
    report(f"{PROCESSES} processes sharing the time-scaled S1 limit ({LIMIT_PER_S:g}/s) via "
           f"{args.server}, then {args.server} stopped", result, args.json, {
               "responses_429": "0", "sustained_ratio": ">= 0.95 (burst excluded)",
               "ratio_after_3s": "<= 1 + burst / (limit * t)",
               "redis_calls_per_grant": "<= 1.5", "outage_429s": "0",
               "outage_ratio": "about 1 (rate / processes each)",
               "processes_fell_back": f"{PROCESSES}", "unshared_429s": "> 0 (baseline)"})


if __name__ == "__main__":
    main()
