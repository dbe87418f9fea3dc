"""Catalogue products (``/sale/products``, S21): the generated ``SaleProductDto`` and
``GetSaleProductsResponse`` with the helpers that tell products with one EAN apart."""

from __future__ import annotations

from pydantic import Field

from allegro_async.api.models import (
    GetSaleProductsResponse,
    GetSaleProductsResponseNextPage,
    ImageUrl,
    ParameterRangeValue,
    ProductCategoryWithPath,
    ProductParameterDto,
    ProductsCategoryPath,
    ProductSimilarCategoryWithPath,
    SaleProductDto,
)
from allegro_async.api.models import ProductParameterDtoOptions as _Options
from allegro_async.api.models import SaleProductDtoPublication as _Publication
from allegro_async.models.base import AllegroModel, OpenEnum

__all__ = [
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
]

# Each model below subclasses its generated counterpart, so every field of the spec is there;
# AllegroModel as second base keeps ``isinstance(x, AllegroModel)`` true and gives the fields
# narrowed here their camelCase alias. Narrowed list fields need ``type: ignore[assignment]``:
# a list of the subclass is not a list of the base class to mypy (lists are invariant).


class SearchMode(OpenEnum):
    """How ``phrase`` is matched: ``GTIN`` (EAN, ISBN, UPC) or ``MPN``; none means by GTIN,
    MPN, name and parameters together."""

    GTIN = "GTIN"
    MPN = "MPN"


class ParameterOptions(_Options, AllegroModel):
    """What a parameter means for the product: ``identifies_product`` is the S21 key (several
    products may share an EAN; these parameters tell them apart)."""


class ParameterRange(ParameterRangeValue, AllegroModel):
    """A range value of a parameter (the JSON key ``from`` is ``from_`` here)."""


class ProductParameter(ProductParameterDto, AllegroModel):
    """A product parameter (``ProductParameterDto``): values as text, dictionary ids and
    labels (empty lists when absent)."""

    values: list[str] = []
    values_ids: list[str] = []
    values_labels: list[str] = []
    range_value: ParameterRange | None = None
    options: ParameterOptions | None = None

    @property
    def identifies_product(self) -> bool:
        """True when this parameter tells products with one EAN apart (S21)."""
        return bool(self.options and self.options.identifies_product)

    @property
    def is_gtin(self) -> bool:
        """True for the GTIN/EAN parameter itself."""
        return bool(self.options and self.options.is_gtin)

    @property
    def display(self) -> str:
        """The value as a person reads it: labels, else values, with the unit."""
        text = ", ".join(self.values_labels or self.values)
        if self.range_value is not None:
            text = f"{self.range_value.from_}-{self.range_value.to}"
        return f"{text} {self.unit}" if self.unit and text else text


class ProductCategoryPathItem(ProductsCategoryPath, AllegroModel):
    """One step of a category path (``id`` required, as Allegro always sends it)."""

    id: str


class ProductCategory(ProductCategoryWithPath, AllegroModel):
    """The product's category with its path (and similar categories); ``id`` required."""

    id: str
    path: list[ProductCategoryPathItem] = []  # type: ignore[assignment]
    similar: list[ProductSimilarCategoryWithPath] = []


class ProductImage(ImageUrl, AllegroModel):
    """An image URL."""

    url: str


class ProductPublicationStatus(OpenEnum):
    """Whether a product is listed in the catalogue or only proposed."""

    PROPOSED = "PROPOSED"
    LISTED = "LISTED"


class ProductPublication(_Publication, AllegroModel):
    """The product's publication state."""

    status: ProductPublicationStatus | None = None  # type: ignore[assignment]


class Product(SaleProductDto, AllegroModel):
    """A catalogue product, as search results and GET /sale/products/{id} return it (every
    field of ``SaleProductDto``).

    Several products can share one EAN (S21): compare :meth:`identifying_parameters` to pick
    the right one, e.g. the disk size of a laptop or the colour of a shirt.
    """

    category: ProductCategory
    parameters: list[ProductParameter] = []  # type: ignore[assignment]
    images: list[ProductImage] = []  # type: ignore[assignment]
    publication: ProductPublication | None = None

    def parameter(self, key: str) -> ProductParameter | None:
        """The parameter with this id or name (case-insensitive name), or ``None``."""
        for param in self.parameters:
            if param.id == key or (param.name or "").lower() == key.lower():
                return param
        return None

    @property
    def gtins(self) -> list[str]:
        """Every GTIN/EAN value of the product."""
        return [v for p in self.parameters if p.is_gtin for v in p.values]

    def identifying_parameters(self) -> dict[str, str]:
        """Parameters that tell this product apart from others with the same EAN (S21), as
        ``{name: value}`` (GTIN excluded)::

            {"Disk size": "512 GB", "Colour": "silver"}
        """
        return {
            (p.name or p.id): p.display
            for p in self.parameters
            if p.identifies_product and not p.is_gtin
        }


class ProductSearchPage(AllegroModel):
    """One page of GET /sale/products: products and the cursor of the next page (``None`` on
    the last page)."""

    products: list[Product] = []
    next_page_id: str | None = None


class NextPageRef(GetSaleProductsResponseNextPage, AllegroModel):
    """The ``nextPage`` cursor of a search response."""


class ProductSearchResponse(GetSaleProductsResponse, AllegroModel):
    """GET /sale/products as Allegro sends it (``GetSaleProductsResponse``); ``products`` is
    required by the spec."""

    products: list[Product]  # type: ignore[assignment]
    next_page: NextPageRef | None = Field(default=None, alias="nextPage")

    def page(self) -> ProductSearchPage:
        """The page with the cursor flattened to ``next_page_id``."""
        return ProductSearchPage(
            products=self.products,
            next_page_id=self.next_page.id if self.next_page is not None else None,
        )
