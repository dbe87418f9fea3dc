"""Shared bits of the throttling benchmarks: argument parsing and the table/JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# The benchmarks measure this checkout's package, whatever else is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


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
