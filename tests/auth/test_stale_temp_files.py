"""Temp files of FileTokenStore writers killed mid-save (each holds every token) are removed
when a store is opened; a live writer's file is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from allegro_async.auth.tokens import STALE_TEMP_AGE, FileTokenStore, Token, _lock_file_async

# A writer that stops between writing its temp file and renaming it, and says where it is.
STUCK_WRITER = """
import os, sys, time, anyio
from allegro_async.auth.tokens import FileTokenStore, Token

def stuck(src, dst):
    print(src, flush=True)
    time.sleep(600)  # killed here, holding the file-wide lock

os.replace = stuck
token = Token("a.b.c", "refresh-123456", expires_at=1.0)
anyio.run(FileTokenStore(sys.argv[1]).save, "seller", token)
"""


def _killed_writers_file(path: Path, *, suffix: str = ".tmp") -> Path:
    """A temp file as a writer killed mid-save leaves it (old versions used no suffix)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    with os.fdopen(fd, "w") as handle:
        json.dump({"seller": {"access_token": "a.b.c", "refresh_token": "r-secret"}}, handle)
    return Path(name)


def _others(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


async def test_opening_the_store_removes_killed_writers_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).save("seller", Token("a.b.c", "refresh-123456"))
    (tmp_path / ".tokens.json.bak").write_text("mine")  # not a temp file of the store
    (tmp_path / "other.json").write_text("{}")
    before = _others(path)
    stale = [_killed_writers_file(path) for _ in range(12)]
    stale.append(_killed_writers_file(path, suffix=""))
    store = FileTokenStore(path)
    assert not any(p.exists() for p in stale)
    assert _others(path) == before
    assert (await store.load("seller")) == Token("a.b.c", "refresh-123456")


async def test_a_live_writers_temp_file_is_kept_an_old_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    held = await _lock_file_async(path.with_name(path.name + ".lock"))  # a writer mid-save
    try:
        young = _killed_writers_file(path)
        old = _killed_writers_file(path)
        past = time.time() - STALE_TEMP_AGE - 60
        os.utime(old, (past, past))
        FileTokenStore(path)
        assert young.exists() and not old.exists()
    finally:
        held.release()
    FileTokenStore(path)  # the writer is gone: its file is stale now
    assert not young.exists()


def test_a_writer_killed_mid_save_leaves_nothing_after_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    writer = subprocess.Popen([sys.executable, "-c", STUCK_WRITER, str(path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        temp = Path(writer.stdout.readline().strip())
        assert temp.parent == tmp_path and temp.exists(), writer.stderr
        FileTokenStore(path)  # the writer is alive and holds the lock: its file stays
        assert temp.exists()
    finally:
        writer.kill()  # SIGKILL on POSIX: no cleanup runs in the writer
        writer.communicate(timeout=60)
    assert temp.exists()
    FileTokenStore(path)
    assert not temp.exists()
    assert not path.exists()  # the killed save never replaced the file
