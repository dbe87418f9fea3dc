"""Emulator: legacy multi-variant offer sets, /sale/offer-variants (S22, 2020 legacy spec).

Every S22 rule is enforced here: offers in a set the seller created cannot join another set;
offers in a set Allegro created automatically can (they leave it); only ACTIVE offers can be in
a set ("not found" otherwise); offers Allegro is still processing are refused; an ended offer
drops out of its set and returns when activated again; sets are found by name or offer id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator.http import (
    ApiError,
    emulator_of,
    int_query,
    json_body,
    json_response,
    require_user,
    validation_error,
)

if TYPE_CHECKING:
    from allegro_async.testing.emulator.catalogue import CatalogueState, VariantSetRecord

COLOR_PATTERN = "color/pattern"


def _validate(body: Any) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """The set's name, offers and parameters, or a 422 naming the broken rule."""
    if not isinstance(body, dict):
        raise validation_error("The body must be a variant set object", "")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 50:
        raise validation_error(
            "The name can't be blank and must not be longer than 50 characters", "name")
    params = body.get("parameters")
    if (not isinstance(params, list) or not 1 <= len(params) <= 2
            or not all(isinstance(p, dict) and isinstance(p.get("id"), str) for p in params)):
        raise validation_error(
            "parameters must contain 1 or 2 elements, each with an id", "parameters")
    offers = body.get("offers")
    if (not isinstance(offers, list) or not 2 <= len(offers) <= 500
            or not all(isinstance(o, dict) and isinstance(o.get("id"), str) for o in offers)):
        raise validation_error(
            "offers must contain at least 2 and at most 500 offers, each with an id", "offers")
    ids = [o["id"] for o in offers]
    if len(set(ids)) != len(ids):
        raise validation_error("An offer appears more than once in the set", "offers")
    if any(p["id"] == COLOR_PATTERN for p in params):
        for offer in offers:
            pattern = offer.get("colorPattern")
            if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 50:
                raise validation_error(
                    f"colorPattern must be set (1-50 characters) for offer {offer['id']} when "
                    "the color/pattern parameter is used", "offers.colorPattern",
                )
    clean_offers = [
        {"id": o["id"], **({"colorPattern": o["colorPattern"]} if "colorPattern" in o else {})}
        for o in offers
    ]
    return name, clean_offers, [{"id": p["id"]} for p in params]


def _owned(state: CatalogueState, set_id: str, user_id: str) -> VariantSetRecord:
    record = state.variant_sets.get(set_id)
    if record is None or record.automatic:
        raise ApiError(404, "NotFoundException", f"Variant set {set_id} not found")
    if record.seller_id != user_id:
        raise ApiError(403, "AccessDenied", "You can access only your own variant sets")
    return record


async def put_variant_set(request: Request) -> Response:
    """PUT /sale/offer-variants/{setId}: create or replace a set (201, no body)."""
    who = require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    set_id = request.path_params["setId"]
    name, offers, params = _validate(await json_body(request))
    existing = state.variant_sets.get(set_id)
    if existing is not None and existing.seller_id != who.user_id:
        raise ApiError(403, "AccessDenied", "You can access only your own variant sets")
    for offer in offers:
        oid = offer["id"]
        info = state.offer(oid)
        # S22: only ACTIVE offers of this seller can be in a set; Allegro says "not found".
        if info is None or info.seller_id != who.user_id or info.status != "ACTIVE":
            raise ApiError(
                422, "OfferNotFoundException", f"Offer {oid} not found",
                path="offers.id", metadata={"offerId": oid},
            )
        if state.still_processing(oid):
            raise ApiError(
                422, "OfferStillProcessingException",
                f"Offer {oid} is still being processed. Try again later.",
                path="offers.id", metadata={"offerId": oid},
            )
        other = state.user_set_of(oid)
        if other is not None and other != set_id:
            raise ApiError(
                422, "OfferAlreadyInVariantSetException",
                f"Offer {oid} already belongs to another variant set",
                path="offers.id", metadata={"offerId": oid, "variantSetId": other},
            )
    state.write_variant_set(set_id, str(who.user_id), name, offers, params)
    return Response(status_code=201)


async def get_variant_set(request: Request) -> Response:
    """GET /sale/offer-variants/{setId}: the set with its currently ACTIVE offers."""
    who = require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    record = _owned(state, request.path_params["setId"], str(who.user_id))
    return json_response(request, state.variant_set_json(record))


async def delete_variant_set(request: Request) -> Response:
    """DELETE /sale/offer-variants/{setId}: the offers stay as they are, outside any set."""
    who = require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    record = _owned(state, request.path_params["setId"], str(who.user_id))
    state.remove_variant_set(record.id)
    return Response(status_code=204)


async def list_variant_sets(request: Request) -> Response:
    """GET /sale/offer-variants?user.id=&query=: the seller's sets by name, to find lost ids."""
    who = require_user(request)
    state: CatalogueState = emulator_of(request).catalogue
    user_id = request.query_params.get("user.id")
    if not user_id:
        raise validation_error("user.id is required", "user.id")
    if user_id != who.user_id:
        raise ApiError(403, "AccessDenied", "You are allowed to get your variant sets only")
    offset = int_query(request, "offset", 0, 0, 9950)
    limit = int_query(request, "limit", 10, 1, 50)
    query = request.query_params.get("query")
    if query is not None and len(query) > 50:
        raise validation_error("query must not be longer than 50 characters", "query")
    found = [
        r for r in state.variant_sets.values()
        if r.seller_id == user_id and not r.automatic
        and (not query or query.lower() in r.name.lower()
             or any(o["id"] == query for o in r.offers))
    ]
    found.sort(key=lambda r: (r.name.lower(), r.id))
    page = [{"id": r.id, "name": r.name} for r in found[offset:offset + limit]]
    return json_response(request, {"count": len(found), "offerVariants": page})


def routes() -> list[BaseRoute]:
    """The legacy offer-variant routes."""
    return [
        Route("/sale/offer-variants", list_variant_sets, methods=["GET"]),
        Route("/sale/offer-variants/{setId}", get_variant_set, methods=["GET"]),
        Route("/sale/offer-variants/{setId}", put_variant_set, methods=["PUT"]),
        Route("/sale/offer-variants/{setId}", delete_variant_set, methods=["DELETE"]),
    ]
