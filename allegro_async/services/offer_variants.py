"""Legacy multi-variant offer sets (S22)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient


class OfferVariantsService:
    """Legacy multi-variant offer sets (S22)."""

    def __init__(self, client: AllegroClient) -> None:
        self._client = client
