"""Assembles the transport stack below httpx: retry layer over throttling over the inner
transport (see docs/index.md for the picture)."""

from __future__ import annotations

from typing import Any

from allegro_async._http import AsyncBaseTransport, AsyncHTTPTransport
from allegro_async.errors import InvalidArgumentError
from allegro_async.retry import RetryPolicy, RetryTransport
from allegro_async.throttle.limiter import Throttle
from allegro_async.throttle.transport import ClientMetrics, ThrottledTransport


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
        base = throttle.pool.handle(AsyncHTTPTransport) if inner is None else inner
        transport = ThrottledTransport(base, throttle, metrics)
    elif throttle is False:
        transport = AsyncHTTPTransport() if inner is None else inner
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
