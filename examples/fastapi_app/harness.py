"""Run the example backend under real uvicorn against a served emulator: used by its tests
(tests/fastapi/test_example_app.py) and by benchmarks/fastapi_backend.py.

The listening socket is bound here and handed to uvicorn (``--fd``), so there is no race for
the port and the first request simply waits in the backlog until the app is ready.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from allegro_async.auth.tokens import FileTokenStore, Token
from allegro_async.testing import Emulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def write_tokens(emulator: Emulator, path: Path) -> list[str]:
    """Save a fresh token pair for every emulator seller in a token file; their ids."""
    store = FileTokenStore(path)
    now = emulator.clock.now().timestamp()

    async def save() -> None:
        for seller in emulator.sellers:
            pair = emulator.oauth.issue_pair(seller.id)
            await store.save(seller.id, Token.from_response(pair, now=now,
                                                            environment="custom"))

    anyio.run(save)
    return [seller.id for seller in emulator.sellers]


def backend_env(emulator: Emulator, base_url: str, data: Path,
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the backend reads (AllegroApp.from_env and EXAMPLE_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLEGRO_", "EXAMPLE_"))}
    env.update({
        "ALLEGRO_CLIENT_ID": emulator.client_id,
        "ALLEGRO_CLIENT_SECRET": emulator.client_secret,
        "ALLEGRO_ENVIRONMENT": base_url,
        "ALLEGRO_TOKEN_FILE": str(data / "tokens.json"),
        "ALLEGRO_REDIRECT_URI": emulator.config.redirect_uris[0],
        "EXAMPLE_DATA_DIR": str(data),
        # The worktree's package, not whatever else is installed.
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        # Shutdown must leave nothing unclosed: a leaked file or socket would print this.
        "PYTHONWARNINGS": "error::ResourceWarning",
    })
    env.update(extra or {})
    return env


@dataclass
class Backend:
    """One backend process; ``url`` is where it listens."""

    process: subprocess.Popen[bytes]
    url: str
    stderr_path: Path
    _closed: bool = field(default=False, repr=False)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup (a crash)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager stops it: uvicorn runs the lifespan's shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def listening_socket(backlog: int = 2048) -> tuple[socket.socket, str]:
    """A socket listening on a free 127.0.0.1 port, and its base URL (known before the
    backend starts: the redirect URI must name it, S4)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    host, port = sock.getsockname()[:2]
    return sock, f"http://{host}:{port}"


def start_backend(env: Mapping[str, str], log: Path, *, workers_backlog: int = 2048,
                  sock: socket.socket | None = None) -> Backend:
    """Start ``uvicorn main:app`` with ``env`` on ``sock`` (default: a free 127.0.0.1 port)."""
    if sock is None:
        sock, url = listening_socket(workers_backlog)
    else:
        host, port = sock.getsockname()[:2]
        url = f"http://{host}:{port}"
    with log.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, str(Path(__file__)), str(sock.fileno())],
            env=dict(env), cwd=str(ROOT), pass_fds=[sock.fileno()], stdout=err, stderr=err,
        )
    sock.close()  # the child holds its own copy
    return Backend(process, url, log)


def _serve(fd: int) -> None:
    """The child: uvicorn on the inherited socket ``fd``; after a SIGTERM shutdown, collect
    garbage while warnings still work, so a file or socket left open anywhere prints its
    ``ResourceWarning`` (an error here) and the tests see it."""
    import gc

    import uvicorn

    # uvicorn re-raises the signal it stopped on once it is done; a handler of our own takes
    # it instead of the default (which would end the process before the collection).
    signal.signal(signal.SIGTERM, lambda *_: None)
    sys.path.insert(0, str(HERE))  # what uvicorn's --app-dir does
    config = uvicorn.Config("main:app", fd=fd, log_level="info", access_log=False,
                            timeout_graceful_shutdown=20)
    uvicorn.Server(config).run()
    gc.collect()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
