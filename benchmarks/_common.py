"""Shared bits of the benchmarks: argument parsing, the table/JSON output, and the
environment of child processes that import the package as installed."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The benchmarks measure this checkout's package, whatever else is installed.
sys.path.insert(0, str(ROOT))
# Nor do they leave bytecode in it (children get a cache of their own: child_env).
sys.dont_write_bytecode = True


def checkout_env() -> dict[str, str]:
    """The environment of a child process (an emulator server, a worker) that must import
    this checkout's package, whatever else is installed and wherever the script runs from."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def child_env(pycache: Path) -> dict[str, str]:
    """The environment of a child that imports as an installed package does (pip compiles
    bytecode at install time): bytecode written to and read from ``pycache``, a temporary
    ``PYTHONPYCACHEPREFIX``, whatever the caller's ``PYTHONDONTWRITEBYTECODE``; this
    checkout's package first. Run each child once, discarded, to fill it: the timed runs then
    read bytecode rather than time the compiler, and the source tree gets no ``__pycache__``.
    """
    env = checkout_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def parse_args(doc: str | None) -> argparse.Namespace:
    """``--json`` prints one JSON object instead of the table."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args()


def report(title: str, result: dict[str, Any], as_json: bool, goals: dict[str, str]) -> None:
    """Print ``result`` as a table (with goals) or as one JSON object."""
    if as_json:
        print(json.dumps(result))
        return
    print(title)
    print(f"{'metric':<24} {'value':>14}  goal")
    for key, value in result.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<24} {shown:>14}  {goals.get(key, '')}")
    sys.stdout.flush()
