"""Per-user limits as data (A2): which endpoint family a request belongs to, and its weight.

Override by passing your own tuple of :class:`Rule` to :class:`~allegro_async.throttle.Throttle`
(``rules=``); the first rule that matches a request wins. Rates are per second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from allegro_async._http import Request, httpx


def offer_count(request: Request) -> int:
    """The weight of an offer command PUT: how many offers its ``offerCriteria`` name (A2).

    Allegro counts these commands in offers, not requests: a command with 1000 offers spends
    1000 of the 9000 per minute.
    """
    try:
        body = json.loads(request.content or b"null")
    except (ValueError, UnicodeDecodeError, httpx.RequestNotRead):
        return 1  # a streamed or odd body: count the request, the server decides
    total = 0
    if isinstance(body, dict):
        for criterion in body.get("offerCriteria") or ():
            if isinstance(criterion, dict):
                total += len(criterion.get("offers") or ())
    return max(1, total)


@dataclass(frozen=True)
class Rule:
    """One per-user limit: requests whose method is in ``methods`` and whose path matches
    ``pattern`` share a leaky bucket of ``rate`` units per second and ``burst`` units at once;
    each request costs ``weight(request)`` units (1 by default)."""

    family: str
    methods: frozenset[str]
    pattern: str
    rate: float
    burst: float
    weight: Callable[[Request], int] | None = None
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(self.pattern))

    def matches(self, method: str, path: str) -> bool:
        """Whether a request falls under this rule."""
        return method in self.methods and self._regex.fullmatch(path) is not None

    def cost(self, request: Request) -> int:
        """Units this request spends."""
        return 1 if self.weight is None else self.weight(request)


def _m(*methods: str) -> frozenset[str]:
    return frozenset(methods)


_COMMANDS = r"/sale/offer-(?:publication|modification|quantity-change)-commands/[^/]+"
_PRICE = r"/sale/offer-price-change-commands/[^/]+"
_ANY_COMMAND = (r"/sale/offer-(?:publication|modification|quantity-change|price-change)"
                r"-commands/[^/]+(?:/tasks)?")

#: The A2 limits known from the spec and Allegro staff, as rules (rates per second). Bursts
#: are a few seconds' worth, and at least 1000 where a single command may name 1000 offers.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("offer-commands", _m("PUT"), _COMMANDS, 9000 / 60, 1000, offer_count),
    Rule("price-commands", _m("PUT"), _PRICE, 9000 / 60, 1000, offer_count),
    Rule("command-reports", _m("GET"), _ANY_COMMAND, 270_000 / 60, 1000),
    Rule("product-offer-read", _m("GET"), r"/sale/product-offers/[^/]+", 3500 / 60, 50),
    Rule("product-offer-write", _m("POST"), r"/sale/product-offers", 2490 / 60, 40),
    Rule("product-offer-write", _m("PATCH"), r"/sale/product-offers/[^/]+", 2490 / 60, 40),
    Rule("carriers-shipments", _m("GET", "POST"),
         r"/order/carriers|/order/checkout-forms/[^/]+/shipments", 50, 50),
    Rule("customer-returns", _m("GET", "POST"), r"/order/customer-returns(?:/.*)?", 25, 25),
    Rule("messages", _m("POST"), r"/messaging/messages|/messaging/threads/[^/]+/messages",
         1, 1),
)


def find_rule(rules: tuple[Rule, ...], method: str, path: str) -> Rule | None:
    """The first rule matching a request, or ``None``."""
    for rule in rules:
        if rule.matches(method, path):
            return rule
    return None
