"""Import cost of ``import allegro_async`` with every generated operation available, against
``import httpx, pydantic`` measured the same way in the same run.

Each sample is a fresh interpreter timing its own import (interpreter start-up excluded);
the best of several samples is kept. Keys: ``import_s``, ``baseline_s``, ``ratio`` (goal
<= 1.5), ``api_modules_loaded`` (generated modules that ``import allegro_async`` and building
a client load: goal 0) and ``first_area_s`` (importing one area, order management, and the
models of its orders listing, ``CheckoutForms``, after ``import allegro_async``: for
information; an area's models are defined in parts, loaded when a class is first read).
Both sides import cached bytecode, as an installed package does (pip compiles it at install
time): the children run with ``PYTHONDONTWRITEBYTECODE`` removed and ``PYTHONPYCACHEPREFIX``
set to a temporary folder, which a discarded first run of each statement fills
(``bytecode_compiled``: the modules it compiled). So a checkout, or a shell that sets
``PYTHONDONTWRITEBYTECODE=1``, does not time the compiler, and the source tree is not
littered with ``__pycache__``. Run: python benchmarks/import_time.py [--json].
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, child_env, parse_args, report

SAMPLES = 7
TIMED = (
    "import time; {setup}; t = time.perf_counter(); {stmt}; d = time.perf_counter() - t; "
    "import sys; n = len([m for m in sys.modules if m.startswith('allegro_async.api')]); "
    "print(d, n)"
)
#: The children's environment (:func:`_common.child_env`), set once the bytecode folder exists.
ENV: dict[str, str] = {}


def sample(stmt: str) -> tuple[float, int]:
    """Seconds the statement takes in a fresh interpreter (after its ``setup;;`` part, if
    any), and the api modules loaded by then."""
    setup, _, stmt = stmt.rpartition(";;")
    code = TIMED.format(setup=setup or "pass", stmt=stmt)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=ENV, cwd=ROOT)
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
    with tempfile.TemporaryDirectory() as tmp:
        pycache = Path(tmp) / "pycache"
        ENV.update(child_env(pycache))
        for stmt in stmts:  # discarded: writes the bytecode, warms the disk cache
            sample(stmt)
        compiled = sum(1 for _ in pycache.rglob("*.pyc"))
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
