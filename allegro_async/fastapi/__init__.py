"""FastAPI integration: one :class:`~allegro_async.AllegroApp` per process opened by the
lifespan, a seller dependency, error handlers that map the library's errors to HTTP, seller
onboarding (authorization code with PKCE) and supervised event consumers. See docs/fastapi.md::

    from fastapi import FastAPI
    from allegro_async.fastapi import SellerClient, allegro_lifespan, install_error_handlers

    app = FastAPI(lifespan=allegro_lifespan())        # AllegroApp.from_env()
    install_error_handlers(app)

    @app.get("/sellers/{seller_id}/orders")
    async def orders(seller: SellerClient) -> dict:
        return await seller.request("GET", "/order/checkout-forms", params={"limit": 10})

Needs the ``fastapi`` extra: ``pip install 'allegro-async[fastapi]'``.
"""

from __future__ import annotations

try:
    import fastapi as _fastapi  # noqa: F401 - only to fail early with the extra's name
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "allegro_async.fastapi needs FastAPI, which is not installed: "
        "pip install 'allegro-async[fastapi]'"
    ) from exc

from allegro_async.fastapi.errors import error_body, install_error_handlers
from allegro_async.fastapi.lifespan import (
    AllegroState,
    ConsumersState,
    allegro_lifespan,
    get_allegro,
    get_consumers,
)
from allegro_async.fastapi.onboarding import onboarding_router
from allegro_async.fastapi.pending import (
    PendingAuthorizations,
    PendingStore,
    RedisPendingAuthorizations,
    TooManyPendingError,
)
from allegro_async.fastapi.sellers import SellerClient, seller_client

__all__ = [
    "AllegroState",
    "ConsumersState",
    "PendingAuthorizations",
    "PendingStore",
    "RedisPendingAuthorizations",
    "SellerClient",
    "TooManyPendingError",
    "allegro_lifespan",
    "error_body",
    "get_allegro",
    "get_consumers",
    "install_error_handlers",
    "onboarding_router",
    "seller_client",
]
