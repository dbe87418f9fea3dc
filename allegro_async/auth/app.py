"""``AllegroApp``: one registered app (Client ID, connection pool, throttle) serving many
sellers, each with its own token pair from one :class:`TokenStore`. The ``ALLEGRO_*`` variables
that :meth:`AllegroApp.from_env` reads are checked in ``auth/_env.py`` (:data:`ENV_VARIABLES`)."""

from __future__ import annotations

import os
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from allegro_async._http import AsyncBaseTransport
from allegro_async._redact import Secret
from allegro_async.auth._env import ENV_VARIABLES as ENV_VARIABLES
from allegro_async.auth._env import MAX_PROCESSES as MAX_PROCESSES
from allegro_async.auth._env import _env_options
from allegro_async.auth._env import environment_from_env as environment_from_env
from allegro_async.auth._env import token_file_from_env as token_file_from_env
from allegro_async.auth._sweep import RecoverEvery, RecoverySweep, sweep_interval
from allegro_async.auth.flows import OAuthFlows
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import (
    ListableTokenStore,
    MemoryTokenStore,
    Token,
    TokenStore,
)
from allegro_async.client import AllegroClient
from allegro_async.config import Environment
from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle import Throttle, duplicates


class AllegroApp:
    """One app, many sellers. ``app.seller(seller_id)`` is a view of one shared
    :class:`~allegro_async.AllegroClient` (same pool, same throttle) whose auth reads and
    refreshes that seller's token in ``store``::

        async with AllegroApp(client_id, client_secret, store=FileTokenStore("tokens.json")) as app:
            token = await app.flows.device_flow(on_prompt=show)
            seller_id = await app.add_seller(token)
            orders = await app.seller(seller_id).request("GET", "/order/checkout-forms")

    Token requests go to the environment's auth base (A3) through the same transport as the
    API calls. ``refresh_retries``: see :class:`~allegro_async.auth.httpx_auth.RefreshingAuth`.
    ``max_cached_sellers`` bounds the per-seller auths kept (least recently used go first).
    Extra keywords go to :class:`~allegro_async.AllegroClient` (``throttle``,
    ``retry``, ``timeout``...).

    While the app is open (``async with``) and its store records refresh intents (the Redis
    and SQL stores), a background sweep renews, within A5's grace, the pairs held in memory
    whose refresh another process began and never saved (it died before its save): it reads
    the store for every seller held once per ``recover_every`` seconds (``"auto"``: half the
    store's ``lock_ttl``; 1 to 20; ``None``: off) and runs ``RefreshingAuth.recover()`` for
    those flagged. ``app.recovery`` counts; ``recover_sleep`` waits between its reads (fake
    it in tests). Timing: docs/many-machines.md.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str | Secret[str],
        *,
        store: TokenStore | None = None,
        environment: Environment | str = "production",
        redirect_uri: str | None = None,
        transport: AsyncBaseTransport | None = None,
        refresh_margin: float = 300.0,
        refresh_retries: int = 2,
        max_cached_sellers: int = 1024,
        clock: Callable[[], float] = time.time,
        recover_every: RecoverEvery = "auto",
        recover_sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        **client_options: Any,
    ) -> None:
        client_secret = Secret.wrap(client_secret)  # from here no local holds it bare
        if max_cached_sellers < 1:
            raise InvalidArgumentError(
                "max_cached_sellers", f"{max_cached_sellers} is below 1",
                "give how many sellers' auths to keep in memory (e.g. 1024)",
            )
        self.environment = Environment.coerce(environment)
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self._recover_every = sweep_interval(self.store, recover_every)
        self._recover_sleep = recover_sleep
        #: The recovery sweep while the app is open (``None`` when off, or the store records
        #: no refresh intents).
        self.recovery: RecoverySweep | None = None
        self._own_throttle: Throttle | None = None
        if client_options.get("throttle") is None and "http_client" not in client_options:
            # The app's own throttle names its Client ID when its requests go to the network:
            # a second live one in this process (an app built per request) then warns, see
            # allegro_async.throttle.duplicates. With a transport of its own (the in-process
            # emulator, a mock) no real limit can be hit, and tests build several on purpose.
            client_options["throttle"] = Throttle(
                client_id=client_id if transport is None else None
            )
            self._own_throttle = client_options["throttle"]
        #: The app-wide throttle (``None`` when throttling is off or an http_client was given).
        self.throttle: Throttle | None = (
            client_options["throttle"] if isinstance(client_options.get("throttle"), Throttle)
            else None
        )
        self.client = AllegroClient(
            environment=self.environment, transport=transport, **client_options
        )
        # The token requests share the client's transport stack (pool, throttle) but not its
        # auth: a token request never carries a bearer.
        self.flows = OAuthFlows(
            client_id, client_secret, environment=self.environment,
            redirect_uri=redirect_uri, transport=self.client.transport, clock=clock,
        )
        self._margin = refresh_margin
        self._refresh_retries = refresh_retries
        self._clock = clock
        self.max_cached_sellers = max_cached_sellers
        # LRU: an app serving many sellers (ids from requests, webhooks) must not keep one
        # auth per id it ever saw. An evicted auth still works for views that hold it; a new
        # one for the same seller re-reads the store, whose lock(key) keeps refreshes single.
        self._auths: OrderedDict[str, RefreshingAuth] = OrderedDict()
        # Every auth still in use, evicted or not (a consumer's stream keeps its own): the
        # recovery sweep covers them all.
        self._live: weakref.WeakSet[RefreshingAuth] = weakref.WeakSet()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **options: Any
    ) -> AllegroApp:
        """An app configured from the ``ALLEGRO_*`` environment variables of
        :data:`ENV_VARIABLES` (``os.environ`` unless ``environ``), the same ones
        ``allegro-async login`` reads:

        - ``ALLEGRO_CLIENT_ID``, ``ALLEGRO_CLIENT_SECRET`` (required);
        - ``ALLEGRO_ENVIRONMENT``: ``production`` (default), ``sandbox``, an https URL on
          allegro.pl or allegrosandbox.pl, or an http URL on loopback (an emulator: API and
          OAuth on one host);
        - ``ALLEGRO_TOKEN_FILE``: a :class:`~allegro_async.auth.tokens.FileTokenStore` path
          (default: tokens in memory);
        - ``ALLEGRO_REDIS_URL``: a :class:`~allegro_async.throttle.redis.RedisThrottle` shared by
          ``ALLEGRO_PROCESSES`` processes (1 to 100, default 1) instead of a throttle per process;
        - ``ALLEGRO_REDIRECT_URI``: the registered redirect URI (S4) for the code flow (https,
          or http on loopback).

        A missing or bad value raises :class:`~allegro_async.errors.InvalidArgumentError`
        naming the variable and the fix. Keywords override what the variables give
        (``store=``, ``throttle=``...)::

            app = AllegroApp.from_env()          # at startup, once per process
        """
        return cls(**_env_options(os.environ if environ is None else environ, options))

    def __repr__(self) -> str:
        if not hasattr(self, "_auths"):  # shown in the locals of a failed __init__
            return "<AllegroApp (not set up)>"
        return f"<AllegroApp {self.flows.client_id!r} {self.environment.name} " \
               f"cached_sellers={len(self._auths)}>"

    async def __aenter__(self) -> AllegroApp:
        if self._recover_every is not None and self.recovery is None:
            self.recovery = RecoverySweep(self.store, self._held, self._recover_every,
                                          self._recover_sleep)
            self.recovery.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the recovery sweep, wait for token refreshes in flight to save their pairs (a
        store that is down is tried again for up to 45 s after the refresh, A5), then close
        the shared connection pool."""
        if self.recovery is not None:
            await self.recovery.stop()
        for auth in list(self._live):  # the cached auths are live too
            await auth.join()
        if self._own_throttle is not None:
            duplicates.release(self._own_throttle)
        await self.client.aclose()
        await self.flows.aclose()

    def auth(self, seller_id: str) -> RefreshingAuth:
        """The refreshing auth for one seller (made once, then reused: one single-flight lock
        per seller in this app)."""
        if not seller_id:
            raise InvalidArgumentError("seller_id", "is empty", "give the seller's user id")
        found = self._auths.get(seller_id)
        if found is not None:
            self._auths.move_to_end(seller_id)
            return found
        found = RefreshingAuth(
            self.store, seller_id, self.flows, margin=self._margin, clock=self._clock,
            refresh_retries=self._refresh_retries,
        )
        self._auths[seller_id] = found
        self._live.add(found)
        while len(self._auths) > self.max_cached_sellers:
            self._auths.popitem(last=False)
        return found

    def _held(self) -> list[RefreshingAuth]:
        """One auth per seller whose pair this process holds in memory, by key (the cached
        one when an evicted one is still in use too)."""
        chosen = {auth.key: auth for auth in list(self._live) if auth._token is not None}
        chosen.update((key, auth) for key, auth in self._auths.items()
                      if auth._token is not None)
        return [chosen[key] for key in sorted(chosen)]

    def seller(self, seller_id: str) -> AllegroClient:
        """A client for one seller: a view of the shared client with that seller's auth."""
        return self.client.with_options(auth=self.auth(seller_id))

    async def add_seller(self, token: Token, key: str | None = None) -> str:
        """Save a seller's token (from a flow) and return its key: the ``user_name`` claim
        unless ``key`` is given."""
        key = key or token.user_name
        if not key:
            raise InvalidArgumentError(
                "token", "is an app token (no user_name) and no key was given",
                "save sellers' tokens from the device or code flow, or pass key=",
            )
        await self.store.save(key, token)
        auth = self._auths.get(key)
        if auth is not None:
            auth._token = token  # the app's own view sees the new pair at once
            auth._dead = None  # a seller who had to connect again has
        return key

    async def sellers(self) -> list[str]:
        """The keys of every seller with tokens in the store, sorted."""
        return await self._listable().keys()

    async def has_seller(self, seller_id: str) -> bool:
        """Whether the store holds tokens for ``seller_id``."""
        return await self.store.load(seller_id) is not None

    async def remove_seller(self, seller_id: str) -> bool:
        """Delete a seller's tokens (after a refresh of them in flight) and forget its auth;
        ``True`` when there were tokens. Requests for it then raise
        :class:`~allegro_async.errors.SellerNotConnectedError`."""
        removed = await self._listable().delete(seller_id)
        auth = self._auths.pop(seller_id, None)
        if auth is not None:
            auth._token = None  # views holding it re-read the store, and find nothing
        return removed

    def _listable(self) -> ListableTokenStore:
        if not isinstance(self.store, ListableTokenStore):
            raise InvalidArgumentError(
                "store", f"{type(self.store).__name__} cannot list or delete its keys",
                "give the store async keys() and delete(key) (ListableTokenStore), or use "
                "MemoryTokenStore / FileTokenStore",
            )
        return self.store

    async def app_client(self) -> AllegroClient:
        """A view with a fresh app token (client_credentials, A6): public resources only."""
        token = await self.flows.client_credentials()
        return self.client.with_options(access_token=token.access_token)
