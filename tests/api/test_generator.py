"""The generator: the checked-in output is what the spec gives, every file says where it came
from, and ``--check`` names what a regeneration would change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import require_spec

pytest.importorskip("datamodel_code_generator")

from tools.apigen.__main__ import MARK, ROOT, generate, outdated


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate(str(require_spec()))


def test_checked_in_output_is_what_the_spec_generates(files: dict[str, str]) -> None:
    changed, stale = outdated(files, ROOT)
    assert (changed, stale) == ([], []), "run `nox -s generate` and commit the result"


def test_every_generated_file_names_the_spec_version_and_hash(files: dict[str, str]) -> None:
    import hashlib

    digest = hashlib.sha256(require_spec().read_bytes()).hexdigest()
    for rel, text in files.items():
        head = "\n".join(text.splitlines()[:3])
        assert MARK in head and digest in head and "info.version" in head, rel
        assert "do not edit" in head, rel


def test_check_names_changed_and_stale_files(files: dict[str, str], tmp_path: Path) -> None:
    for rel in files:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, target)
    edited = tmp_path / "allegro_async/api/order_management.py"
    edited.write_text(edited.read_text() + "\n# an edit by hand\n")
    (tmp_path / "allegro_async/api/models/retired_area.py").write_text(f"# {MARK}\n")
    (tmp_path / "allegro_async/api/models/handwritten.py").write_text("# ours\n")
    changed, stale = outdated(files, tmp_path)
    assert changed == ["allegro_async/api/order_management.py"]
    assert stale == ["allegro_async/api/models/retired_area.py"]
