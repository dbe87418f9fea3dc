"""Assembles the transport stack below httpx: retry layer over throttling over the inner
transport (see docs/index.md for the picture)."""

from __future__ import annotations

from typing import Any

from allegro_async._http import (
    AsyncBaseTransport,
    AsyncClient,
    Cookies,
    Request,
    Response,
    Timeout,
)
from allegro_async._response import DEFAULT_MAX_RESPONSE_BYTES, BoundedBodyTransport
from allegro_async.errors import InvalidArgumentError
from allegro_async.retry import RetryPolicy, RetryTransport
from allegro_async.throttle.limiter import Throttle
from allegro_async.throttle.transport import ClientMetrics, ThrottledTransport


def _network() -> AsyncBaseTransport:
    # imported when the pool opens: building a client needs no httpcore
    from allegro_async._network import network_transport

    return network_transport()


def build_transport(inner: AsyncBaseTransport | None, *, throttle: Any, retry: Any
                    ) -> AsyncBaseTransport:
    """Wrap ``inner`` in the retry and throttling layers configured for a client.

    ``throttle``: ``None``/``True`` for a new :class:`~allegro_async.throttle.Throttle` with the
    defaults, a ``Throttle`` to share, ``False`` for none. ``retry``: ``None``/``True`` for the
    default :class:`~allegro_async.retry.RetryPolicy`, a policy, an ``int`` (max retries), or
    ``False`` for none. The outermost layer has a ``metrics``
    (:class:`~allegro_async.throttle.ClientMetrics`) attribute.

    ``inner=None`` means the network: clients given the same ``Throttle`` then send through its
    one pool, and the network transport (with its TLS context) is built only when that pool is
    first opened.
    """
    metrics = ClientMetrics()
    if throttle is None or throttle is True:
        throttle = Throttle()
    transport: AsyncBaseTransport
    if isinstance(throttle, Throttle):
        base = throttle.pool.handle(_network) if inner is None else inner
        transport = ThrottledTransport(base, throttle, metrics)
    elif throttle is False:
        transport = _network() if inner is None else inner
    else:
        raise InvalidArgumentError("throttle", f"{type(throttle).__name__} is not a Throttle",
                                   "pass a Throttle(...), None for the defaults, or False")
    if retry is None or retry is True:
        retry = RetryPolicy()
    elif isinstance(retry, int) and not isinstance(retry, bool):
        retry = RetryPolicy(max_retries=retry)
    if isinstance(retry, RetryPolicy):
        transport = RetryTransport(transport, retry, metrics)
    elif retry is not False:
        raise InvalidArgumentError("retry", f"{type(retry).__name__} is not a RetryPolicy",
                                   "pass a RetryPolicy(...), an int, None, or False")
    if not hasattr(transport, "metrics"):
        transport.metrics = metrics  # type: ignore[attr-defined]
    return transport


class ClientTransport(AsyncBaseTransport):
    """The innermost layer when a user gives ``http_client=``: sends through that
    ``httpx.AsyncClient`` (its proxies, TLS settings, pool limits, mounts and event hooks),
    below the retry and throttling layers.

    Auth is left to ``AllegroClient`` (it runs above the retries) and redirects are not
    followed (A10 reads the 303 itself). The client belongs to the user: never closed here.
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` through the user's client, streaming the body back."""
        response = await self.client.send(request, stream=True, auth=None,
                                          follow_redirects=False)
        return Response(response.status_code, headers=response.headers,
                        stream=response.stream, extensions=response.extensions)

    async def aclose(self) -> None:
        """Nothing: the user closes their own client."""


class _SentCookies(Cookies):
    """Cookies a client sends (only those a user sets on it), never learnt from answers."""

    def extract_cookies(self, response: Response) -> None:
        """Ignore the answer's ``Set-Cookie`` (see :class:`OwnedClient`)."""


class OwnedClient(AsyncClient):
    """The ``httpx.AsyncClient`` an ``AllegroClient`` makes for itself: httpx's, except that
    it keeps no cookie an answer sets.

    Allegro authenticates every request by its bearer token, and one client (with its views)
    serves many sellers: a cookie set on one seller's answer (a load balancer's, a proxy's)
    must not go out with another seller's request. Not reading ``Set-Cookie`` also saves
    httpx's cookie-jar work on every response. Cookies set on :attr:`cookies` are still sent.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = self._cookies

    @property
    def cookies(self) -> Cookies:
        """The cookies sent with every request (answers add none)."""
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _SentCookies(cookies)


def has_stack(client: AsyncClient) -> bool:
    """Whether ``client`` already sends through allegro-async's retry or throttling layer
    (installed by hand on its transport or one of its mounts)."""
    # httpx has no public way to list a client's transports; these attributes are stable
    # across httpx 0.2x and only read here
    transports = [getattr(client, "_transport", None),
                  *getattr(client, "_mounts", {}).values()]
    return any(isinstance(t, (RetryTransport, ThrottledTransport)) for t in transports)


def open_http(http_client: AsyncClient | None, transport: AsyncBaseTransport | None, *,
              throttle: Any, retry: Any, timeout: Timeout,
              max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
              ) -> tuple[AsyncClient, bool, AsyncBaseTransport | None]:
    """The ``httpx.AsyncClient`` an ``AllegroClient`` sends through, whether it owns (closes)
    it, and the transport stack under it (``None`` when a user's client is used as is).

    A user's ``http_client`` is used as is only with both ``throttle=False`` and
    ``retry=False``; otherwise the layers are built over it (:class:`ClientTransport`), so
    passing one never silently drops S1 throttling or the retries. Bodies read through the
    owned client are bounded (:class:`~allegro_async._response.BoundedBodyTransport`).
    """
    if http_client is not None and throttle is False and retry is False:
        return http_client, False, None
    inner = transport
    if http_client is not None:
        if has_stack(http_client):
            raise InvalidArgumentError(
                "http_client", "its transport already has allegro-async's throttling or "
                "retry layer; adding them again would throttle and retry every request twice",
                "pass throttle=False, retry=False to use it as is, or pass its inner "
                "transport as transport= instead")
        inner = ClientTransport(http_client)
    stack = build_transport(inner, throttle=throttle, retry=retry)
    bounded = BoundedBodyTransport(stack, max_response_bytes=max_response_bytes)
    # owned: closing it closes the stack, and ClientTransport leaves the user's client open
    return OwnedClient(transport=bounded, timeout=timeout, follow_redirects=False), True, stack
