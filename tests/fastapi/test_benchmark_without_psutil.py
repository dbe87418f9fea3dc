"""benchmarks/fastapi_backend.py needs no psutil (a dev-extra package): without it the CPU
seconds come from /proc, or are reported as not measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PROBE = """
import sys
class NoPsutil:
    def find_spec(self, name, path=None, target=None):
        if name == "psutil":
            raise ImportError("no psutil here")
sys.meta_path.insert(0, NoPsutil())
sys.modules.pop("psutil", None)
sys.path[:0] = ["benchmarks", "examples/fastapi_app"]
import fastapi_backend
sum(range(3_000_000))
seconds = fastapi_backend.cpu_seconds(__import__("os").getpid())
print(seconds if sys.platform != "linux" else seconds > 0)
print(fastapi_backend._spent(None, 1.0))
"""


def test_the_backend_benchmark_runs_without_psutil() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = done.stdout.splitlines()
    assert first in ("True", "None")  # measured from /proc on Linux
    assert "install psutil" in second
