"""Checkout forms, fulfillment, shipments, carriers and the order event journal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient


class OrdersService:
    """Checkout forms, fulfillment, shipments, carriers and the order event journal."""

    def __init__(self, client: AllegroClient) -> None:
        self._client = client
