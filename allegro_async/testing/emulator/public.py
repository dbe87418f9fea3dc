"""Public resources that answer app tokens as well as user tokens (A6): the category tree and
the delivery methods. Shapes follow the spec's ``CategoriesDto``/``CategoryDto`` and the
``GET /sale/delivery-methods`` response; the data is a small fixed tree that matches the
category ids the offers and products areas use.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator.http import ApiError, json_response, principal
from allegro_async.testing.emulator.orders_data import DELIVERY_METHODS, MARKETPLACES

#: The spec's default for ``parent.id``: omitting it lists the main categories.
ROOT_ID = "954b95b6-43cf-4104-8354-dea4d9b10ddf"

# id -> (name, parent id or None for a main category); leaves are the ids offers/products use.
_TREE: dict[str, tuple[str, str | None]] = {
    "954": ("Electronics", None),
    "11763": ("Fashion", None),
    "5": ("Home and garden", None),
    "491": ("Laptops", "954"),
    "77919": ("Smartphones", "954"),
    "165": ("Phone accessories", "954"),
    "2441": ("T-shirts", "11763"),
    "4029": ("Shoes", "11763"),
    "257931": ("Kitchen", "5"),
    "67413": ("Garden tools", "5"),
    "122233": ("Lighting", "5"),
}
_PARENTS = {parent for _, parent in _TREE.values() if parent is not None}


def _category(category_id: str) -> dict[str, Any]:
    name, parent = _TREE[category_id]
    found: dict[str, Any] = {
        "id": category_id,
        "name": name,
        "leaf": category_id not in _PARENTS,
        "options": {
            "advertisement": False,
            "offersWithProductPublicationEnabled": True,
            "productCreationEnabled": category_id not in _PARENTS,
            "sellerCanRequirePurchaseComments": False,
        },
    }
    if parent is not None:  # the spec's parent is not nullable: main categories omit it
        found["parent"] = {"id": parent}
    return found


def _not_found(category_id: str) -> ApiError:
    return ApiError(404, "NotFoundException", f"Category {category_id} not found")


async def _categories(request: Request) -> Response:
    principal(request)  # any valid token: app or user (A6)
    parent = request.query_params.get("parent.id", ROOT_ID)
    if parent != ROOT_ID and parent not in _TREE:
        raise _not_found(parent)
    wanted = None if parent == ROOT_ID else parent
    found = [_category(cid) for cid, (_, p) in _TREE.items() if p == wanted]
    return json_response(request, {"categories": found})


async def _category_by_id(request: Request) -> Response:
    principal(request)
    category_id: str = request.path_params["categoryId"]
    if category_id not in _TREE:
        raise _not_found(category_id)
    return json_response(request, _category(category_id))


def _delivery_method(method_id: str, name: str) -> dict[str, Any]:
    cash = "pobranie" in name.lower()
    return {
        "id": method_id,
        "name": name,
        "marketplaces": [MARKETPLACES[0]],
        "paymentPolicy": "CASH_ON_DELIVERY" if cash else "IN_ADVANCE",
        "allegroEndorsed": name.startswith("Allegro"),
        "dispatchCountry": None,
        "destinationCountry": "PL",
        "shippingRatesConstraints": {
            "allowed": True,
            "maxQuantityPerPackage": {"max": 999999},
            "firstItemRate": {"min": "0.00", "max": "100000000.00", "currency": "PLN"},
            "nextItemRate": {"min": "0.00", "max": "100000000.00", "currency": "PLN"},
            "shippingTime": {"default": {"from": "PT24H", "to": "PT48H"}, "customizable": True},
        },
    }


async def _delivery_methods(request: Request) -> Response:
    principal(request)
    marketplace = request.query_params.get("marketplace")
    methods = [_delivery_method(mid, name) for mid, name in DELIVERY_METHODS]
    if marketplace:
        methods = [m for m in methods if marketplace in m["marketplaces"]]
    return json_response(request, {"deliveryMethods": methods})


def routes() -> list[BaseRoute]:
    """The public routes (app or user token)."""
    return [
        Route("/sale/categories", _categories, methods=["GET"]),
        Route("/sale/categories/{categoryId}", _category_by_id, methods=["GET"]),
        Route("/sale/delivery-methods", _delivery_methods, methods=["GET"]),
    ]
