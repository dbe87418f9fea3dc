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
    criteria = body.get("offerCriteria") if isinstance(body, dict) else None
    # Only well-formed lists count: anything else weighs 1 and the server refuses it (422).
    if isinstance(criteria, list):
        for criterion in criteria:
            offers = criterion.get("offers") if isinstance(criterion, dict) else None
            if isinstance(offers, list):
                total += len(offers)
    return max(1, total)


def report_size(request: Request) -> int:
    """The weight of a command-report GET (A2: 270 000 offer *changes* per minute).

    A ``.../tasks`` GET reports up to ``limit`` offers (default 100, at most 1000): it weighs
    ``limit``, the most it can report, so pages of 1000 are spaced for the worst case. The
    command's summary GET reports no offers and weighs 1.
    """
    if not request.url.path.endswith("/tasks"):
        return 1
    try:
        limit = int(request.url.params.get("limit", "100"))
    except ValueError:
        return 100
    return min(1000, max(1, limit))


@dataclass(frozen=True)
class Rule:
    """One per-user limit: requests whose method is in ``methods`` and whose path matches
    ``pattern`` share a leaky bucket of ``rate`` units per second and ``burst`` units at once;
    each request costs ``weight(request)`` units (1 by default).

    ``more`` adds tiers, ``(rate, burst)`` pairs enforced together with the first (e.g. an
    hourly budget beside the per-minute one): a request goes when it fits every tier. ``app``
    is an optional ``(rate, burst)`` tier shared by every user of the app for this family
    (e.g. customer returns: 50 per second per Client ID).
    """

    family: str
    methods: frozenset[str]
    pattern: str
    rate: float
    burst: float
    weight: Callable[[Request], int] | None = None
    more: tuple[tuple[float, float], ...] = ()
    app: tuple[float, float] | None = None
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(self.pattern))

    def matches(self, method: str, path: str) -> bool:
        """Whether a request falls under this rule."""
        return method in self.methods and self._regex.fullmatch(path) is not None

    @property
    def tiers(self) -> tuple[tuple[float, float], ...]:
        """Every per-user ``(rate, burst)`` tier, the first one first."""
        return ((self.rate, self.burst), *self.more)

    def cost(self, request: Request) -> int:
        """Units this request spends."""
        return 1 if self.weight is None else self.weight(request)


def _m(*methods: str) -> frozenset[str]:
    return frozenset(methods)


_COMMANDS = r"/sale/offer-(?:publication|modification|quantity-change)-commands/[^/]+"
_PRICE = r"/sale/offer-price-change-commands/[^/]+"
_ANY_COMMAND = (r"/sale/offer-(?:publication|modification|quantity-change|price-change)"
                r"-commands/[^/]+(?:/tasks)?")


def hourly(per_hour: float) -> tuple[float, float]:
    """An hourly tier: ``per_hour / 3600`` per second, with a burst of a quarter of the hour's
    budget (a fresh seller may run at the per-minute rate for a while; sustained, the hourly
    rate holds)."""
    return (per_hour / 3600, per_hour / 4)


#: The A2 limits known from the spec and Allegro staff, as rules (rates per second). Bursts
#: are a few seconds' worth, and at least 1000 where a single command may name 1000 offers.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("offer-commands", _m("PUT"), _COMMANDS, 9000 / 60, 1000, offer_count,
         more=(hourly(250_000),)),
    Rule("price-commands", _m("PUT"), _PRICE, 9000 / 60, 1000, offer_count,
         more=(hourly(150_000),)),
    Rule("command-reports", _m("GET"), _ANY_COMMAND, 270_000 / 60, 5000, report_size),
    Rule("product-offer-read", _m("GET"), r"/sale/product-offers/[^/]+", 3500 / 60, 50),
    Rule("product-offer-write", _m("POST"), r"/sale/product-offers", 2490 / 60, 40,
         more=(hourly(74_700),)),
    Rule("product-offer-write", _m("PATCH"), r"/sale/product-offers/[^/]+", 2490 / 60, 40,
         more=(hourly(74_700),)),
    Rule("carriers-shipments", _m("GET", "POST"),
         r"/order/carriers|/order/checkout-forms/[^/]+/shipments", 50, 50),
    Rule("customer-returns", _m("GET", "POST"), r"/order/customer-returns(?:/.*)?", 25, 25,
         app=(50, 50)),
    Rule("messages", _m("POST"), r"/messaging/messages|/messaging/threads/[^/]+/messages",
         1, 1),
)


def find_rule(rules: tuple[Rule, ...], method: str, path: str) -> Rule | None:
    """The first rule matching a request, or ``None``."""
    for rule in rules:
        if rule.matches(method, path):
            return rule
    return None
