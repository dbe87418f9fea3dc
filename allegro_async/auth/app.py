"""``AllegroApp``: one registered app (Client ID, connection pool, throttle) serving many
sellers, each with its own token pair from one :class:`TokenStore`."""

from __future__ import annotations

import ipaddress
import os
import re
import time
import urllib.parse
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from allegro_async._http import AsyncBaseTransport
from allegro_async._redact import Secret
from allegro_async.auth._sweep import RecoverEvery, RecoverySweep, sweep_interval
from allegro_async.auth.flows import OAuthFlows
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import (
    FileTokenStore,
    ListableTokenStore,
    MemoryTokenStore,
    Token,
    TokenStore,
)
from allegro_async.client import AllegroClient
from allegro_async.config import Environment
from allegro_async.errors import InvalidArgumentError
from allegro_async.throttle import Throttle, duplicates

#: The most processes ``ALLEGRO_PROCESSES`` may name: S1's burst of 100 split further leaves
#: each process less than one request.
MAX_PROCESSES = 100
_ALLEGRO_DOMAINS = ("allegro.pl", "allegrosandbox.pl")

#: Every environment variable the library reads, with its meaning: the one table that
#: :meth:`AllegroApp.from_env` and ``allegro-async login`` share (docs/fastapi.md shows it).
ENV_VARIABLES: dict[str, str] = {
    "ALLEGRO_CLIENT_ID": "the app's Client ID (required)",
    "ALLEGRO_CLIENT_SECRET": "the app's Client Secret (required)",
    "ALLEGRO_ENVIRONMENT": "production (default), sandbox, an https URL on allegro.pl or "
                           "allegrosandbox.pl, or an http URL on loopback (the emulator)",
    "ALLEGRO_TOKEN_FILE": "the sellers' tokens in a FileTokenStore at this path",
    "ALLEGRO_REDIS_URL": "one request budget of the Client ID shared through Redis by "
                         "ALLEGRO_PROCESSES processes",
    "ALLEGRO_PROCESSES": f"how many processes share the Redis budget (1 to {MAX_PROCESSES}, "
                         "default 1)",
    "ALLEGRO_REDIRECT_URI": "the registered redirect URI: https, or http on loopback",
}


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
        for auth in [*self._auths.values(), *self._live]:
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


def _env(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_url(name: str, value: str, *, allegro_hosts: bool) -> urllib.parse.SplitResult:
    """``value`` split, or an error naming ``name``: https (on Allegro's hosts when
    ``allegro_hosts``), or http on a loopback host only; no user info, query or fragment."""
    fix = ("use production, sandbox, an https URL on allegro.pl or allegrosandbox.pl, or "
           "http://127.0.0.1:<port> for the emulator" if allegro_hosts
           else "give the redirect URI registered for the app: https://..., or "
                "http://127.0.0.1:<port>/... while developing")
    try:
        parts = urllib.parse.urlsplit(value)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise InvalidArgumentError(name, f"{value!r} is not a URL", fix) from None
    problem = None
    if parts.scheme not in ("http", "https") or not host:
        problem = "is not an http(s) URL"
    elif parts.username is not None or parts.password is not None:
        problem = "carries user info"
    elif parts.fragment or "#" in value or (allegro_hosts and (parts.query or "?" in value)):
        problem = "has a query or fragment"
    elif parts.scheme == "http" and not _is_loopback(host):
        problem = "is plain http to a host other than loopback"
    elif (parts.scheme == "https" and allegro_hosts and not _is_loopback(host)
          and not any(host == d or host.endswith("." + d) for d in _ALLEGRO_DOMAINS)):
        problem = "is not on allegro.pl or allegrosandbox.pl"
    if problem is not None:
        raise InvalidArgumentError(name, f"{value!r} {problem}", fix)
    return parts


def environment_from_env(environ: Mapping[str, str]) -> Environment:
    """The :class:`~allegro_async.config.Environment` that ``ALLEGRO_ENVIRONMENT`` names
    (production when unset). A URL's ``api.`` host keeps OAuth on the host without ``api.``
    (as Allegro does, A3); any other host serves both (the emulator)."""
    where = _env(environ, "ALLEGRO_ENVIRONMENT") or "production"
    if where in ("production", "sandbox"):
        return Environment.coerce(where)
    if not where.startswith(("http://", "https://")):
        raise InvalidArgumentError(
            "ALLEGRO_ENVIRONMENT", f"{where!r} is not an environment",
            "use production, sandbox, or a base URL such as http://127.0.0.1:8000",
        )
    parts = _checked_url("ALLEGRO_ENVIRONMENT", where, allegro_hosts=True)
    api_url = where.rstrip("/")
    for named in (Environment.production(), Environment.sandbox()):
        if api_url.lower() == named.api_url:
            return named  # Allegro's own base URL: the named environment, with its rules
    auth_url = api_url
    if parts.hostname and parts.hostname.lower().startswith("api."):
        auth_url = api_url.replace(parts.netloc, parts.netloc[len("api."):], 1)
    return Environment.custom(api_url=api_url, auth_url=auth_url)


def token_file_from_env(environ: Mapping[str, str]) -> str | None:
    """``ALLEGRO_TOKEN_FILE``, or ``None`` when unset."""
    return _env(environ, "ALLEGRO_TOKEN_FILE") or None


def _processes_from_env(environ: Mapping[str, str]) -> int:
    raw = _env(environ, "ALLEGRO_PROCESSES") or "1"
    # ASCII digits only: "²".isdigit() is true, and int() then raises a bare ValueError.
    count = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else 0
    if not 1 <= count <= MAX_PROCESSES:
        raise InvalidArgumentError(
            "ALLEGRO_PROCESSES", f"{raw!r} is not a whole number from 1 to {MAX_PROCESSES}",
            "give how many processes share the Client ID (e.g. 4); past "
            f"{MAX_PROCESSES} each process's share of the Client ID's burst is below one request",
        )
    return count


def _redirect_uri_from_env(environ: Mapping[str, str]) -> str | None:
    value = _env(environ, "ALLEGRO_REDIRECT_URI")
    if value:
        _checked_url("ALLEGRO_REDIRECT_URI", value, allegro_hosts=False)
    return value or None


def _env_options(environ: Mapping[str, str], options: dict[str, Any]) -> dict[str, Any]:
    """AllegroApp's keywords from ``ALLEGRO_*`` variables, under explicit ``options``."""
    out: dict[str, Any] = {}  # the client secret in it wrapped: the dict is a local
    for name, key in (("ALLEGRO_CLIENT_ID", "client_id"),
                      ("ALLEGRO_CLIENT_SECRET", "client_secret")):
        value = _env(environ, name)
        if not value and key not in options:
            raise InvalidArgumentError(
                name, "is not set",
                f"export {name} (from the app's page on apps.developer.allegro.pl), or pass "
                f"{key}= to AllegroApp.from_env()",
            )
        out[key] = Secret(value) if key == "client_secret" else value
    if "environment" not in options:
        out["environment"] = environment_from_env(environ)
    token_file = token_file_from_env(environ)
    if token_file is not None and "store" not in options:
        out["store"] = FileTokenStore(token_file)
    redirect_uri = _redirect_uri_from_env(environ)
    if redirect_uri is not None:
        out["redirect_uri"] = redirect_uri
    processes = _processes_from_env(environ)
    redis_url = _env(environ, "ALLEGRO_REDIS_URL")
    if redis_url and "throttle" not in options:
        from allegro_async.throttle.redis import RedisThrottle

        out["throttle"] = RedisThrottle(redis_url, client_id=out.get("client_id")
                                        or options["client_id"],
                                        processes=processes)
    out.update(options)
    return out
