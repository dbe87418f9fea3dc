"""Import cost of ``import allegro_async`` with every generated operation available, against
``import httpx, pydantic`` measured the same way in the same run.

Each sample is a fresh interpreter timing its own import (interpreter start-up excluded);
the best of several samples is kept. Keys: ``import_s``, ``baseline_s``, ``ratio`` (goal
<= 1.5), ``api_modules_loaded`` (generated modules that ``import allegro_async`` and building
a client load: goal 0) and ``first_area_s`` (the first use of one area, for information).
Run: python benchmarks/import_time.py [--json].
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _common import parse_args, report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 7
TIMED = (
    "import time; t = time.perf_counter(); {stmt}; d = time.perf_counter() - t; "
    "import sys; n = len([m for m in sys.modules if m.startswith('allegro_async.api')]); "
    "print(d, n)"
)


def sample(stmt: str) -> tuple[float, int]:
    """Seconds the statement takes in a fresh interpreter, and the api modules it loaded."""
    # this checkout's package, not whichever one is installed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", TIMED.format(stmt=stmt)], capture_output=True,
                         text=True, check=True, env=env, cwd=ROOT)
    seconds, loaded = out.stdout.split()
    return float(seconds), int(loaded)


def best(stmt: str) -> tuple[float, int]:
    """The fastest of :data:`SAMPLES` samples (other processes only ever add time)."""
    runs = [sample(stmt) for _ in range(SAMPLES)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    args = parse_args(__doc__)
    baseline, _ = best("import httpx, pydantic")
    imported, loaded = best("import allegro_async; allegro_async.AllegroClient(access_token='t')")
    area, _ = best("import allegro_async.api.order_management")
    report(
        "import allegro_async (all 267 operations available, loaded on first use)",
        {"import_s": imported, "baseline_s": baseline, "ratio": imported / baseline,
         "api_modules_loaded": loaded, "first_area_s": area - imported},
        args.json,
        {"ratio": "<= 1.5", "api_modules_loaded": "0"},
    )


if __name__ == "__main__":
    main()
