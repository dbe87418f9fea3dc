"""Emulator: the product catalogue, GET /sale/products and /sale/products/{productId} (S21).

Products are made deterministically from the seed. Laptops of one model share an EAN and differ
by disk size, shirts of one design share an EAN and differ by colour: the S21 case where one EAN
maps to several products told apart by their identifying parameters.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator.http import (
    ApiError,
    emulator_of,
    json_response,
    require_user,
)

if TYPE_CHECKING:
    from allegro_async.testing.emulator.catalogue import CatalogueState

EAN_PARAM = "225693"
MPN_PARAM = "224017"
BRAND_PARAM = "248811"
DISK_PARAM = "202869"
COLOUR_PARAM = "3786"
SIZE_PARAM = "4938"

_FAMILIES = (
    ("491", "Laptops", ["Lenovo", "Dell", "HP", "Asus", "Acer"], "Laptop {brand} {model} 15.6\""),
    ("77919", "Smartphones", ["Samsung", "Xiaomi", "Motorola", "Apple"],
     "Smartphone {brand} {model}"),
    ("2441", "T-shirts", ["Nike", "Adidas", "Puma", "4F"], "T-shirt {brand} {model}"),
)
_DISKS = ("256", "512", "1024")
_COLOURS = ("black", "white", "navy", "red")


def gtin_check_digit(body: str) -> str:
    """The GS1 check digit for a GTIN without its last digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _ean(rng: random.Random) -> str:
    body = "590" + "".join(str(rng.randrange(10)) for _ in range(9))
    return body + gtin_check_digit(body)


def _param(
    pid: str, name: str, value: str, *, unit: str | None = None, identifies: bool = False,
    gtin: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": pid, "name": name, "values": [value], "valuesLabels": [value],
        "options": {"identifiesProduct": identifies, "isGTIN": gtin},
    }
    if unit:
        out["unit"] = unit
    return out


def build_products(seed: int, families: int) -> list[dict[str, Any]]:
    """The catalogue for a seed: ``families`` product models, each one or more products."""
    rng = random.Random(f"catalogue-products-{seed}")
    products: list[dict[str, Any]] = []
    for index in range(families):
        cat_id, cat_name, brands, pattern = _FAMILIES[index % len(_FAMILIES)]
        brand = brands[rng.randrange(len(brands))]
        model = f"{chr(65 + rng.randrange(26))}{rng.randrange(100, 999)}"
        ean = _ean(rng)
        mpn = f"{brand[:2].upper()}-{model}-{rng.randrange(1000, 9999)}"
        base_name = pattern.format(brand=brand, model=model)
        category = {"id": cat_id, "path": [{"id": "954", "name": "Electronics"},
                                            {"id": cat_id, "name": cat_name}]}
        # Laptops: one EAN, several disk sizes; shirts: one EAN, several colours (S21).
        if cat_id == "491":
            variants = [(f"{base_name} {d} GB SSD",
                         [_param(DISK_PARAM, "Disk size", d, unit="GB", identifies=True)])
                        for d in _DISKS[: 2 + index % 2]]
        elif cat_id == "2441":
            variants = [(f"{base_name} {c}",
                         [_param(COLOUR_PARAM, "Colour", c, identifies=True)])
                        for c in _COLOURS[: 2 + index % 3]]
        else:
            variants = [(base_name, [])]
        for name, extra in variants:
            pid = str(uuid.UUID(bytes=hashlib.sha256(f"{seed}:{name}:{ean}".encode()).digest()[:16],
                                version=4))
            products.append({
                "id": pid,
                "name": name,
                "category": category,
                "images": [{"url": f"https://a.allegroimg.com/original/{pid[:8]}.jpg"}],
                "parameters": [
                    _param(EAN_PARAM, "EAN (GTIN)", ean, gtin=True),
                    _param(MPN_PARAM, "Manufacturer code", mpn),
                    _param(BRAND_PARAM, "Brand", brand),
                    *extra,
                ],
                "publication": {"status": "LISTED"},
            })
    return products


def _values(product: dict[str, Any], param_id: str) -> list[str]:
    return [v for p in product["parameters"] if p["id"] == param_id for v in p["values"]]


def _matches(product: dict[str, Any], phrase: str, mode: str | None) -> bool:
    needle = phrase.strip()
    if mode == "GTIN":
        return needle in _values(product, EAN_PARAM)
    if mode == "MPN":
        return needle.lower() in (v.lower() for v in _values(product, MPN_PARAM))
    if needle in _values(product, EAN_PARAM) or needle in _values(product, MPN_PARAM):
        return True
    name = product["name"].lower()
    return all(word in name for word in needle.lower().split())


def _cursor(offset: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{key}".encode()).decode().rstrip("=")


def _offset(cursor: str, key: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset, _, found_key = text.partition(":")
        if found_key != key:
            raise ValueError("cursor from another search")
        return int(offset)
    except ValueError:
        raise ApiError(
            422, "VALIDATION_ERROR", "Invalid page.id: use nextPage.id from the previous page "
            "of the same search", path="page.id",
        ) from None


async def search_products(request: Request) -> Response:
    """GET /sale/products: by phrase (any mode), GTIN or MPN, with cursor paging."""
    require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    query = request.query_params
    phrase = query.get("phrase")
    mode = query.get("mode")
    category_id = query.get("category.id")
    if mode not in (None, "GTIN", "MPN"):
        raise ApiError(422, "VALIDATION_ERROR", f"Unknown search mode {mode}", path="mode")
    if not phrase and not category_id:
        raise ApiError(422, "VALIDATION_ERROR", "Give a phrase or a category.id", path="phrase")
    if phrase is not None and len(phrase) > 1024:
        raise ApiError(422, "VALIDATION_ERROR", "The phrase is too long", path="phrase")
    found = [
        p for p in state.products
        if (not phrase or _matches(p, phrase, mode))
        and (not category_id or p["category"]["id"] == category_id)
    ]
    key = hashlib.sha1(f"{phrase}|{mode}|{category_id}".encode(), usedforsecurity=False
                       ).hexdigest()[:12]
    cursor = query.get("page.id")
    start = _offset(cursor, key) if cursor else 0
    size = state.config.products_page_size
    body: dict[str, Any] = {"products": found[start:start + size]}
    if start + size < len(found):
        body["nextPage"] = {"id": _cursor(start + size, key)}
    return json_response(request, body)


async def get_product(request: Request) -> Response:
    """GET /sale/products/{productId}."""
    require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    product_id = request.path_params["productId"]
    product = state.product(product_id)
    if product is None:
        raise ApiError(404, "NotFoundException", f"Product {product_id} not found")
    return json_response(request, product)


def routes() -> list[BaseRoute]:
    """The product routes."""
    return [
        Route("/sale/products", search_products, methods=["GET"]),
        Route("/sale/products/{productId}", get_product, methods=["GET"]),
    ]
