"""The auth stack has no POSIX-only import: it loads and works where ``fcntl`` does not exist
(Windows), with :mod:`filelock` choosing the platform's file lock."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

# Run in a fresh interpreter with ``fcntl`` made unimportable, as on Windows.
WITHOUT_FCNTL = """
import sys
sys.modules["fcntl"] = None
import json, anyio
import allegro_async.auth
from allegro_async import AllegroApp, FileTokenStore, MemoryTokenStore, RefreshingAuth, Token
from allegro_async.auth.cli import login
from allegro_async.auth.loopback import browser_login

async def main(path):
    store = FileTokenStore(path)
    async with store.lock("seller-1"):
        await store.save("seller-1", Token("a.b.c", "refresh-123456", expires_at=1.0))
    loaded = await store.load("seller-1")
    print(json.dumps({"fcntl": sys.modules["fcntl"] is None,
                      "loaded": loaded is not None and loaded.refresh_token == "refresh-123456"}))

anyio.run(main, sys.argv[1])
"""


def test_auth_stack_imports_and_stores_tokens_without_fcntl(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_FCNTL, str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"fcntl": True, "loaded": True}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

