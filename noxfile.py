"""nox sessions: tests, lint, typecheck, docs, bench, generate, lock.

Every session installs the dev tools pinned by ``constraints/dev.txt`` (what ``.ci/run`` uses
too), so a new release of a plugin cannot change a result between two commits. ``nox -s lock``
re-resolves the pins after a change to ``pyproject.toml``.
"""

from __future__ import annotations

import pathlib

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True

CONSTRAINTS = "constraints/dev.txt"


def _install_dev(session: nox.Session) -> None:
    session.install("-U", "pip>=25.1")  # dependency groups (PEP 735)
    session.install("-c", CONSTRAINTS, "-e", ".[all]", "--group", "dev")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (what the README's second command runs)."""
    _install_dev(session)
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, at the pinned version."""
    session.install("-c", CONSTRAINTS, "ruff")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    _install_dev(session)
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs, warnings as errors (no --quiet: it drops warnings before strict counts)."""
    _install_dev(session)
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in benchmarks/, each printing its table."""
    _install_dev(session)
    for script in sorted(pathlib.Path("benchmarks").glob("*.py")):
        if not script.name.startswith("_"):
            session.run("python", str(script), *session.posargs)


@nox.session
def lock(session: nox.Session) -> None:
    """Re-resolve constraints/dev.txt from pyproject.toml (every supported Python at once)."""
    session.install("uv")
    session.run(
        "uv", "pip", "compile", "pyproject.toml", "--extra", "all", "--group", "dev",
        "--universal", "--python-version", "3.10", "-o", CONSTRAINTS, *session.posargs,
    )


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate allegro_async/api/ and docs/api-reference/ from Allegro's spec.

    ``nox -s generate -- --spec URL`` reads another spec; ``-- --check`` only reports files
    that are out of date (exit 1).
    """
    _install_dev(session)
    session.run("python", "-m", "tools.apigen", *session.posargs)
