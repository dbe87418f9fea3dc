"""The product catalogue: search by phrase or GTIN (S21), get."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from allegro_async import _args
from allegro_async._options import CallOptions
from allegro_async._walk_guard import WalkGuard
from allegro_async.errors import InvalidArgumentError
from allegro_async.models.products import (
    Product,
    ProductSearchPage,
    ProductSearchResponse,
    SearchedProduct,
    SearchMode,
)

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

_GTIN_LENGTHS = (8, 12, 13, 14)
#: The spec's languages of product data (``language``).
LANGUAGES = ("en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU")


def _common(category_id: object, language: object) -> dict[str, Any]:
    return {
        "category.id": _args.optional(category_id, lambda c: _args.ident(c, "category_id")),
        "language": _args.optional(language, lambda v: _args.choice(v, "language", LANGUAGES)),
    }


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
        **options: Unpack[CallOptions],
    ) -> ProductSearchPage:
        """One page of GET /sale/products. Pass the returned ``next_page_id`` as ``page_id``
        to read on (or resume later). ``options``: the per-call options (docs/client.md)."""
        page, _ = await self._search_page(phrase, mode=mode, category_id=category_id,
                                          language=language, filters=filters, page_id=page_id,
                                          **options)
        return page

    async def _search_page(
        self, phrase: str | None, *, mode: SearchMode | str | None, category_id: str | None,
        language: str | None, filters: Mapping[str, str] | None, page_id: str | None,
        **options: Unpack[CallOptions],
    ) -> tuple[ProductSearchPage, str | None]:
        """One page and the response's trace-id."""
        if phrase is None and category_id is None:
            raise InvalidArgumentError("phrase", "neither phrase nor category_id was given",
                                       "give a search phrase, a category_id, or both")
        if phrase is not None:
            _args.text(phrase, "phrase", max_len=1024)
        mode_value = _args.optional(mode, lambda m: _args.choice(m, "mode", ("GTIN", "MPN")))
        params: dict[str, Any] = {
            "phrase": phrase, "mode": mode_value, **_common(category_id, language),
            "page.id": _args.optional(page_id, lambda p: _args.text(p, "page_id")),
        }
        given = _args.mapping(filters, "filters", allow_empty=True) if filters is not None else {}
        dynamic: dict[str, str] = {}
        for key, value in given.items():
            if key in params:
                raise InvalidArgumentError("filters", f"{key!r} is a named argument",
                                           f"pass {key} as its keyword instead")
            _args.ident(key, "filters key")  # a parameter id, e.g. "127448"
            dynamic[key] = _args.text(value, f"filters[{key}]")
        client = self._client._with_call_options(options)
        # raw: a walk that stops moving on names the page's trace id
        raw = await client.api.products.with_raw_response.get_sale_products(
            phrase=phrase, mode=mode_value, language=params["language"],
            category_id=params["category.id"], dynamic_filters=dynamic or None,
            page_id=params["page.id"],
        )
        return ProductSearchPage.of(raw.parse(ProductSearchResponse)), raw.trace_id

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
        **options: Unpack[CallOptions],
    ) -> AsyncIterator[SearchedProduct]:
        """Every product matching the search, following the ``nextPage`` cursor::

            async for product in client.products.search("laptop 15.6"):
                ...

        ``filters`` are the dynamic filters (``{"127448": "127448_2"}``); ``max_pages`` stops
        early. A ``nextPage.id`` given before, or a page read before, ends the walk with
        :class:`~allegro_async.errors.WalkStalledError` (no product comes twice). ``options``
        (per-call options, docs/client.md) apply to every page's request: ``timeout=`` bounds
        each page, not the whole walk.
        """
        self._client._with_call_options(options)  # a bad option fails before the first page
        _args.optional(max_pages, lambda m: _args.count(m, "max_pages", minimum=1))
        guard = WalkGuard("GET /sale/products")
        pages = 0
        if page_id is not None:
            guard.follow(_args.text(page_id, "page_id"), label="nextPage.id")
        while True:
            guard.request(page_id)
            page, trace_id = await self._search_page(
                phrase, mode=mode, category_id=category_id, language=language,
                filters=filters, page_id=page_id, **options,
            )
            pages += 1
            if page.products:  # a cursor the server ignored answers a page read before
                guard.page(page.products, trace_id=trace_id)
            for product in page.products:
                yield product
            guard.delivered(len(page.products))
            page_id = page.next_page_id
            if not page_id or (max_pages is not None and pages >= max_pages):
                return
            # a cursor seen before would repeat pages forever
            guard.follow(page_id, label="nextPage.id")

    def by_gtin(self, gtin: str, **options: Unpack[CallOptions]) -> AsyncIterator[SearchedProduct]:
        """Every product with this GTIN (EAN, ISBN, UPC), as an async iterator."""
        return self.search(normalize_ean(gtin), mode=SearchMode.GTIN, **options)

    async def by_ean(self, ean: str, **options: Unpack[CallOptions]) -> list[SearchedProduct]:
        """Every product with this EAN (S21): one EAN can map to several products, told apart
        by parameters such as disk size or colour. Compare
        :meth:`SearchedProduct.identifying_parameters` and choose; an empty list means no match."""
        return [product async for product in self.by_gtin(ean, **options)]

    async def get(
        self, product_id: str, *, category_id: str | None = None, language: str | None = None,
        **options: Unpack[CallOptions],
    ) -> Product:
        """One product with all its parameters (GET /sale/products/{productId})."""
        _args.path_segment(product_id, "product_id")  # named as this method names it
        params = _common(category_id, language)
        client = self._client._with_call_options(options)
        return await client.api.products.get_sale_product(
            product_id=product_id, category_id=params["category.id"], language=params["language"],
        )
