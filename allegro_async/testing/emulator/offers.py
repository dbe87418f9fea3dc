"""Emulator: product offers (A10, S18, S19), the offer listing and draft deletion; the offer
commands (S17, S20) live in ``offers_commands``.

Other areas read offers through :meth:`OffersState.offers_of` and :meth:`OffersState.get`.
"""

from __future__ import annotations

import datetime as _dt
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator import offers_commands, offers_data, offers_listing
from allegro_async.testing.emulator.clock import iso
from allegro_async.testing.emulator.http import ApiError, json_body, json_response, require_user

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator

#: S19: Allegro's message, with the limit filled in.
DRAFTS_LIMIT_MESSAGE = (
    "You cannot create new drafts - your account has exceeded the maximum number {limit} of "
    "drafts."
)


@dataclass
class OffersConfig:
    """Settings of the emulator's offers area.

    - ``active``/``drafts``/``ended``: offers generated per seller (deterministic from the seed);
    - ``max_drafts``: S19, the most INACTIVE offers an account may hold;
    - ``async_every``: every n-th POST/PATCH of a product offer answers 202 (A10); 0 = never;
    - ``async_probability``: or answer 202 with this probability (seeded);
    - ``operation_seconds``: emulated seconds an accepted (202) operation takes;
    - ``retry_after``: the ``Retry-After`` seconds sent with a 202;
    - ``command_seconds``: emulated seconds a command needs to finish all of its tasks;
    - ``command_failure_rate``: share of command tasks that fail (seeded per offer and command);
    - ``max_offers_per_command``: S20, 1000 on Allegro.
    """

    active: int = 30
    drafts: int = 10
    ended: int = 10
    max_drafts: int = 20_000
    async_every: int = 0
    async_probability: float = 0.0
    operation_seconds: float = 5.0
    retry_after: int = 1
    command_seconds: float = 2.0
    command_failure_rate: float = 0.0
    max_offers_per_command: int = 1000


@dataclass
class _Operation:
    offer_id: str
    seller_id: str
    started: _dt.datetime
    done_at: float  # emulated monotonic seconds


@dataclass
class OfferCounters:
    """Per-offer counters, for tests that check nothing was changed twice."""

    patches: Counter[str] = field(default_factory=Counter)
    command_changes: Counter[str] = field(default_factory=Counter)
    created: int = 0
    deleted: int = 0


class OffersState:
    """The emulator's offers: generated per seller on first use, changed by the routes."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.config: OffersConfig = emulator.config.offers
        self.counters = OfferCounters()
        self.random = random.Random(f"offers-async-{emulator.config.seed}")
        self._by_seller: dict[str, dict[str, dict[str, Any]]] = {}
        self._next_number: dict[str, int] = {}
        self._writes = 0
        self.operations: dict[str, _Operation] = {}
        self.commands = offers_commands.CommandStore(self)

    # -- accessors shared with other areas ---------------------------------------------------
    def offers_of(self, seller_id: str) -> dict[str, dict[str, Any]]:
        """A seller's offers by id (live dicts shaped like SaleProductOfferResponseV1, plus
        ``_seller``/``_sold`` bookkeeping keys; use :func:`offers_data.public` to send one)."""
        offers = self._by_seller.get(seller_id)
        if offers is None:
            index = self._seller_index(seller_id)
            cfg = self.config
            offers = offers_data.generate(
                seed=self.emulator.config.seed, seller_index=index, seller_id=seller_id,
                active=cfg.active, drafts=cfg.drafts, ended=cfg.ended,
                epoch=self.emulator.clock.epoch,
            )
            self._by_seller[seller_id] = offers
            self._next_number[seller_id] = cfg.active + cfg.drafts + cfg.ended
        return offers

    def get(self, offer_id: str) -> dict[str, Any] | None:
        """Any seller's offer by id, or ``None`` (finished commands are applied first, so the
        state is current)."""
        self.commands.settle_due()
        seller_id = self._seller_of_id(offer_id)
        if seller_id is None:
            return None
        return self.offers_of(seller_id).get(offer_id)

    def drafts_count(self, seller_id: str) -> int:
        """How many INACTIVE offers (drafts) a seller holds (S19)."""
        return sum(
            1 for o in self.offers_of(seller_id).values()
            if o["publication"].get("status") == "INACTIVE"
        )

    # -- internals ---------------------------------------------------------------------------
    def _seller_index(self, seller_id: str) -> int:
        for i, seller in enumerate(self.emulator.sellers):
            if seller.id == seller_id:
                return i
        raise KeyError(seller_id)

    def _seller_of_id(self, offer_id: str) -> str | None:
        if not offer_id.isdigit():
            return None
        index = (int(offer_id) - 7_700_000_000) // 10_000_000
        if 0 <= index < len(self.emulator.sellers):
            return self.emulator.sellers[index].id
        return None

    def owned(self, offer_id: str, seller_id: str) -> dict[str, Any]:
        """The caller's offer, or the 404/403 Allegro answers."""
        self.commands.settle_due()
        offer = self.get(offer_id)
        if offer is None:
            raise ApiError(404, "NotFoundException", f"Offer {offer_id} not found",
                           path="offerId")
        if offer["_seller"] != seller_id:
            raise ApiError(403, "AccessDenied", f"You cannot access offer {offer_id}",
                           user_message="This offer belongs to another account.")
        return offer

    def create(self, seller_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Add an offer from a POST body; S19 when it would be one draft too many."""
        offers = self.offers_of(seller_id)
        status = (body.get("publication") or {}).get("status") or "INACTIVE"
        status = "ACTIVE" if status in ("ACTIVE", "ACTIVATING") else "INACTIVE"
        limit = self.config.max_drafts
        if status == "INACTIVE" and self.drafts_count(seller_id) >= limit:
            message = DRAFTS_LIMIT_MESSAGE.format(limit=limit)
            raise ApiError(422, "VALIDATION_ERROR", message,
                           metadata={"maxInactiveOffers": str(limit)})
        self._next_number[seller_id] += 1
        offer_id = offers_data.offer_id_for(
            self._seller_index(seller_id), self._next_number[seller_id]
        )
        now = self.emulator.clock.now()
        offer = offers_data.new_offer(
            offer_id=offer_id, seller_id=seller_id, name=str(body.get("name") or "Draft"),
            status=status, price="1.00", stock=0, category="257931", created=now,
        )
        for key in ("sellingMode", "stock", "category"):
            offer.pop(key, None)
        offers_data.deep_merge(offer, {k: v for k, v in body.items()
                                       if k not in ("id", "publication", "createdAt",
                                                    "updatedAt", "validation")})
        offer["publication"]["status"] = status
        offers[offer_id] = offer
        self.counters.created += 1
        return offer

    def goes_async(self) -> bool:
        """A10: whether this write answers 202 (deterministic rule or seeded chance)."""
        self._writes += 1
        if self.config.async_every and self._writes % self.config.async_every == 0:
            return True
        p = self.config.async_probability
        return p > 0 and self.random.random() < p

    def start_operation(self, offer: dict[str, Any]) -> str:
        """Register an accepted (202) operation on an offer; returns its id."""
        op_id = str(uuid.UUID(int=self.random.getrandbits(128), version=4))
        self.operations[op_id] = _Operation(
            offer_id=offer["id"], seller_id=offer["_seller"], started=self.emulator.clock.now(),
            done_at=self.emulator.clock.monotonic() + self.config.operation_seconds,
        )
        return op_id


def _state(request: Request) -> OffersState:
    state: OffersState = request.app.state.emulator.offers
    return state


def _absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _written(request: Request, offer: dict[str, Any], status: int) -> Response:
    """201/200, or 202 with Location and Retry-After (A10)."""
    state = _state(request)
    body = offers_data.public(offer)
    if state.goes_async():
        op_id = state.start_operation(offer)
        location = _absolute(request, f"/sale/product-offers/{offer['id']}/operations/{op_id}")
        return json_response(request, body, 202, {
            "Location": location, "Retry-After": str(state.config.retry_after)
        })
    return json_response(request, body, status)


async def _object_body(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JsonParseException", "The request body must be a JSON object")
    name = body.get("name")
    if name is not None and not (isinstance(name, str) and 12 <= len(name) <= 75):
        raise ApiError(422, "VALIDATION_ERROR",
                       "The offer title must be 12 to 75 characters long", path="name")
    return body


async def _create(request: Request) -> Response:
    who = require_user(request)
    body = await _object_body(request)
    offer = _state(request).create(str(who.user_id), body)
    return _written(request, offer, 201)


async def _get(request: Request) -> Response:
    who = require_user(request)
    offer = _state(request).owned(request.path_params["offerId"], str(who.user_id))
    return json_response(request, offers_data.public(offer))


async def _patch(request: Request) -> Response:
    who = require_user(request)
    state = _state(request)
    offer = state.owned(request.path_params["offerId"], str(who.user_id))
    body = await _object_body(request)
    changes = {k: v for k, v in body.items()
               if k not in ("id", "createdAt", "updatedAt", "validation")}
    offers_data.deep_merge(offer, changes)
    stamp = iso(state.emulator.clock.now())
    offer["updatedAt"] = stamp
    offer["validation"]["validatedAt"] = stamp
    state.counters.patches[offer["id"]] += 1
    return _written(request, offer, 200)


async def _parts(request: Request) -> Response:
    who = require_user(request)
    offer = _state(request).owned(request.path_params["offerId"], str(who.user_id))
    include = request.query_params.getlist("include")
    if not include or any(part not in ("stock", "price") for part in include):
        raise ApiError(400, "IllegalArgumentException",
                       "Parameter 'include' must name one or more of: stock, price",
                       path="include")
    return json_response(request, offers_data.parts(offer, include))


async def _operation(request: Request) -> Response:
    who = require_user(request)
    state = _state(request)
    offer_id = request.path_params["offerId"]
    op = state.operations.get(request.path_params["operationId"])
    if op is None or op.offer_id != offer_id or op.seller_id != who.user_id:
        raise ApiError(404, "NotFoundException", "Operation not found", path="operationId")
    remaining = op.done_at - state.emulator.clock.monotonic()
    if remaining > 0:
        return json_response(request, {
            "offer": {"id": offer_id},
            "operation": {"id": request.path_params["operationId"], "status": "IN_PROGRESS",
                          "startedAt": iso(op.started)},
        }, 202, {"Retry-After": str(state.config.retry_after)})
    location = _absolute(request, f"/sale/product-offers/{offer_id}")
    return Response(status_code=303, headers={"Location": location})


async def _delete(request: Request) -> Response:
    who = require_user(request)
    state = _state(request)
    offer = state.owned(request.path_params["offerId"], str(who.user_id))
    if offer["publication"].get("status") != "INACTIVE":
        # Allegro refuses to delete anything but a draft; end the offer with a command instead.
        # 403 is the refusal the spec declares for this operation
        raise ApiError(403, "OfferNotDeletableException",
                       f"Offer {offer['id']} cannot be deleted: only drafts (INACTIVE offers) "
                       "can be deleted; end it with a publication command", path="offerId")
    del state.offers_of(offer["_seller"])[offer["id"]]
    state.counters.deleted += 1
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    """The routes of this area, with paths exactly as in Allegro's spec."""
    return [
        Route("/sale/product-offers", _create, methods=["POST"]),
        Route("/sale/product-offers/{offerId}", _get, methods=["GET"]),
        Route("/sale/product-offers/{offerId}", _patch, methods=["PATCH"]),
        Route("/sale/product-offers/{offerId}/parts", _parts, methods=["GET"]),
        Route("/sale/product-offers/{offerId}/operations/{operationId}", _operation,
              methods=["GET"]),
        Route("/sale/offers", offers_listing.list_offers, methods=["GET"]),
        Route("/sale/offers/{offerId}", _delete, methods=["DELETE"]),
        *offers_commands.routes(),
    ]
