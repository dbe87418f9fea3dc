"""Assembles the transport stack below httpx: retry layer over throttling over the inner
transport (see docs/index.md for the picture)."""

from __future__ import annotations

from typing import Any

from allegro_async._http import AsyncBaseTransport
from allegro_async.errors import InvalidArgumentError
from allegro_async.retry import RetryPolicy, RetryTransport
from allegro_async.throttle.limiter import Throttle
from allegro_async.throttle.transport import ClientMetrics, ThrottledTransport


def build_transport(inner: AsyncBaseTransport, *, throttle: Any, retry: Any,
                    shared_pool: bool = False) -> AsyncBaseTransport:
    """Wrap ``inner`` in the retry and throttling layers configured for a client.

    ``throttle``: ``None``/``True`` for a new :class:`~allegro_async.throttle.Throttle` with the
    defaults, a ``Throttle`` to share, ``False`` for none. ``retry``: ``None``/``True`` for the
    default :class:`~allegro_async.retry.RetryPolicy`, a policy, an ``int`` (max retries), or
    ``False`` for none. The outermost layer has a ``metrics``
    (:class:`~allegro_async.throttle.ClientMetrics`) attribute.

    ``shared_pool``: ``inner`` is only the default network transport, so clients given the same
    ``Throttle`` send through its one pool instead (``inner`` is then left unused).
    """
    metrics = ClientMetrics()
    transport: AsyncBaseTransport = inner
    if throttle is None or throttle is True:
        throttle = Throttle()
    if isinstance(throttle, Throttle):
        if shared_pool:
            default = inner
            transport = throttle.pool.handle(lambda: default)
        transport = ThrottledTransport(transport, throttle, metrics)
    elif throttle is not False:
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
