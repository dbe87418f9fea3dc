"""The product catalogue: search by phrase or GTIN (S21), get."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from allegro_async.errors import IncompleteListingError, InvalidArgumentError
from allegro_async.models.products import (
    Product,
    ProductSearchPage,
    ProductSearchResponse,
    SearchMode,
)
from allegro_async.services import bad_path_id

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

_GTIN_LENGTHS = (8, 12, 13, 14)


def normalize_ean(ean: str) -> str:
    """An EAN/GTIN without spaces or hyphens; ``InvalidArgumentError`` unless it then has 8, 12,
    13 or 14 digits."""
    if not isinstance(ean, str):
        raise InvalidArgumentError("ean", f"expected a string, got {type(ean).__name__}",
                                   "pass the EAN as text, e.g. '5901234123457'")
    digits = re.sub(r"[\s-]", "", ean)
    if not re.fullmatch(r"[0-9]+", digits) or len(digits) not in _GTIN_LENGTHS:
        raise InvalidArgumentError(
            "ean", f"{ean!r} is not a GTIN (8, 12, 13 or 14 digits)",
            "pass the digits printed under the barcode, e.g. '5901234123457'",
        )
    return digits


class ProductsService:
    """The product catalogue: search by phrase or GTIN (S21), get.

    One EAN can belong to several products (a laptop with 256 or 512 GB disk, a shirt in
    several colours): :meth:`by_ean` returns all of them so you can choose::

        matches = await client.products.by_ean("5901234123457")
        for product in matches:
            print(product.id, product.identifying_parameters())
    """

    def __init__(self, client: AllegroClient) -> None:
        self._client = client

    async def search_page(
        self,
        phrase: str | None = None,
        *,
        mode: SearchMode | str | None = None,
        category_id: str | None = None,
        language: str | None = None,
        filters: Mapping[str, str] | None = None,
        page_id: str | None = None,
    ) -> ProductSearchPage:
        """One page of GET /sale/products. Pass the returned ``next_page_id`` as ``page_id``
        to read on (or resume later)."""
        if phrase is None and category_id is None:
            raise InvalidArgumentError("phrase", "neither phrase nor category_id was given",
                                       "give a search phrase, a category_id, or both")
        if phrase is not None and not 0 < len(phrase) <= 1024:
            raise InvalidArgumentError("phrase", "must have 1 to 1024 characters",
                                       "shorten or fill in the phrase")
        mode_value = SearchMode(mode).value if mode is not None else None
        if mode_value not in (None, "GTIN", "MPN"):
            raise InvalidArgumentError("mode", f"{mode!r} is not a search mode",
                                       "use 'GTIN', 'MPN' or leave it out")
        params: dict[str, Any] = {
            "phrase": phrase, "mode": mode_value, "category.id": category_id,
            "language": language, "page.id": page_id,
        }
        for key, value in (filters or {}).items():
            if key in params:
                raise InvalidArgumentError("filters", f"{key!r} is a named argument",
                                           f"pass {key} as its keyword instead")
            params[key] = value
        data = await self._client.request("GET", "/sale/products", params=params,
                                          cast_to=ProductSearchResponse)
        return data.page()

    async def search(
        self,
        phrase: str | None = None,
        *,
        mode: SearchMode | str | None = None,
        category_id: str | None = None,
        language: str | None = None,
        filters: Mapping[str, str] | None = None,
        page_id: str | None = None,
        max_pages: int | None = None,
    ) -> AsyncIterator[Product]:
        """Every product matching the search, following the ``nextPage`` cursor::

            async for product in client.products.search("laptop 15.6"):
                ...

        ``filters`` are the dynamic filters (``{"127448": "127448_2"}``); ``max_pages`` stops
        early.
        """
        if max_pages is not None and max_pages < 1:
            raise InvalidArgumentError("max_pages", "must be at least 1",
                                       "leave it out to read every page")
        pages = yielded = 0
        visited: set[str] = set()  # a cursor seen before would repeat pages forever
        while True:
            page = await self.search_page(
                phrase, mode=mode, category_id=category_id, language=language,
                filters=filters, page_id=page_id,
            )
            pages += 1
            for product in page.products:
                yield product
            yielded += len(page.products)
            if page_id is not None:
                visited.add(page_id)
            page_id = page.next_page_id
            if not page_id or (max_pages is not None and pages >= max_pages):
                return
            if page_id in visited:
                raise IncompleteListingError(
                    f"GET /sale/products: nextPage.id {page_id!r} points back to a page "
                    f"already read; stopped after {pages} pages instead of repeating them",
                    yielded=yielded, total=None)

    def by_gtin(self, gtin: str) -> AsyncIterator[Product]:
        """Every product with this GTIN (EAN, ISBN, UPC), as an async iterator."""
        return self.search(normalize_ean(gtin), mode=SearchMode.GTIN)

    async def by_ean(self, ean: str) -> list[Product]:
        """Every product with this EAN (S21): one EAN can map to several products, told apart
        by parameters such as disk size or colour. Compare
        :meth:`Product.identifying_parameters` and choose; an empty list means no match."""
        return [product async for product in self.by_gtin(ean)]

    async def get(
        self, product_id: str, *, category_id: str | None = None, language: str | None = None
    ) -> Product:
        """One product with all its parameters (GET /sale/products/{productId})."""
        if not product_id or bad_path_id(product_id):
            raise InvalidArgumentError("product_id", f"{product_id!r} is not a product id",
                                       "pass the id from a search result")
        return await self._client.request(
            "GET", f"/sale/products/{product_id}",
            params={"category.id": category_id, "language": language}, cast_to=Product,
        )
