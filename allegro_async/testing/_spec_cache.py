"""Allegro's OpenAPI spec parsed once and cached as JSON (never pickle) in a directory only the
current user controls, so the conformance check and the spec-driven tests load it in a
fraction of the YAML parse. Needs ``pyyaml`` on a cache miss.

Public through :mod:`allegro_async.testing.conformance` (``load_spec``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from pathlib import Path
from typing import Any


def load_spec(path: Path, cache_dir: Path | None = None) -> dict[str, Any]:
    """The parsed spec, cached as JSON keyed by path, size and mtime (parsing the 1.4 MB YAML
    takes seconds; the JSON loads in a fraction).

    The cache is JSON, never pickle: loading it cannot run code even if someone else wrote
    it. It lives in a directory only the current user may use (``cache_dir``, by default
    ``$XDG_CACHE_HOME/allegro-async`` or ``~/.cache/allegro-async``), created with mode 0700;
    if that directory belongs to someone else or others may write to it, nothing is cached.
    """
    found = path.stat()
    key = hashlib.sha256(f"{path.resolve()}:{found.st_size}:{found.st_mtime_ns}".encode())
    folder = _private_dir(cache_dir or _default_cache_dir())
    cache = folder / f"spec-{key.hexdigest()[:16]}.json" if folder is not None else None
    if cache is not None and cache.exists():
        with contextlib.suppress(ValueError, OSError), cache.open(encoding="utf-8") as f:
            loaded: dict[str, Any] = json.load(f)
            return loaded
    import yaml

    with path.open(encoding="utf-8") as f:
        spec: dict[str, Any] = yaml.load(f, Loader=yaml.CSafeLoader)
    if cache is not None:
        with contextlib.suppress(OSError):
            tmp = cache.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.tmp")
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(spec, f, default=str)  # YAML dates (examples only) become text
            tmp.replace(cache)  # atomic: parallel runs never read half a file
    return spec


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "allegro-async"


def _private_dir(folder: Path) -> Path | None:
    """``folder``, created 0700 if missing, when only the current user controls it; else
    ``None`` (do not cache)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None  # a symlink or a file planted in its place
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder
