"""Product offers, offer listing, offer commands and bulk updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient


class OffersService:
    """Product offers, offer listing, offer commands and bulk updates."""

    def __init__(self, client: AllegroClient) -> None:
        self._client = client
