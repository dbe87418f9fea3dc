"""pytest fixtures for testing apps against the Allegro emulator (registered automatically
through the ``pytest11`` entry point when allegro-async is installed).

- ``allegro_emulator``: a fresh :class:`~allegro_async.testing.Emulator` per test, configured by
  the ``allegro_emulator`` marker (``@pytest.mark.allegro_emulator(time_scale=60)``) or by
  overriding the ``allegro_emulator_config`` fixture;
- ``allegro_client``: an :class:`~allegro_async.AllegroClient` for seller 0, in-process;
- ``allegro_server``: the same emulator over real HTTP (uvicorn on 127.0.0.1, a free port), as
  its base URL, for code that builds its own HTTP client or runs in another thread;
- ``allegro_app``: an :class:`~allegro_async.AllegroApp` wired to the emulator in-process, its
  token store holding a fresh token pair for every emulator seller (multi-seller apps);
- ``allegro_asgi``: ``async with allegro_asgi(fastapi_app) as http:`` runs the app's
  lifespan on ``allegro_app`` (``allegro_lifespan`` uses it instead of ``from_env()``) and
  gives an httpx client calling the app in-process.

The plugin is loaded by pytest in every project where allegro-async is installed, so it imports
nothing optional itself: the emulator (Starlette, uvicorn) is imported when a fixture is first
used, and a fixture used without the ``emulator`` extra fails saying which extra to install.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from allegro_async.testing import EmulatorNotInstalledError, load_emulator

if TYPE_CHECKING:
    from allegro_async._http import httpx
    from allegro_async.auth.app import AllegroApp
    from allegro_async.client import AllegroClient
    from allegro_async.testing.emulator.core import Emulator, EmulatorConfig
    from allegro_async.testing.postgres_server import RunningPostgres

try:  # async fixtures need pytest-asyncio; its decorator also works in strict mode
    import pytest_asyncio
except ImportError:  # pragma: no cover - without pytest-asyncio only sync fixtures exist
    pytest_asyncio = None  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        "allegro_emulator(**settings): EmulatorConfig fields for the allegro_emulator fixture",
    )


def _emulator(module: str) -> Any:
    """The emulator module, or a test failure naming the extra to install."""
    try:
        return load_emulator(module)
    except EmulatorNotInstalledError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def allegro_postgres() -> Iterator[RunningPostgres]:
    """A private PostgreSQL server for the session (a temp cluster on 127.0.0.1, a random
    password), stopped and removed afterwards."""
    import os

    from allegro_async.testing.postgres_server import PostgresNotFoundError, serve_postgres

    try:
        server = serve_postgres()
        running = server.__enter__()
    except PostgresNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI installs the dev group, so this is a broken install)")
        pytest.skip(str(exc))
    try:
        yield running
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def allegro_postgres_dsn(allegro_postgres: RunningPostgres) -> str:
    """``postgresql://postgres:<password>@127.0.0.1:<port>/postgres`` of ``allegro_postgres``."""
    return allegro_postgres.dsn


@pytest.fixture
def allegro_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """The emulator's settings: the ``allegro_emulator`` marker's keywords over defaults.
    Override this fixture to set them for a whole module or project."""
    config_cls = _emulator("allegro_async.testing.emulator.core").EmulatorConfig
    settings: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("allegro_emulator"))):
        settings.update(marker.kwargs)  # the closest marker wins
    config: EmulatorConfig = config_cls(**settings)
    return config


@pytest.fixture
def allegro_emulator(allegro_emulator_config: EmulatorConfig) -> Emulator:
    """A fresh in-memory Allegro for one test."""
    emulator: Emulator = _emulator("allegro_async.testing.emulator.core").Emulator(
        allegro_emulator_config
    )
    return emulator


@pytest.fixture
def allegro_server(allegro_emulator: Emulator) -> Iterator[str]:
    """``allegro_emulator`` served over HTTP from a background thread; the base URL. Stopped
    after the test."""
    serve_in_thread = _emulator("allegro_async.testing.server").serve_in_thread
    with serve_in_thread(allegro_emulator) as url:
        yield url


@asynccontextmanager
async def emulator_app(emulator: Emulator) -> AsyncIterator[AllegroApp]:
    """An :class:`~allegro_async.AllegroApp` on ``emulator`` (in-process: its Client ID and
    secret, its clock), its store holding a fresh token pair for every emulator seller; closed
    on exit. What the ``allegro_app`` fixture gives, for code outside pytest."""
    from allegro_async.auth.app import AllegroApp
    from allegro_async.auth.tokens import MemoryTokenStore, Token

    def now() -> float:
        return emulator.clock.now().timestamp()

    app = AllegroApp(
        emulator.client_id, emulator.client_secret,
        store=MemoryTokenStore(), environment=emulator.environment(),
        transport=emulator.transport(), clock=now,
        redirect_uri=emulator.config.redirect_uris[0],
    )
    async with app:
        for seller in emulator.sellers:
            pair = emulator.oauth.issue_pair(seller.id)
            await app.add_seller(Token.from_response(pair, now=now(), environment="custom"))
        yield app


@asynccontextmanager
async def lifespan_client(
    asgi_app: Any, allegro: AllegroApp, *, base_url: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``asgi_app``'s lifespan with ``allegro`` as the app that
    :func:`~allegro_async.fastapi.allegro_lifespan` opens (instead of its factory, e.g.
    ``from_env()``), and give an httpx client that calls the app in-process. ``allegro`` is
    not closed here: its owner closes it. What the ``allegro_asgi`` fixture gives."""
    from allegro_async._http import httpx

    asgi_app.state.allegro_override = allegro
    try:
        async with asgi_app.router.lifespan_context(asgi_app), httpx.AsyncClient(
                transport=httpx.ASGITransport(asgi_app), base_url=base_url) as http:
            yield http
    finally:
        asgi_app.state.allegro_override = None


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def allegro_client(allegro_emulator: Emulator) -> AsyncIterator[AllegroClient]:
        """An AllegroClient for the emulator's first seller, in-process (no sockets)."""
        async with allegro_emulator.client(0) as client:
            yield client

    @pytest_asyncio.fixture
    async def allegro_app(allegro_emulator: Emulator) -> AsyncIterator[AllegroApp]:
        """An AllegroApp for the emulator (in-process, the emulator's Client ID and secret,
        its clock) whose store holds a token pair for every seller: ``await
        allegro_app.sellers()`` lists their ids, ``allegro_app.seller(id)`` acts as one."""
        async with emulator_app(allegro_emulator) as app:
            yield app

    @pytest_asyncio.fixture
    async def allegro_asgi(
        allegro_app: AllegroApp,
    ) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
        """Test a FastAPI app with its lifespan: ``async with allegro_asgi(app) as http:``
        runs ``app``'s lifespan with ``allegro_app`` in place of the app that
        :func:`~allegro_async.fastapi.allegro_lifespan` would build (no ``ALLEGRO_*``
        variables needed), and gives an httpx client calling ``app`` in-process::

            async def test_orders(allegro_asgi, allegro_emulator):
                async with allegro_asgi(app) as http:
                    seller = allegro_emulator.sellers[0].id
                    assert (await http.get(f"/sellers/{seller}/orders")).status_code == 200
        """

        def run(asgi_app: Any, **options: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
            return lifespan_client(asgi_app, allegro_app, **options)

        return run
