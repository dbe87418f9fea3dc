"""Catalogue products (``/sale/products``, S21), after the spec's ``SaleProductDto`` and
``GetSaleProductsResponse``."""

from __future__ import annotations

from pydantic import Field

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


class SearchMode(OpenEnum):
    """How ``phrase`` is matched: ``GTIN`` (EAN, ISBN, UPC) or ``MPN``; none means by GTIN,
    MPN, name and parameters together."""

    GTIN = "GTIN"
    MPN = "MPN"


class ParameterOptions(AllegroModel):
    """What a parameter means for the product: ``identifies_product`` is the S21 key (several
    products may share an EAN; these parameters tell them apart)."""

    identifies_product: bool
    is_gtin: bool | None = Field(default=None, alias="isGTIN")
    is_trusted: bool | None = None
    is_ai_co_created: bool | None = None


class ParameterRange(AllegroModel):
    """A range value of a parameter (the JSON key ``from`` is ``from_`` here)."""

    from_: str = Field(alias="from")
    to: str


class ProductParameter(AllegroModel):
    """A product parameter (``ProductParameterDto``): values as text, dictionary ids and
    labels."""

    id: str
    name: str | None = None
    values: list[str] = []
    values_ids: list[str] = []
    values_labels: list[str] = []
    range_value: ParameterRange | None = None
    unit: str | None = None
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


class ProductCategoryPathItem(AllegroModel):
    """One step of a category path."""

    id: str
    name: str | None = None


class ProductCategory(AllegroModel):
    """The product's category with its path (and similar categories)."""

    id: str
    path: list[ProductCategoryPathItem] = []
    similar: list[dict[str, object]] = []


class ProductImage(AllegroModel):
    """An image URL."""

    url: str


class ProductPublicationStatus(OpenEnum):
    """Whether a product is listed in the catalogue or only proposed."""

    PROPOSED = "PROPOSED"
    LISTED = "LISTED"


class ProductPublication(AllegroModel):
    """The product's publication state."""

    status: ProductPublicationStatus | None = None


class Product(AllegroModel):
    """A catalogue product, as search results and GET /sale/products/{id} return it.

    Several products can share one EAN (S21): compare :meth:`identifying_parameters` to pick
    the right one, e.g. the disk size of a laptop or the colour of a shirt.
    """

    id: str
    name: str
    category: ProductCategory
    parameters: list[ProductParameter] = []
    images: list[ProductImage] = []
    publication: ProductPublication | None = None
    has_protected_brand: bool | None = None

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


class NextPageRef(AllegroModel):
    """The ``nextPage`` cursor of a search response."""

    id: str | None = None


class ProductSearchResponse(AllegroModel):
    """GET /sale/products as Allegro sends it (``GetSaleProductsResponse``); ``products`` is
    required by the spec."""

    products: list[Product]
    next_page: NextPageRef | None = None

    def page(self) -> ProductSearchPage:
        """The page with the cursor flattened to ``next_page_id``."""
        return ProductSearchPage(
            products=self.products,
            next_page_id=self.next_page.id if self.next_page is not None else None,
        )
