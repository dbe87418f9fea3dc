"""Catalogue products (``/sale/products``, S21): the generated models under this library's
names (one model per schema). A product read by id is a ``Product`` (``SaleProductDto``), a
search result a ``SearchedProduct`` (``BaseSaleProductResponseDto``); both carry the helpers
that tell products with one EAN apart (``identifying_parameters()``, ``gtins``,
``parameter()``), attached by the generator (``allegro_async/api/_helpers.py``)."""

from __future__ import annotations

from allegro_async.api.models import (
    BaseSaleProductResponseDto,
    GetSaleProductsResponse,
    GetSaleProductsResponseNextPage,
    ImageUrl,
    ParameterRangeValue,
    ProductCategoryWithPath,
    ProductParameterDto,
    ProductParameterDtoOptions,
    ProductsCategoryPath,
    SaleProductDto,
    SaleProductDtoPublication,
    SaleProductDtoPublicationStatus,
)
from allegro_async.models.base import AllegroModel, OpenEnum

__all__ = [
    "NextPageRef",
    "ParameterOptions",
    "ParameterRange",
    "Product",
    "ProductCategory",
    "ProductCategoryPathItem",
    "ProductImage",
    "ProductParameter",
    "ProductPublication",
    "ProductPublicationStatus",
    "ProductSearchPage",
    "ProductSearchResponse",
    "SearchMode",
    "SearchedProduct",
]


class SearchMode(OpenEnum):
    """How ``phrase`` is matched: ``GTIN`` (EAN, ISBN, UPC) or ``MPN``; none means by GTIN,
    MPN, name and parameters together."""

    GTIN = "GTIN"
    MPN = "MPN"


#: A catalogue product, as GET /sale/products/{id} returns it. Several products can share one
#: EAN (S21): compare ``identifying_parameters()`` to pick the right one.
Product = SaleProductDto
#: A product as a search returns it (the same helpers as :data:`Product`).
SearchedProduct = BaseSaleProductResponseDto
#: A product parameter: ``identifies_product``, ``is_gtin`` and ``display`` are helpers.
ProductParameter = ProductParameterDto
ParameterOptions = ProductParameterDtoOptions
ParameterRange = ParameterRangeValue
ProductCategory = ProductCategoryWithPath
ProductCategoryPathItem = ProductsCategoryPath
ProductImage = ImageUrl
ProductPublication = SaleProductDtoPublication
ProductPublicationStatus = SaleProductDtoPublicationStatus
#: GET /sale/products as Allegro sends it.
ProductSearchResponse = GetSaleProductsResponse
NextPageRef = GetSaleProductsResponseNextPage


class ProductSearchPage(AllegroModel):
    """One page of GET /sale/products: products and the cursor of the next page (``None`` on
    the last page)."""

    products: list[BaseSaleProductResponseDto] = []
    next_page_id: str | None = None

    @classmethod
    def of(cls, response: GetSaleProductsResponse) -> ProductSearchPage:
        """The page of a search response, with the cursor flattened to ``next_page_id``."""
        return cls(products=response.products,
                   next_page_id=response.next_page.id if response.next_page else None)
