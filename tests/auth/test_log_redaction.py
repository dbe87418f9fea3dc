"""Secrets are scrubbed from logs by filters on the library's, httpx's and httpcore's loggers,
and importing the library leaves the process's logging (record factory, root) untouched."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

import allegro_async
from allegro_async import AllegroClient, Environment, _redact
from allegro_async.auth.flows import OAuthFlows
from allegro_async.testing import Emulator
from allegro_async.testing.server import serve

IMPORT_EVERYTHING = """
import json, logging
root = logging.getLogger()
before = (logging.getLogRecordFactory(), list(root.handlers), list(root.filters), root.level)
import allegro_async, allegro_async.auth.app, allegro_async.auth.cli, allegro_async.testing
from allegro_async import AllegroApp, FileTokenStore, RefreshingAuth
after = (logging.getLogRecordFactory(), list(root.handlers), list(root.filters), root.level)
print(json.dumps({"unchanged": before == after,
                  "factory": logging.getLogRecordFactory() is logging.LogRecord,
                  "httpcore_filtered": bool(logging.getLogger("httpcore.http11").filters)}))
"""


def test_importing_the_library_changes_no_process_wide_logging_state() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "unchanged": True, "factory": True, "httpcore_filtered": True,
    }


@pytest.fixture
def root_handler() -> Iterator[io.StringIO]:
    """A real handler on the root logger at DEBUG, as an application would configure."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_secrets_in_httpx_httpcore_and_library_records_are_scrubbed(
    root_handler: io.StringIO, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator = Emulator()
    async with serve(emulator) as url:
        env = Environment.custom(url)
        flows = OAuthFlows(emulator.client_id, emulator.client_secret, environment=env,
                           redirect_uri="http://127.0.0.1/callback")
        async with flows:  # over the network: httpcore's own loggers log the traffic
            request = flows.authorization_url()
            redirect = await flows.follow_authorization(request)  # httpcore logs `location`
            code = redirect.split("code=", 1)[1].split("&", 1)[0]
            token = await flows.finish_authorization(redirect, request)
        async with AllegroClient(token.access_token, environment=env) as client:
            await client.request("GET", "/me")
        logging.getLogger("allegro_async").debug("using %s", token.access_token)
    secrets = [code, token.access_token, str(token.refresh_token), emulator.client_secret]
    names = {r.name for r in caplog.records}
    assert {"httpx", "httpcore.connection", "httpcore.http11", "allegro_async"} <= names
    for text in (root_handler.getvalue(), caplog.text):
        assert not [s[:6] for s in secrets if s in text]
    # the redirect's code was in httpcore's record, scrubbed where it was made
    assert any(r.name == "httpcore.http11" and "code=***" in r.getMessage()
               for r in caplog.records)
    assert logging.getLogRecordFactory() is logging.LogRecord


@pytest.fixture
def app_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """An application's logger ``shop`` with a real handler, and no filters left behind."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    shop = logging.getLogger("shop")
    shop.addHandler(handler)
    shop.setLevel(logging.DEBUG)
    shop.propagate = False
    try:
        yield shop, out
    finally:
        shop.removeHandler(handler)
        shop.removeFilter(_redact._FILTER)
        shop.propagate = True


def test_redact_logs_scrubs_records_of_child_loggers_at_the_handler(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    shop, out = app_logger
    secret = f"CANARY-app-{uuid.uuid4().hex}"
    _redact.register(secret)
    logging.getLogger("shop.sync").warning("before: %s", secret)
    assert secret in out.getvalue()  # an application's own logger is its own business...
    installed = allegro_async.redact_logs("shop")
    assert allegro_async.redact_logs(shop) is installed  # idempotent: one filter each
    assert shop.filters.count(installed) == 1 == shop.handlers[0].filters.count(installed)
    out.seek(0)
    out.truncate()
    # ...until it asks: a child's record propagates past shop's filter to shop's handler
    logging.getLogger("shop.sync").warning("after: %s", secret)
    shop.info("direct: %s", secret)
    assert out.getvalue() == "after: ***\ndirect: ***\n"


def test_redact_logs_defaults_to_the_root_loggers_handlers(root_handler: io.StringIO) -> None:
    root = logging.getLogger()
    handler = root.handlers[-1]
    secret = f"CANARY-root-{uuid.uuid4().hex}"
    _redact.register(secret)
    try:
        allegro_async.redact_logs()
        logging.getLogger("some.app.module").error("failed with %s", secret)
    finally:
        handler.removeFilter(_redact._FILTER)
        root.removeFilter(_redact._FILTER)
    assert root_handler.getvalue() == "some.app.module failed with ***\n"
