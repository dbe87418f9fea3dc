"""Emulator: offer publication, price, quantity and modification commands (S17, S20).

A command is registered by PUT under a client-chosen ``commandId``; its tasks (one per offer)
finish over emulated time (``OffersConfig.command_seconds``), and the changes land on the
offers when the command completes.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import uuid
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator import offers_data
from allegro_async.testing.emulator.clock import iso, parse_iso
from allegro_async.testing.emulator.http import (
    ApiError,
    json_body,
    json_response,
    require_user,
    validation_error,
)

if TYPE_CHECKING:
    from allegro_async.testing.emulator.offers import OffersState

#: URL segment -> command kind; the routes are exactly the spec's paths.
KINDS = {
    "offer-publication-commands": "publication",
    "offer-price-change-commands": "price",
    "offer-quantity-change-commands": "quantity",
    "offer-modification-commands": "modification",
}
_FIELDS = {"publication": "publication.status", "price": "sellingMode.price",
           "quantity": "stock.available", "modification": "modification"}
_PRICE_TYPES = ("FIXED_PRICE", "INCREASE_PRICE", "DECREASE_PRICE", "INCREASE_PERCENTAGE",
                "DECREASE_PERCENTAGE")
#: S17, Allegro's words.
PAST_SCHEDULE_MESSAGE = "You cannot schedule activating an offer in the past"


@dataclass
class Command:
    """One registered command and the fate of each of its tasks."""

    id: str
    kind: str
    seller_id: str
    body_key: str
    body: dict[str, Any]
    offer_ids: list[str]
    created: _dt.datetime
    started: float
    duration: float
    failures: dict[str, str] = field(default_factory=dict)  # offer id -> message
    applied: bool = False

    def finished(self, now: float) -> int:
        """How many tasks are done at emulated time ``now`` (they finish in order)."""
        if self.duration <= 0:
            return len(self.offer_ids)
        share = min(1.0, max(0.0, (now - self.started) / self.duration))
        return min(len(self.offer_ids), math.floor(len(self.offer_ids) * share + 1e-9))


class CommandStore:
    """Every command the emulator received, by (seller id, command id): ids are the client's
    choice, so two sellers may well pick the same one without seeing each other's."""

    def __init__(self, offers: OffersState) -> None:
        self.offers = offers
        self.by_id: dict[tuple[str, str], Command] = {}
        self._pending: list[Command] = []
        self._settling = False

    def _now(self) -> float:
        return self.offers.emulator.clock.monotonic()

    def register(self, kind: str, command_id: str, seller_id: str, body: Any) -> Command:
        """Validate and register a PUT; the same body again returns the same command (S20)."""
        _check_uuid(command_id)
        key = json.dumps(body, sort_keys=True, separators=(",", ":"))
        existing = self.by_id.get((seller_id, command_id))
        if existing is not None:
            if existing.kind == kind and existing.body_key == key:
                return existing
            raise ApiError(409, "CommandAlreadyExistsException",
                           f"Command id {command_id} was already used", path="commandId")
        offer_ids = _validate(kind, body, self.offers.config.max_offers_per_command,
                              self.offers.emulator.clock.now())
        cfg = self.offers.config
        command = Command(
            id=command_id, kind=kind, seller_id=seller_id, body_key=key, body=body,
            offer_ids=offer_ids, created=self.offers.emulator.clock.now(), started=self._now(),
            duration=cfg.command_seconds,
        )
        seed = self.offers.emulator.config.seed
        for offer_id in offer_ids:
            offer = self.offers.get(offer_id)
            if offer is None or offer["_seller"] != seller_id:
                command.failures[offer_id] = "The offer does not exist."
            elif cfg.command_failure_rate > 0 and (
                zlib.crc32(f"{seed}-{command_id}-{offer_id}".encode()) / 2**32
            ) < cfg.command_failure_rate:
                command.failures[offer_id] = "The offer could not be changed. Try again."
        self.by_id[(seller_id, command_id)] = command
        self._pending.append(command)
        return command

    def settle_due(self) -> None:
        """Apply the changes of every command whose tasks have all finished."""
        if self._settling or not self._pending:
            return  # applying looks offers up, which settles: do not re-enter
        self._settling = True
        try:
            now = self._now()
            due = [c for c in self._pending if c.finished(now) >= len(c.offer_ids)]
            self._pending = [c for c in self._pending if c not in due]
            for command in due:
                self._apply(command)
        finally:
            self._settling = False

    def _apply(self, command: Command) -> None:
        command.applied = True
        counters = self.offers.counters
        for offer_id in command.offer_ids:
            if offer_id in command.failures:
                continue
            offer = self.offers.get(offer_id)
            if offer is None:  # deleted meanwhile
                continue
            _APPLY[command.kind](offer, command.body, self.offers.emulator.clock.now())
            offer["updatedAt"] = iso(self.offers.emulator.clock.now())
            counters.command_changes[offer_id] += 1

    def report(self, command: Command) -> dict[str, Any]:
        """GeneralReport: the task counts so far."""
        done = command.finished(self._now())
        failed = sum(1 for o in command.offer_ids[:done] if o in command.failures)
        total = len(command.offer_ids)
        completed = None
        if done >= total:
            completed = iso(command.created + _dt.timedelta(seconds=command.duration))
        return {
            "id": command.id,
            "createdAt": iso(command.created),
            "completedAt": completed,
            "taskCount": {"total": total, "success": done - failed, "failed": failed},
        }

    def tasks(self, command: Command, offset: int, limit: int) -> list[dict[str, Any]]:
        """TaskReport items ``offset .. offset + limit``."""
        done = command.finished(self._now())
        out = []
        for index in range(offset, min(offset + limit, len(command.offer_ids))):
            offer_id = command.offer_ids[index]
            task: dict[str, Any] = {"offer": {"id": offer_id}, "field": _FIELDS[command.kind]}
            if index >= done:
                task.update(status="NEW", message="", errors=[])
            elif offer_id in command.failures:
                message = command.failures[offer_id]
                task.update(status="FAIL", message=message, errors=[{
                    "code": "NOT_FOUND" if "not exist" in message else "TASK_FAILED",
                    "message": message, "userMessage": message, "details": None,
                    "path": None, "metadata": {},
                }])
            else:
                task.update(status="SUCCESS", message="", errors=[])
            out.append(task)
        return out


def _check_uuid(command_id: str) -> None:
    """Allegro wants the client's commandId as a UUID; anything else is a 422."""
    try:
        uuid.UUID(command_id)
    except ValueError:
        raise validation_error(f"Command id {command_id} is not a valid UUID",
                               "commandId") from None


def _validate(kind: str, body: Any, max_offers: int, now: _dt.datetime) -> list[str]:
    """The offer ids of a command body, or the 400/422 Allegro answers (S17, S20)."""
    if not isinstance(body, dict):
        raise ApiError(400, "JsonParseException", "The request body must be a JSON object")
    criteria = body.get("offerCriteria")
    if not isinstance(criteria, list) or not criteria:
        raise validation_error("offerCriteria must list the offers to change", "offerCriteria")
    offer_ids: list[str] = []
    for criterion in criteria:
        if not isinstance(criterion, dict) or criterion.get("type") != "CONTAINS_OFFERS" \
                or not isinstance(criterion.get("offers"), list):
            raise validation_error("Each offerCriteria item needs type CONTAINS_OFFERS and "
                                   "offers", "offerCriteria")
        for item in criterion["offers"]:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise validation_error("Each offer needs an id", "offerCriteria.offers")
            offer_ids.append(item["id"])
    if not offer_ids:
        raise validation_error("The command names no offers", "offerCriteria.offers")
    if len(offer_ids) > max_offers:  # S20
        raise validation_error(
            f"Too many offers in one command: {len(offer_ids)}. A command can change at most "
            f"{max_offers} offers", "offerCriteria.offers")
    if len(set(offer_ids)) != len(offer_ids):
        raise validation_error("An offer appears twice in the command", "offerCriteria.offers")
    if kind == "publication":
        publication = body.get("publication")
        if not isinstance(publication, dict) or publication.get("action") not in (
                "ACTIVATE", "END"):
            raise validation_error("publication.action must be ACTIVATE or END",
                                   "publication.action")
        scheduled = publication.get("scheduledFor")
        if scheduled is not None and publication["action"] == "ACTIVATE":
            try:
                when = parse_iso(str(scheduled))
            except ValueError:
                raise validation_error("publication.scheduledFor is not a date-time",
                                       "publication.scheduledFor") from None
            if when <= now:  # S17
                raise validation_error(PAST_SCHEDULE_MESSAGE, "publication.scheduledFor")
    else:
        modification = body.get("modification")
        if not isinstance(modification, dict):
            raise validation_error("modification is required", "modification")
        if kind == "price" and modification.get("type") not in _PRICE_TYPES:
            raise validation_error(f"modification.type must be one of {', '.join(_PRICE_TYPES)}",
                                   "modification.type")
        if kind == "quantity" and (modification.get("changeType") not in ("FIXED", "GAIN")
                                   or not isinstance(modification.get("value"), int)):
            raise validation_error("modification needs changeType FIXED or GAIN and an integer "
                                   "value", "modification")
    return offer_ids


def _apply_publication(offer: dict[str, Any], body: dict[str, Any], now: _dt.datetime) -> None:
    publication = body["publication"]
    if publication["action"] == "END":
        offer["publication"].update(status="ENDED", endedBy="USER")
    elif publication.get("scheduledFor"):
        offer["publication"].update(status="ACTIVATING", startingAt=publication["scheduledFor"])
    else:
        offer["publication"]["status"] = "ACTIVE"
        offer["publication"].pop("endedBy", None)


def _money(value: Decimal) -> str:
    return str(max(Decimal("0.01"), value.quantize(Decimal("0.01"), ROUND_HALF_UP)))


def _apply_price(offer: dict[str, Any], body: dict[str, Any], now: _dt.datetime) -> None:
    mod = body["modification"]
    selling = offer.setdefault("sellingMode", {"format": "BUY_NOW"})
    price = selling.setdefault("price", {"amount": "0.01", "currency": "PLN"})
    try:
        amount = Decimal(price["amount"])
        if mod["type"] == "FIXED_PRICE":
            selling["price"] = {"amount": _money(Decimal(mod["price"]["amount"])),
                                "currency": mod["price"].get("currency", "PLN")}
            return
        if mod["type"] in ("INCREASE_PRICE", "DECREASE_PRICE"):
            delta = Decimal(mod["value"]["amount"])
        else:
            delta = amount * Decimal(mod["percentage"]) / 100
    except (KeyError, TypeError, InvalidOperation):
        return  # a malformed modification changes nothing, as the task report would say
    sign = 1 if mod["type"].startswith("INCREASE") else -1
    price["amount"] = _money(amount + sign * delta)


def _apply_quantity(offer: dict[str, Any], body: dict[str, Any], now: _dt.datetime) -> None:
    mod = body["modification"]
    stock = offer.setdefault("stock", {"available": 0, "unit": "UNIT"})
    value = int(mod["value"])
    stock["available"] = max(0, value if mod["changeType"] == "FIXED"
                             else stock.get("available", 0) + value)


def _apply_modification(offer: dict[str, Any], body: dict[str, Any], now: _dt.datetime) -> None:
    offers_data.deep_merge(offer, body["modification"])


_APPLY = {"publication": _apply_publication, "price": _apply_price,
          "quantity": _apply_quantity, "modification": _apply_modification}


def _store(request: Request) -> CommandStore:
    store: CommandStore = request.app.state.emulator.offers.commands
    return store


def _kind(request: Request) -> str:
    return KINDS[request.url.path.split("/")[2]]


def _command(request: Request) -> Command:
    who = require_user(request)
    store = _store(request)
    store.settle_due()
    command = store.by_id.get((str(who.user_id), request.path_params["commandId"]))
    if command is None or command.kind != _kind(request):
        raise ApiError(404, "NotFoundException", "Command not found", path="commandId")
    return command


async def _put(request: Request) -> Response:
    who = require_user(request)
    body = await json_body(request)
    store = _store(request)
    command = store.register(_kind(request), request.path_params["commandId"],
                             str(who.user_id), body)
    return json_response(request, store.report(command), 201)


async def _report(request: Request) -> Response:
    command = _command(request)
    return json_response(request, _store(request).report(command))


def _bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        value = -1
    if not low <= value <= high:
        raise validation_error(f"Parameter '{name}' must be between {low} and {high}", name)
    return value


async def _tasks(request: Request) -> Response:
    command = _command(request)
    limit = _bounded(request, "limit", 100, 1, 1000)
    offset = _bounded(request, "offset", 0, 0, 999)
    return json_response(request, {"tasks": _store(request).tasks(command, offset, limit)})


def routes() -> list[BaseRoute]:
    """PUT/GET ``/sale/{kind}/{commandId}`` and GET ``.../tasks`` for the four kinds."""
    out: list[BaseRoute] = []
    for segment in KINDS:
        base = f"/sale/{segment}/{{commandId}}"
        out += [
            Route(base, _put, methods=["PUT"]),
            Route(base, _report, methods=["GET"]),
            Route(f"{base}/tasks", _tasks, methods=["GET"]),
        ]
    return out
