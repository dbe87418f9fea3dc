"""Fail when an installed distribution is not pinned by the lock, or differs from its pin.

``pip install -c LOCK -e ".[all]" --group dev`` only constrains what the lock names: a
dependency added to pyproject.toml without re-running ``nox -s lock`` would be installed
unpinned. This catches it.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

# the project itself, and the installer's own tools, are not part of the lock
IGNORED = {"allegro-async", "pip", "setuptools", "wheel"}


def pins(path: str) -> dict[str, set[str]]:
    """name -> versions pinned for this interpreter (a universal lock may pin several)."""
    found: dict[str, set[str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)\s*(?:;\s*(.+))?$", line.strip())
        if not match:
            continue
        name, version, marker = match.groups()
        if marker and not Marker(marker).evaluate():
            continue
        found.setdefault(canonicalize_name(name.split("[")[0]), set()).add(version)
    return found


def main(lock: str) -> int:
    pinned = pins(lock)
    required = set(pinned)
    problems = []
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name in IGNORED or name not in _needed():
            continue
        if name not in pinned:
            problems.append(f"{name} {dist.version} is installed but not pinned")
        elif dist.version not in pinned[name]:
            problems.append(f"{name} {dist.version} is installed, the lock pins {pinned[name]}")
    missing = sorted(n for n in required & _needed() if not _installed(n))
    problems += [f"{name} is pinned and needed but not installed" for name in missing]
    for problem in problems:
        print(f"lock: {problem}", file=sys.stderr)
    if problems:
        print(f"lock: run `nox -s lock` and commit {lock}", file=sys.stderr)
        return 1
    print(f"lock: {len(_needed())} dependencies installed, all pinned by {lock}")
    return 0


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


_NEEDED: set[str] | None = None


def _needed() -> set[str]:
    """The project's dependency closure with the ``all`` extra and the ``dev`` group (what the
    lock must cover): other
    packages on the machine are not the project's."""
    global _NEEDED
    if _NEEDED is None:
        import tomllib
        from packaging.requirements import Requirement

        seen: set[str] = set()
        todo = [("allegro-async", frozenset({"all"}))]
        # the dev tools are a dependency group (PEP 735), not in the project's metadata
        project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
        for text in project["dependency-groups"]["dev"]:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate():
                seen.add(canonicalize_name(req.name))
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
        done: set[tuple[str, frozenset[str]]] = set()
        while todo:
            name, extras = todo.pop()
            if (name, extras) in done:
                continue
            done.add((name, extras))
            try:
                dist = metadata.distribution(name)
            except metadata.PackageNotFoundError:
                continue
            for text in dist.requires or []:
                req = Requirement(text)
                env_ok = any(
                    req.marker is None or req.marker.evaluate({"extra": extra})
                    for extra in (extras or {""})
                )
                if not env_ok:
                    continue
                child = canonicalize_name(req.name)
                if child != "allegro-async":
                    seen.add(child)
                todo.append((child, frozenset(req.extras)))
        _NEEDED = seen
    return _NEEDED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
