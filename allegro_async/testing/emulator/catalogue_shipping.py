"""Emulator: shipping price lists, /sale/shipping-rates (S3).

At most ``CatalogueConfig.shipping_rates_cap`` (250) per account; they can be edited but not
deleted: there is no DELETE route, so Allegro's router answers 405.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator.clock import iso
from allegro_async.testing.emulator.http import (
    ApiError,
    emulator_of,
    json_body,
    json_response,
    require_user,
    validation_error,
)

if TYPE_CHECKING:
    from allegro_async.testing.emulator.catalogue import CatalogueState

# "letters, numbers, hyphens, dots, commas and spaces" (spec, ShippingRatesSet.name)
_NAME = re.compile(r"^[^\W_]([^\W_]|[-., ])*$")
_FIELDS = ("id", "name", "rates", "lastModified", "type", "dispatchCountry")


def _money(value: Any, path: str) -> dict[str, str]:
    if (not isinstance(value, dict) or not isinstance(value.get("amount"), str)
            or not isinstance(value.get("currency"), str)):
        raise validation_error("A rate needs amount and currency as strings", path)
    try:
        if float(value["amount"]) < 0:
            raise ValueError
    except ValueError:
        raise validation_error(
            f"{value['amount']!r} is not a valid amount", f"{path}.amount") from None
    return {"amount": value["amount"], "currency": value["currency"]}


def validate_set(body: Any) -> dict[str, Any]:
    """The stored form of a shipping rates set, or a 422 naming the broken rule."""
    if not isinstance(body, dict) or not isinstance(body.get("rates"), list):
        raise validation_error("rates is required", "rates")
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not _NAME.match(name):
        raise validation_error("The name must have 1-64 characters: letters, numbers, hyphens, "
                               "dots, commas and spaces", "name")
    rates = []
    for i, rate in enumerate(body["rates"]):
        path = f"rates[{i}]"
        if not isinstance(rate, dict):
            raise validation_error("A rate must be an object", path)
        method = rate.get("deliveryMethod")
        if not isinstance(method, dict) or not isinstance(method.get("id"), str):
            raise validation_error("deliveryMethod.id is required", f"{path}.deliveryMethod.id")
        quantity = rate.get("maxQuantityPerPackage")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise validation_error("maxQuantityPerPackage must be at least 1",
                                   f"{path}.maxQuantityPerPackage")
        clean: dict[str, Any] = {
            "deliveryMethod": {"id": method["id"]},
            "maxQuantityPerPackage": quantity,
            "firstItemRate": _money(rate.get("firstItemRate"), f"{path}.firstItemRate"),
            "nextItemRate": _money(rate.get("nextItemRate"), f"{path}.nextItemRate"),
        }
        for key in ("maxPackageWeight", "shippingTime"):
            if isinstance(rate.get(key), dict):
                clean[key] = {k: v for k, v in rate[key].items() if isinstance(v, str)}
        rates.append(clean)
    out: dict[str, Any] = {"name": name, "rates": rates}
    if body.get("type") in ("PHYSICAL", "ELECTRONIC"):
        out["type"] = body["type"]
    if isinstance(body.get("dispatchCountry"), str):
        out["dispatchCountry"] = body["dispatchCountry"]
    return out


def _public(record: dict[str, Any], *, features: bool) -> dict[str, Any]:
    out = {k: record[k] for k in _FIELDS if k in record}
    if features:
        out["features"] = dict(record["features"])
    return out


async def list_rates(request: Request) -> Response:
    """GET /sale/shipping-rates: the seller's price lists (id, name, flags, marketplaces)."""
    who = require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    marketplace = request.query_params.get("marketplace")
    items = [
        {"id": r["id"], "name": r["name"], "features": dict(r["features"]),
         "marketplaces": [{"id": m} for m in r["marketplaces"]]}
        for r in state.shipping_rates_of(str(who.user_id))
        if marketplace is None or marketplace in r["marketplaces"]
    ]
    return json_response(request, {"shippingRates": items})


async def create_rates(request: Request) -> Response:
    """POST /sale/shipping-rates: a new price list, refused past the S3 cap."""
    who = require_user(request)
    emulator = emulator_of(request)
    state: CatalogueState = emulator.catalogue
    record = validate_set(await json_body(request))
    cap = state.config.shipping_rates_cap
    if len(state.shipping_rates_of(str(who.user_id))) >= cap:
        raise ApiError(
            422, "ShippingRatesLimitExceededException",
            f"You have reached the limit of {cap} shipping rates sets. Edit an existing one "
            "instead.", metadata={"limit": str(cap)},
        )
    record["id"] = str(uuid.UUID(int=emulator.random.getrandbits(128), version=4))
    record["lastModified"] = iso(emulator.clock.now())
    state.store_shipping_rates(str(who.user_id), record)
    return json_response(request, _public(record, features=False), 201)


def _find(state: CatalogueState, user_id: str, rates_id: str) -> dict[str, Any]:
    for record in state.shipping_rates_of(user_id):
        if record["id"] == rates_id:
            return record
    raise ApiError(404, "NotFoundException", f"Shipping rates set {rates_id} not found")


async def get_rates(request: Request) -> Response:
    """GET /sale/shipping-rates/{id}."""
    who = require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    record = _find(state, str(who.user_id), request.path_params["id"])
    return json_response(request, _public(record, features=True))


async def update_rates(request: Request) -> Response:
    """PUT /sale/shipping-rates/{id}: replace name and rates (the id in the body must match)."""
    who = require_user(request)
    emulator = emulator_of(request)
    state: CatalogueState = emulator.catalogue
    rates_id = request.path_params["id"]
    body = await json_body(request)
    record = _find(state, str(who.user_id), rates_id)
    if isinstance(body, dict) and body.get("id") not in (None, rates_id):
        raise validation_error("The id in the body differs from the id in the path", "id")
    if record["features"].get("managedByAllegro"):
        raise validation_error(
            "This shipping rates set is managed by Allegro and cannot be modified", "id")
    fresh = validate_set(body)
    for key in ("type", "dispatchCountry"):
        record.pop(key, None)
    record.update(fresh)
    record["lastModified"] = iso(emulator.clock.now())
    return json_response(request, _public(record, features=False))


def routes() -> list[BaseRoute]:
    """The shipping-rates routes (no DELETE: S3)."""
    return [
        Route("/sale/shipping-rates", list_rates, methods=["GET"]),
        Route("/sale/shipping-rates", create_rates, methods=["POST"]),
        Route("/sale/shipping-rates/{id}", get_rates, methods=["GET"]),
        Route("/sale/shipping-rates/{id}", update_rates, methods=["PUT"]),
    ]
