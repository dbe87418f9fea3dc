"""The published metadata: every third-party module the core imports at runtime is a declared
dependency, the classifiers name each Python version ``requires-python`` allows, and every
project URL is a real absolute address."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Optional parts: each needs its extra and says so when it is missing.
_OPTIONAL = ("testing/", "fastapi/", "demo/", "cli.py", "cli_offers.py", "auth/cli.py",
             "auth/loopback.py", "throttle/redis.py",
             # the SQL stores need the sql or postgres extra (docs/many-machines.md)
             "stores/_sql.py", "stores/sql_", "fleet/sql.py")


def _runtime_imports(path: Path) -> set[str]:
    """Top-level modules imported when ``path`` is imported (not under TYPE_CHECKING, not
    inside a function or a try)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_module_the_core_imports_is_a_declared_dependency() -> None:
    package = ROOT / "allegro_async"
    imported: set[str] = set()
    for path in package.rglob("*.py"):
        if not str(path.relative_to(package)).startswith(_OPTIONAL):
            imported |= _runtime_imports(path)
    third_party = imported - set(sys.stdlib_module_names) - {"allegro_async", "__future__"}
    distributions = importlib.metadata.packages_distributions()
    declared = {_name(r) for r in PROJECT["dependencies"]}
    for module in sorted(third_party):
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert names & declared, f"allegro_async imports {module} ({names}) undeclared"
    assert "typing_extensions" in third_party


def test_classifiers_name_each_supported_python_version() -> None:
    low = int(re.fullmatch(r">=3\.(\d+)", PROJECT["requires-python"]).group(1))  # type: ignore[union-attr]
    versions = {c.rsplit(" ", 1)[-1] for c in PROJECT["classifiers"]
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert versions == {f"3.{minor}" for minor in range(low, 14)}


def test_project_urls_are_absolute_https_addresses() -> None:
    urls = PROJECT.get("urls", {})
    assert urls, "the metadata names no URL"
    for label, url in urls.items():
        assert re.fullmatch(r"https://[a-z0-9.-]+\.[a-z]{2,}(/\S*)?", url), (label, url)


def test_the_dev_tools_stay_out_of_the_published_metadata() -> None:
    extras = PROJECT["optional-dependencies"]
    published = [r for reqs in extras.values() for r in reqs] + PROJECT["dependencies"]
    tools = {"pytest", "ruff", "mypy", "nox", "hypothesis", "schemathesis", "mkdocs"}
    assert "dev" not in extras
    assert not {_name(r) for r in published} & tools
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "dependency-groups"]
    assert tools <= {_name(r) for r in groups["dev"]}  # they are the dev group (PEP 735)
