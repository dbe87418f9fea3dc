"""The lifespan: one :class:`~allegro_async.AllegroApp` (one throttle, one connection
pool) per process, opened at startup and closed at shutdown with everything it started."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from typing_extensions import Unpack

from allegro_async.auth.app import AllegroApp
from allegro_async.consumers import Backoff, EventConsumers, EventHandler
from allegro_async.cursors import CursorStore
from allegro_async.errors import InvalidArgumentError
from allegro_async.services.events import StreamOptions

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def allegro_lifespan(
    factory: Callable[[], AllegroApp | Awaitable[AllegroApp]] | None = None,
    *,
    events: EventHandler | None = None,
    cursor_stores: Callable[[str], CursorStore] | None = None,
    sellers: Iterable[str] | None = None,
    backoff: Backoff | None = None,
    then: Lifespan | None = None,
    **stream_options: Unpack[StreamOptions],
) -> Lifespan:
    """A FastAPI ``lifespan`` that opens one app for the whole process::

        app = FastAPI(lifespan=allegro_lifespan(events=handle,
                                                cursor_stores=lambda s: FileCursorStore(s)))

    ``factory`` builds the app (default :meth:`AllegroApp.from_env`). With ``events``, an
    :class:`~allegro_async.consumers.EventConsumers` follows every seller's order events
    (``sellers``, ``cursor_stores``, ``backoff`` and ``stream_options`` go to it). ``then`` is
    your own lifespan, run inside (the app is ready in it). The open app runs its recovery
    sweep (``AllegroApp(recover_every=...)``: pairs held in memory whose refresh another
    worker abandoned are renewed within A5's grace). At shutdown: your lifespan ends, the
    consumers stop (each handled event committed), then the sweep stops and the pool closes.
    Routes reach the app with :func:`get_allegro` (``request.app.state.allegro``).

    In tests, the ``allegro_asgi`` pytest fixture runs this lifespan on the emulator's app
    instead of the factory (``app.state.allegro_override``), so no ``ALLEGRO_*`` variable is
    needed.
    """

    @asynccontextmanager
    async def lifespan(fastapi_app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            allegro = getattr(fastapi_app.state, "allegro_override", None)
            if not isinstance(allegro, AllegroApp):  # set by tests: the owner closes it
                made = factory() if factory is not None else AllegroApp.from_env()
                allegro = await made if isinstance(made, Awaitable) else made
                await stack.enter_async_context(allegro)
            fastapi_app.state.allegro = allegro
            fastapi_app.state.allegro_consumers = None
            if events is not None:
                fastapi_app.state.allegro_consumers = await stack.enter_async_context(
                    EventConsumers(allegro, events, sellers=sellers, cursor_stores=cursor_stores,
                                   backoff=backoff, **stream_options)
                )
            if then is not None:
                await stack.enter_async_context(then(fastapi_app))
            try:
                yield
            finally:
                fastapi_app.state.allegro = None
                fastapi_app.state.allegro_consumers = None

    return lifespan


async def get_allegro(request: Request) -> AllegroApp:
    """Dependency: the process's :class:`~allegro_async.AllegroApp` (from the lifespan).

    ``async`` on purpose, as every dependency here: FastAPI runs a plain ``def`` dependency
    in a worker thread, a thread hand-off per request for a dictionary lookup."""
    allegro = getattr(request.app.state, "allegro", None)
    if not isinstance(allegro, AllegroApp):
        raise InvalidArgumentError(
            "lifespan", "no AllegroApp is running for this FastAPI app",
            "create it as FastAPI(lifespan=allegro_lifespan(...)), or override get_allegro in "
            "app.dependency_overrides",
        )
    return allegro


async def get_consumers(request: Request) -> EventConsumers:
    """Dependency: the event consumers the lifespan started (``events=`` given)."""
    consumers = getattr(request.app.state, "allegro_consumers", None)
    if not isinstance(consumers, EventConsumers):
        raise InvalidArgumentError(
            "events", "the lifespan runs no event consumers",
            "pass events=handler to allegro_lifespan(...)",
        )
    return consumers


#: ``allegro: AllegroState`` in a route's parameters gives the app.
AllegroState = Annotated[AllegroApp, Depends(get_allegro)]
#: ``consumers: ConsumersState`` gives the running event consumers.
ConsumersState = Annotated[EventConsumers, Depends(get_consumers)]
