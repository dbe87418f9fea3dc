"""AllegroApp.from_env and the warning for a second throttle of one Client ID (S1)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from allegro_async import AllegroApp, Throttle
from allegro_async.auth.tokens import FileTokenStore, MemoryTokenStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle.duplicates import DuplicateThrottleWarning

ENV = {"ALLEGRO_CLIENT_ID": "env-client", "ALLEGRO_CLIENT_SECRET": "env-secret-0123456789"}


async def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    environ = {**ENV, "ALLEGRO_ENVIRONMENT": "http://127.0.0.1:8123/",
               "ALLEGRO_TOKEN_FILE": str(tmp_path / "tokens.json"),
               "ALLEGRO_REDIRECT_URI": "http://127.0.0.1:9000/allegro/callback"}
    async with AllegroApp.from_env(environ) as app:
        assert app.flows.client_id == "env-client"
        assert app.environment.api_url == "http://127.0.0.1:8123"
        assert app.environment.authorize_url.startswith("http://127.0.0.1:8123/auth/oauth/")
        assert isinstance(app.store, FileTokenStore)
        assert app.store.path == tmp_path / "tokens.json"
        assert app.flows.redirect_uri == "http://127.0.0.1:9000/allegro/callback"
        assert "env-secret-0123456789" not in repr(app)


async def test_from_env_redis_url_shares_the_limit() -> None:
    pytest.importorskip("redis")
    from allegro_async.throttle.redis import RedisThrottle

    environ = {**ENV, "ALLEGRO_ENVIRONMENT": "sandbox",
               "ALLEGRO_REDIS_URL": "redis://127.0.0.1:1/0", "ALLEGRO_PROCESSES": "4"}
    async with AllegroApp.from_env(environ) as app:
        assert isinstance(app.throttle, RedisThrottle)
        assert app.environment.name == "sandbox"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(InvalidArgumentError, match="ALLEGRO_CLIENT_SECRET: is not set"):
        AllegroApp.from_env({"ALLEGRO_CLIENT_ID": "x"})
    with pytest.raises(InvalidArgumentError, match="ALLEGRO_ENVIRONMENT"):
        AllegroApp.from_env({**ENV, "ALLEGRO_ENVIRONMENT": "prod"})


async def test_keywords_override_the_environment() -> None:
    store = MemoryTokenStore()
    async with AllegroApp.from_env(ENV, store=store, client_id="other") as app:
        assert app.store is store and app.flows.client_id == "other"


async def test_a_second_live_app_for_one_client_id_warns_at_the_caller() -> None:
    first = AllegroApp("dup-client", "secret-a")
    with pytest.warns(DuplicateThrottleWarning, match="'dup-client'") as caught:
        second = AllegroApp("dup-client", "secret-a")
    assert caught[0].filename == __file__  # points at the code that built the app
    await second.aclose()
    await first.aclose()


async def test_apps_one_after_another_or_for_other_ids_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateThrottleWarning)
        for _ in range(3):
            async with AllegroApp("seq-client", "secret-a"):
                pass
        async with AllegroApp("id-one", "s"), AllegroApp("id-two", "s"):
            pass
        from allegro_async.testing import Emulator

        emulator = Emulator()  # an in-process transport: several apps are a test's choice
        async with AllegroApp(emulator.client_id, emulator.client_secret,
                              transport=emulator.transport()), \
                AllegroApp(emulator.client_id, emulator.client_secret,
                           transport=emulator.transport()):
            pass
        shared = Throttle(client_id="shared-client")
        async with AllegroApp("shared-client", "s", throttle=shared), \
                AllegroApp("shared-client", "s", throttle=shared):
            pass  # one throttle shared on purpose
