"""The seller dependency: a path parameter ``seller_id`` turned into that seller's client."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from allegro_async.auth.app import AllegroApp
from allegro_async.client import AllegroClient
from allegro_async.errors import InvalidArgumentError, SellerNotConnectedError
from allegro_async.fastapi.lifespan import AllegroState

_CONNECT = "the seller connects the app through the onboarding route (GET .../connect)"


async def seller_client(seller_id: str, allegro: AllegroState) -> AllegroClient:
    """Dependency: a view of the app's one client acting as ``seller_id`` (the route's path
    parameter of that name). A seller with no tokens in the store raises
    :class:`~allegro_async.errors.SellerNotConnectedError`, which
    :func:`~allegro_async.fastapi.install_error_handlers` answers with 404 and a body saying
    how to connect. Override it in tests (``app.dependency_overrides[seller_client]``)."""
    # A pair already loaded by this process skips the store: the check costs nothing on the
    # hot path, and a pair removed since then still fails on the request itself. The app's
    # auth cache is only peeked at: an unknown id (a typo, a scan of ids) must not take a
    # place in it, or enough of them would evict the connected sellers' auths.
    if not isinstance(allegro, AllegroApp):  # an override of get_allegro gave something else
        raise InvalidArgumentError(
            "get_allegro", f"the dependency gave a {type(allegro).__name__}, not an AllegroApp",
            "override get_allegro with an AllegroApp (the allegro_app fixture in tests), or "
            "override seller_client to give one seller's client",
        )
    cached = allegro._auths.get(seller_id)
    if (cached is None or cached._token is None) and not await allegro.has_seller(seller_id):
        raise SellerNotConnectedError(
            f"seller {seller_id!r} has not connected this app", seller_id=seller_id,
            hint=_CONNECT,
        )
    return allegro.seller(seller_id)


#: ``seller: SellerClient`` in a route under ``/.../{seller_id}/...`` gives the seller's client.
SellerClient = Annotated[AllegroClient, Depends(seller_client)]
