"""nox sessions: tests, lint, typecheck, docs, bench, generate."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (what the README's second command runs)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs, warnings as errors."""
    session.install("-e", ".[dev]")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in benchmarks/, each printing its table."""
    session.install("-e", ".[dev]")
    import pathlib

    for script in sorted(pathlib.Path("benchmarks").glob("*.py")):
        if not script.name.startswith("_"):
            session.run("python", str(script), *session.posargs)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate allegro_async/api/ and docs/api-reference/ from Allegro's spec.

    ``nox -s generate -- --spec URL`` reads another spec; ``-- --check`` only reports files
    that are out of date (exit 1).
    """
    session.install("-e", ".[dev]")
    session.run("python", "-m", "tools.apigen", *session.posargs)
