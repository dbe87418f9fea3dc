"""Import cost of ``import allegro_async`` with every generated operation available, against
``import httpx, pydantic`` measured the same way in the same run.

Each sample is a fresh interpreter timing its own import (interpreter start-up excluded);
the best of several samples is kept. Keys: ``import_s``, ``baseline_s``, ``ratio`` (goal
<= 1.5), ``api_modules_loaded`` (generated modules that ``import allegro_async`` and building
a client load: goal 0) and ``first_area_s`` (importing one area, order management, and the
models of its orders listing, ``CheckoutForms``, after ``import allegro_async``: for
information; an area's models are defined in parts, loaded when a class is first read).
Both sides import cached bytecode, as an installed package does (pip compiles it at install
time): the modules either statement loads are byte-compiled first where their ``.pyc`` is
missing, so a checkout, or ``PYTHONDONTWRITEBYTECODE=1``, does not time the compiler instead.
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
    "import time; {setup}; t = time.perf_counter(); {stmt}; d = time.perf_counter() - t; "
    "import sys; n = len([m for m in sys.modules if m.startswith('allegro_async.api')]); "
    "print(d, n)"
)


#: Imports the statements, then writes the missing ``.pyc`` of every loaded source module.
COMPILE = (
    "import importlib.util, os, py_compile, sys; {stmts}; n = 0\n"
    "for m in list(sys.modules.values()):\n"
    "    f = getattr(m, '__file__', None) or ''\n"
    "    if f.endswith('.py') and not os.path.exists(importlib.util.cache_from_source(f)):\n"
    "        py_compile.compile(f, doraise=True); n += 1\n"
    "print(n)"
)


def env() -> dict[str, str]:
    """This checkout's package first, not whichever one is installed."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def compile_bytecode(*stmts: str) -> int:
    """Byte-compile what the statements import, where no bytecode is cached; how many."""
    code = COMPILE.format(stmts="; ".join(s.replace(";;", ";") for s in stmts))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env(), cwd=ROOT)
    return int(out.stdout)


def sample(stmt: str) -> tuple[float, int]:
    """Seconds the statement takes in a fresh interpreter (after its ``setup;;`` part, if
    any), and the api modules loaded by then."""
    setup, _, stmt = stmt.rpartition(";;")
    code = TIMED.format(setup=setup or "pass", stmt=stmt)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env(), cwd=ROOT)
    seconds, loaded = out.stdout.split()
    return float(seconds), int(loaded)


def best(*stmts: str) -> list[tuple[float, int]]:
    """For each statement, the fastest of :data:`SAMPLES` samples (other processes only ever
    add time); the statements' samples interleave, so load that drifts hits them alike."""
    runs: list[list[tuple[float, int]]] = [[] for _ in stmts]
    for _ in range(SAMPLES):
        for i, stmt in enumerate(stmts):
            runs[i].append(sample(stmt))
    return [(min(r[0] for r in rs), max(r[1] for r in rs)) for rs in runs]


def main() -> None:
    args = parse_args(__doc__)
    stmts = ("import httpx, pydantic",
             "import allegro_async; allegro_async.AllegroClient(access_token='t')",
             "import allegro_async;; import allegro_async.api.order_management; "
             "from allegro_async.api.models.order_management import CheckoutForms")
    compiled = compile_bytecode(*stmts)
    (baseline, _), (imported, loaded), (area, _) = best(*stmts)
    report(
        "import allegro_async (all 267 operations available, loaded on first use)",
        {"import_s": imported, "baseline_s": baseline, "ratio": imported / baseline,
         "api_modules_loaded": loaded, "first_area_s": area, "bytecode_compiled": compiled},
        args.json,
        {"ratio": "<= 1.5", "api_modules_loaded": "0"},
    )


if __name__ == "__main__":
    main()
