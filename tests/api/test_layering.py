"""The generated layer stands below the hand-written models: importing it loads none of them."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split())


def test_generated_enums_and_models_load_without_the_hand_written_models() -> None:
    loaded = _loaded_after(
        "import allegro_async.api._enums, allegro_async.api.models.order_management"
    )
    assert "allegro_async.api.models.order_management" in loaded
    assert not {m for m in loaded if m.startswith("allegro_async.models")}


def test_open_enum_is_one_class_wherever_it_is_imported() -> None:
    from allegro_async._enum import OpenEnum
    from allegro_async.api._base import OpenEnum as generated_base
    from allegro_async.models.base import OpenEnum as hand_written_base

    assert generated_base is OpenEnum
    assert hand_written_base is OpenEnum
