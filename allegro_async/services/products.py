"""The product catalogue: search by phrase or GTIN (S21), get."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient


class ProductsService:
    """The product catalogue: search by phrase or GTIN (S21), get."""

    def __init__(self, client: AllegroClient) -> None:
        self._client = client
