"""Runs a docs snippet against the emulator (used by tests/test_docs_snippets.py).

Every ```python block of the docs runs unless the line before it says why it cannot:
``<!-- snippet: no-run REASON: words -->``, with REASON one of :data:`REASONS`, each checked
to be still true (:func:`reason_problem`). A block runs with every ``AllegroClient`` pointed at
the emulator and the names the docs leave to the reader filled in (:data:`PROVIDED`). A block
headed ``# name.py`` for a file of the reader's (``# myapp.py``) becomes the module ``name``
for the blocks after it on the same page; a block defining ``async def test_*`` has each test
called with the plugin's fixtures (``allegro_emulator``, ``allegro_client``, ``allegro_app``,
``allegro_asgi``, ``allegro_server``, ``tmp_path``).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import sys
import time
import types
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

import allegro_async
from allegro_async import AllegroClient, errors
from allegro_async.testing import Emulator
from allegro_async.testing.pytest_plugin import emulator_app, lifespan_client

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
NO_RUN = re.compile(r"^<!-- snippet: no-run (\w+): (.+) -->$")
_HEAD = re.compile(r"^#\s*([\w/]+)\.py\b")

#: Why a block may not run, and how the reason is checked to be still true.
REASONS = {
    "fragment": "it uses names no block defines (the free names are checked to exist)",
    "library": "it quotes the library's code (a '# file.py' head naming a library file)",
    "server": "it serves until stopped (sleep(3600), serve_forever, uvicorn.run, run_cli)",
    "credentials": "it needs a real app's Client ID or a seller in a browser",
    "redis": "it needs a Redis or Valkey server",
    "endless": "it follows an event stream, which never ends",
    "emulator": "the emulator lacks what it calls (checked by running it: an APIError)",
    "raises": "it shows an error on purpose (checked by running it: it raises)",
    "broken": "a known mistake in the block, to be fixed (checked by running it: it fails)",
    "transport": "it brings its own http_client, which cannot be pointed at the emulator",
    "files": "it reads a file of the reader's (an image, a PDF, a CSV)",
}
#: The reasons checked by running the block, and what it must still raise.
RUN_TO_CHECK: dict[str, type[BaseException]] = {
    "emulator": errors.APIError, "raises": Exception, "broken": Exception,
}

#: Names the runner gives a block that uses them without defining them: the emulator, a
#: client, the package's public names and errors, a few stdlib imports, and placeholders the
#: text names (``ids``: two active offers of the first seller, ``form_id``/``form``: its new
#: order, ``app``/``flows``: an AllegroApp on the emulator and its OAuth flows, ``engine``: a
#: command engine).
_STDLIB = {"datetime", "timezone", "timedelta", "Path", "logging", "log", "json", "anyio",
           "httpx"}
_PLACEHOLDERS = {"seller_id", "ids", "offer_id", "form_id", "form", "app", "flows", "engine"}
PROVIDED = ({"token", "CLIENT_ID", "CLIENT_SECRET", "client", "emulator", "allegro_app"}
            | set(allegro_async.__all__)
            | {n for n in dir(errors) if n.endswith("Error")} | _STDLIB | _PLACEHOLDERS)


def _prelude(emulator: Emulator) -> dict[str, Any]:
    import datetime as dt
    import json
    import logging

    import httpx

    names: dict[str, Any] = {n: getattr(allegro_async, n) for n in allegro_async.__all__}
    names.update({n: getattr(errors, n) for n in dir(errors) if n.endswith("Error")})
    names.update(datetime=dt.datetime, timezone=dt.timezone, timedelta=dt.timedelta, Path=Path,
                 logging=logging, log=logging.getLogger("snippet"), json=json, anyio=anyio,
                 httpx=httpx)
    seller = emulator.sellers[0].id
    active = [o for o, offer in emulator.offers.offers_of(seller).items()
              if offer.get("publication", {}).get("status") == "ACTIVE"]
    names.update(seller_id=seller, ids=active[:2], offer_id=active[0],
                 form_id=emulator.orders.new_order(0))
    return names


def free_names(tree: ast.AST) -> set[str]:
    """Names a block reads but never binds (neither assigned, imported, defined, nor a
    parameter), builtins aside."""
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return read - bound - set(dir(builtins))


def reason_problem(reason: str, source: str, tree: ast.AST) -> str | None:
    """Why the stated reason no longer holds (the block should run), or ``None``."""
    if reason not in REASONS:
        return f"unknown reason {reason!r}; use one of {sorted(REASONS)}"
    if reason == "fragment":
        missing = free_names(tree) - PROVIDED
        return None if missing else "every name it uses is defined or provided: run it"
    if reason == "library":
        head = _HEAD.match(source)
        rel = head.group(1) if head else ""
        path = ROOT / (rel if rel.startswith("allegro_async/") else f"allegro_async/{rel}")
        return None if head and path.with_suffix(".py").exists() else "quotes no library file"
    if reason == "server":
        marks = ("sleep(3600)", "serve_forever", "uvicorn.run(", "run_cli(", ".serve()")
        return None if any(m in source for m in marks) else "it does not serve forever"
    if reason == "credentials":
        marks = ("from_env(", "device_flow", "browser_login", "authorization_url",
                 "exchange_code", "allegro-async login", "load_token(")
        return None if any(m in source for m in marks) else "it uses no real credentials"
    if reason in RUN_TO_CHECK:
        return None  # checked by running the block
    if reason == "transport":
        return None if "http_client=" in source else "it brings no http_client"
    if reason == "files":
        named = re.search(r"[\"'][\w./-]+\.(?:jpg|jpeg|png|pdf|csv)[\"']", source)
        return None if named else "it names no file of the reader's"
    if reason == "endless":
        endless = "async for" in source and ("stream" in source or "events(" in source)
        return None if endless else "it follows no stream"
    return None if "redis" in source.lower() else "it does not use Redis"


def _emulated(emulator: Emulator) -> Callable[..., AllegroClient]:
    def make(*args: Any, **kwargs: Any) -> AllegroClient:
        kwargs.pop("access_token", None)
        kwargs.pop("environment", None)
        return emulator.client(0, **kwargs)

    return make


@asynccontextmanager
async def _fixtures(emulator: Emulator, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """The plugin's fixtures, as a test of the reader's would get them."""
    from allegro_async.testing.server import serve_in_thread

    async with AsyncExitStack() as stack:
        app = await stack.enter_async_context(emulator_app(emulator))
        client = await stack.enter_async_context(emulator.client(0))
        served: list[str] = []

        def server() -> str:
            if not served:
                served.append(stack.enter_context(serve_in_thread(emulator)))
            return served[0]

        yield {
            "allegro_emulator": emulator, "allegro_client": client, "allegro_app": app,
            "allegro_asgi": lambda asgi, **kw: lifespan_client(asgi, app, **kw),
            "allegro_server": server, "tmp_path": tmp_path,
        }


async def _call_tests(namespace: dict[str, Any], emulator: Emulator, tmp_path: Path) -> int:
    tests = [f for n, f in namespace.items()
             if n.startswith("test_") and inspect.iscoroutinefunction(f)]
    for test in tests:
        async with _fixtures(emulator, tmp_path) as fixtures:
            kwargs = {}
            for name in inspect.signature(test).parameters:
                value = fixtures[name]
                kwargs[name] = value() if name == "allegro_server" else value
            await test(**kwargs)
    return len(tests)


#: Seconds a block may take in the event loop (the slowest take about 3).
LIMIT = 60
_IN_DIR = re.compile(r"^#\s*(\w+\.py), in ([\w/]+)")


def run(source: str, name: str, page_modules: dict[str, str], emulator: Emulator,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run one block (after the reader's modules of its page), in ``tmp_path``. A block headed
    ``# script.py, in some/dir`` runs as that script would (``some/dir`` on ``sys.path``, its
    ``__file__`` in ``tmp_path``); a wait of a minute or more (``time.sleep(3600)``: "now try
    it") returns at once."""
    emulated = _emulated(emulator)
    monkeypatch.setattr(allegro_async, "AllegroClient", emulated)
    monkeypatch.chdir(tmp_path)
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: None if s >= 60 else real_sleep(s))
    for module_name, module_source in page_modules.items():
        module = types.ModuleType(module_name)
        module.__dict__["AllegroClient"] = emulated
        monkeypatch.setitem(sys.modules, module_name, module)
        exec(compile(module_source, f"{module_name}.py", "exec"), module.__dict__)
    namespace: dict[str, Any] = {
        **_prelude(emulator), "__name__": "__snippet__", "token": emulator.mint_token(0),
        "CLIENT_ID": emulator.client_id, "CLIENT_SECRET": emulator.client_secret,
        "AllegroClient": emulated, "emulator": emulator,
    }
    script = _IN_DIR.match(source)
    if script is not None:
        monkeypatch.syspath_prepend(str(ROOT / script.group(2)))
        namespace["__file__"] = str(tmp_path / script.group(1))
    code = compile(source, name, "exec", flags=FLAGS)

    async def main() -> None:
        with anyio.fail_after(LIMIT):  # a block that waits forever fails instead of hanging
            await in_loop()

    async def in_loop() -> None:
        async with emulator.client(0) as client, emulator_app(emulator) as app:
            namespace.setdefault("client", client)
            namespace.setdefault("allegro_app", app)
            # the auth page's "app" is an AllegroApp (FastAPI blocks make their own app)
            namespace.setdefault("app", app)
            namespace.setdefault("flows", app.flows)
            namespace.setdefault("engine", client.offers.commands())
            if "form" in free_names(ast.parse(source)):
                namespace.setdefault("form", await client.orders.get(namespace["form_id"]))
            result = eval(code, namespace)  # our own docs
            if inspect.iscoroutine(result):
                await result
            namespace["_tests_run"] = await _call_tests(namespace, emulator, tmp_path)

    async def tests_only() -> None:
        with anyio.fail_after(LIMIT):
            namespace["_tests_run"] = await _call_tests(namespace, emulator, tmp_path)

    if code.co_flags & inspect.CO_COROUTINE or free_names(ast.parse(source)) & PROVIDED:
        anyio.run(main)  # top-level await, or the loop's client is used
    else:
        exec(code, namespace)  # a script: it runs its own event loop, if any
        anyio.run(tests_only)
    return namespace
