"""The generated public surface, compared with a checked-in snapshot so that a rename (a spec
change renaming an operationId or a schema) shows in review. After a deliberate change,
rewrite the snapshot: ``ALLEGRO_UPDATE_SNAPSHOT=1 python -m pytest tests/api/test_public_names.py``.
"""

from __future__ import annotations

import inspect
import os
from functools import cached_property
from pathlib import Path

from allegro_async.api import Api
from allegro_async.api.models import MODULES

SNAPSHOT = Path(__file__).with_name("public_names.txt")


def _surface() -> str:
    lines = []
    for area, attribute in sorted(vars(Api).items()):
        if not isinstance(attribute, cached_property):
            continue
        cls = inspect.signature(attribute.func).return_annotation
        module = __import__(f"allegro_async.api.{area}", fromlist=["_"])
        cls = getattr(module, cls) if isinstance(cls, str) else cls
        lines.append(f"area {area} ({cls.__name__})")
        for name, member in sorted(vars(cls).items()):
            if name.startswith("_") or not callable(member):
                continue
            params = [p for p in inspect.signature(member).parameters if p != "self"]
            lines.append(f"  {name}({', '.join(params)})")
    by_module: dict[str, list[str]] = {}
    for model, module in MODULES.items():
        by_module.setdefault(module, []).append(model)
    for module, models in sorted(by_module.items()):
        lines.append(f"models {module}: {' '.join(sorted(models))}")
    return "\n".join(lines) + "\n"


def test_public_names_match_the_snapshot() -> None:
    surface = _surface()
    if os.environ.get("ALLEGRO_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(surface)
    assert SNAPSHOT.exists(), "no snapshot yet: run with ALLEGRO_UPDATE_SNAPSHOT=1"
    expected = SNAPSHOT.read_text()
    if surface != expected:
        old, new = set(expected.splitlines()), set(surface.splitlines())
        gone = "\n".join(f"- {line}" for line in sorted(old - new)[:40])
        added = "\n".join(f"+ {line}" for line in sorted(new - old)[:40])
        raise AssertionError(
            "the generated public names changed (rewrite the snapshot with "
            f"ALLEGRO_UPDATE_SNAPSHOT=1 if that is intended):\n{gone}\n{added}"
        )
