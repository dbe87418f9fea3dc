"""Every public service method, driven with generated arguments (valid and not), either refuses
them with ``InvalidArgumentError`` before any request or sends requests the spec allows.

Methods are found by introspection of the client's services, so a new one is driven without
being listed here; one that cannot be driven goes in :data:`SKIP` with the reason. Arguments
come from :data:`VALID` (keyed by ``"service.method:param"`` or by parameter name) mixed with
:data:`JUNK`; a parameter with no valid values gets junk only, which must then be refused.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
import uuid
import warnings
from collections.abc import Iterator
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegro_async import AllegroClient
from allegro_async.cursors import MemoryCursorStore
from allegro_async.errors import AllegroError, InvalidArgumentError
from allegro_async.models.events import OrderEventType
from allegro_async.models.orders import CheckoutFormStatus, FulfillmentStatus, LineItemsSent
from allegro_async.models.products import SearchMode
from allegro_async.services.bulk import BulkJournal
from allegro_async.testing.conformance import ConformanceRecorder, check
from allegro_async.testing.emulator import front
from allegro_async.testing.emulator.front import Exchange

from .conftest import World, fast_client, make_world

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"
SPEC = SPEC_DIR / "allegro-openapi.yaml"
LEGACY_SPEC = SPEC_DIR / "allegro-openapi-2020-legacy.yaml"

#: Methods the test cannot drive, and why.
SKIP = {
    "offers.wait_for_operation": "needs the Location of a 202 operation, which the emulator "
                                 "gives only for slow changes; tests/offers covers it",
}

EXAMPLES = 6  # per method: ~40 methods stay well under a minute


class _Stopped(Exception):
    """Raised by the event stream's sleep: the stream caught up and would poll again."""


async def _stop(seconds: float) -> None:
    raise _Stopped


class _AllRequests(ConformanceRecorder):
    """Keeps one exchange per distinct request (path, query values, body shape), and passes
    every exchange on to the session's recorder too."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[Any, ...], Exchange] = {}

    def record(self, exchange: Exchange) -> None:
        from allegro_async.testing.conformance import shape

        key = (exchange.method, exchange.path, exchange.status, exchange.query,
               shape(exchange.request_body))
        self.kept.setdefault(key, exchange)
        session = front.GLOBAL.recorder
        if session is not None and session is not self and session.wants(
                exchange.method, exchange.template, exchange.path):
            session.record(exchange)

    def exchanges(self) -> list[Exchange]:
        return list(self.kept.values())


def public_methods() -> list[str]:
    """``service.method`` for every public method of every service of the client."""
    names = []
    for service in sorted(dir(AllegroClient)):
        prop = inspect.getattr_static(AllegroClient, service)
        if not isinstance(prop, cached_property):
            continue
        cls = prop.func(AllegroClient(access_token="t")).__class__
        if not cls.__module__.startswith("allegro_async.services."):
            continue
        names += [f"{service}.{name}" for name, _ in inspect.getmembers(cls, inspect.isfunction)
                  if not name.startswith("_")]
    return names


NAIVE = _dt.datetime(2030, 1, 1)
PAST = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
FUTURE = _dt.datetime(2099, 1, 1, 12, tzinfo=_dt.timezone(_dt.timedelta(hours=2)))
JUNK = st.sampled_from([
    None, True, False, 0, -1, 7, 1.5, math.nan, math.inf, "", " ", " 7700000001",
    "7700000001 ", "/", "a/b", "%2F", "%2e%2e", "..", ".", "\\", "1?x=2", "1#x", "abc", "1e3",
    "+19.99", "1_000", " 19.99 ", "150", [], ["7700000001", 7700000001], ["/"], "abc", {},
    {"a": 1}, {1: 2}, NAIVE, PAST, "2030-01-01", b"bytes", Decimal("NaN"), object(),
])


def _aware() -> st.SearchStrategy[Any]:
    return st.sampled_from([PAST, FUTURE, _dt.datetime(2024, 5, 1, tzinfo=_dt.timezone.utc)])


def valid(world: World) -> dict[str, st.SearchStrategy[Any]]:
    """Valid values by ``"service.method:param"`` (first) or by parameter name."""
    active = st.sampled_from(world.active)
    offer_ids = st.lists(active, min_size=1, max_size=3, unique=True)
    amount = st.sampled_from(["19.99", "10", "0.50", Decimal("5.5"), 12])
    percent = st.sampled_from(["10", "5.5", 20])
    rates = st.sampled_from([world.rates_body])
    return {
        "offer_id": st.sampled_from(world.active + world.drafts) | st.just(7700000001),
        "offer_ids": offer_ids,
        "checkout_form_id": st.sampled_from(world.forms),
        "product_id": st.sampled_from(world.products) | st.just(123),
        "rates_id": st.sampled_from(world.rates),
        "set_id": st.sampled_from(world.sets) | st.builds(lambda: str(uuid.uuid4())),
        "from_set_id": st.sampled_from(world.sets),
        "to_set_id": st.sampled_from(world.sets),
        "user_id": st.sampled_from([None, world.seller_id]),
        "carrier_id": st.sampled_from(["DPD", "INPOST", "OTHER"]),
        "category_id": st.sampled_from([None, "954"]),
        "waybill": st.just("AB123456789PL"),
        "carrier_name": st.sampled_from([None, "Courier"]),
        "line_items": st.none() | st.lists(st.sampled_from(world.line_items), min_size=1,
                                           unique=True),
        "set_sent": st.booleans(),
        "revision": st.sampled_from([None, world.revision, "abc"]),
        "orders.set_fulfillment:status": st.sampled_from(
            [*FulfillmentStatus, "PROCESSING", "SENT"]),
        "orders.list:status": st.none() | st.sampled_from([*CheckoutFormStatus]),
        "fulfillment_status": st.none() | st.sampled_from(["NEW", "SENT"]),
        "line_items_sent": st.none() | st.sampled_from([*LineItemsSent, "SOME"]),
        "updated_at_gte": st.none() | _aware(),
        "updated_at_lte": st.none() | _aware(),
        "bought_at_gte": st.none() | _aware(),
        "bought_at_lte": st.none() | _aware(),
        "buyer_login": st.sampled_from([None, "buyer-1"]),
        "payment_id": st.sampled_from([None, "p-1"]),
        "marketplace_id": st.sampled_from([None, "allegro-pl"]),
        "orders.list:sort": st.sampled_from(["updatedAt", "-lineItems.boughtAt"]),
        "orders.list:page_size": st.integers(1, 100),
        "event": st.sampled_from(world.events),
        "orders.events:start": st.sampled_from(["now", "beginning", world.events[0].id]),
        "orders.events:types": st.none() | st.lists(st.sampled_from(
            ["BOUGHT", OrderEventType.READY_FOR_PROCESSING]), min_size=1, unique=True),
        "orders.events:page_size": st.integers(1, 1000),
        "follow": st.booleans(),
        "read_forms": st.booleans(),
        "dedup_window": st.integers(1, 100),
        "min_poll": st.floats(0.1, 1.0),
        "max_poll": st.floats(1.0, 5.0),
        "max_errors": st.none() | st.integers(0, 3),
        "store": st.builds(MemoryCursorStore),
        "offers.list:page_size": st.integers(1, 1000),
        "max_items": st.none() | st.integers(0, 5),
        "params": st.sampled_from([None, {}]),
        "publication_status": st.sampled_from(["ACTIVE", ["INACTIVE", "ENDED"]]),
        "selling_format": st.sampled_from(["BUY_NOW"]),
        "price_gte": amount,
        "price_lte": amount,
        "offers.list:sort": st.sampled_from(["stock.sold", "-sellingMode.price.amount"]),
        "offers.list:offer_id": active | offer_ids,
        "offers.list:name": st.just("kettle"),
        "include": st.sampled_from([["stock"], ["price"], ("stock", "price")]),
        "offer": st.sampled_from([world.draft_body]),
        "offers.patch:changes": st.sampled_from([{"name": "A kettle of 1.7 litres"}]),
        "offers.copy_as_draft:changes": st.sampled_from([None, {"name": "Copy of a kettle"}]),
        "offers.bulk_update:changes": st.lists(active, min_size=1, max_size=3, unique=True).map(
            lambda ids: {i: {"name": f"Kettle number {i}"} for i in ids}),
        "deadline": st.none() | st.floats(0, 10),
        "to": amount,
        "increase_by": amount,
        "decrease_by": amount,
        "increase_percent": percent,
        "decrease_percent": percent,
        "currency": st.sampled_from(["PLN", "CZK"]),
        "offers.change_quantity:to": st.integers(0, 100),
        "gain": st.integers(-5, 5),
        "command_ids": st.none(),
        "engine": st.none(),
        "prices": st.lists(active, min_size=1, max_size=3, unique=True).flatmap(
            lambda ids: st.fixed_dictionaries({i: amount for i in ids})),
        "modification": st.sampled_from([{"delivery": {"handlingTime": "PT24H"}}]),
        "scheduled_for": st.none() | st.just(FUTURE),
        "now": st.none(),
        "phrase": st.sampled_from([None, "laptop", "kettle"]),
        "mode": st.sampled_from([None, "GTIN", SearchMode.MPN]),
        "language": st.sampled_from([None, "pl-PL"]),
        "filters": st.sampled_from([None, {}]),
        "page_id": st.none(),
        "max_pages": st.none() | st.integers(1, 2),
        "ean": st.just("5901234123457"),
        "gtin": st.just("5901234123457"),
        "offer_variants.create:name": st.just("t-shirts"),
        "offer_variants.move_offers:offer_ids": st.lists(st.sampled_from(
            world.variant_set.offer_ids if world.variant_set else ["1"]), min_size=1,
            unique=True),
        "parameter_ids": st.sampled_from([["color/pattern"], ["4938"]]),
        "color_patterns": st.none(),
        "query": st.sampled_from([None, "Shoes"]),
        "offer_variants.find:query": st.just("Shoes"),
        "variant_set": st.sampled_from([world.variant_set]),
        "rates": rates,
        "marketplace": st.sampled_from([None, "allegro-pl"]),
        # offers.commands(**options)
        "poll_initial": st.floats(0.1, 1.0),
        "chunk_size": st.integers(1, 1000),
        "tasks_page": st.integers(1, 1000),
        "put_attempts": st.integers(1, 4),
        "progress": st.none(),
        "journal": st.builds(BulkJournal),
        "concurrency": st.integers(1, 8),
        "per_minute": st.floats(100, 3000),
        "per_hour": st.none() | st.floats(1000, 80_000),
        "headroom": st.floats(0.5, 1.0),
    }


#: Keyword options taken through ``**``, per method.
OPTIONS = {
    "orders.events": ("start", "types", "page_size", "follow", "read_forms", "dedup_window",
                      "min_poll", "max_poll", "max_errors", "store"),
    "offers.list": ("publication_status", "selling_format", "price_gte", "price_lte", "sort",
                    "offer_id", "name"),
    "offers.commands": ("poll_initial", "deadline", "chunk_size", "tasks_page",
                        "put_attempts", "progress"),
    "offers.bulk_update": ("concurrency", "per_minute", "per_hour", "headroom", "journal",
                           "progress"),
}
#: Options always given, so that no example waits in real time.
FIXED = {"orders.events": {"sleep": _stop}}
#: Parameters of which exactly one is given when all arguments are valid.
ONE_OF = {
    "offers.change_price": ("to", "increase_by", "decrease_by", "increase_percent",
                            "decrease_percent"),
    "offers.change_quantity": ("to", "gain"),
}


def _strategy(table: dict[str, st.SearchStrategy[Any]], method: str, param: str,
              junk: bool) -> st.SearchStrategy[Any]:
    good = table.get(f"{method}:{param}", table.get(param))
    if good is None or junk:
        return JUNK
    return good


def draw_call(data: st.DataObject, world: World, method: str) -> dict[str, Any]:
    """Keyword arguments for ``method``: all valid, one of them junk, or any mix."""
    service, name = method.split(".")
    table = valid(world)
    function = getattr(type(getattr(AllegroClient(access_token="t"), service)), name)
    params = list(inspect.signature(function).parameters.values())[1:]
    names = [p.name for p in params if p.kind is not p.VAR_KEYWORD]
    names += [*OPTIONS.get(method, ()), "no_such_option"] if len(names) < len(params) else []
    mode = data.draw(st.sampled_from(["valid", "one junk", "mixed"]), label="mode")
    bad = data.draw(st.sampled_from(names), label="junk") if mode == "one junk" and names else ""

    def junk(param: str) -> bool:
        return param == bad or (mode == "mixed" and data.draw(st.booleans(), label="junk?"))

    only = data.draw(st.sampled_from(ONE_OF[method])) if method in ONE_OF else None
    kwargs: dict[str, Any] = {}
    for param in params:
        if param.kind is param.VAR_KEYWORD:
            options = [*OPTIONS.get(method, ()), "no_such_option"]
            chosen = set(data.draw(st.lists(st.sampled_from(options), unique=True,
                                            max_size=3), label="options"))
            for option in options:
                if option == bad or (option in chosen and (
                        option != "no_such_option" or mode == "mixed")):
                    kwargs[option] = data.draw(_strategy(table, method, option, junk(option)),
                                               label=option)
            kwargs.update(FIXED.get(method, {}))
            continue
        if param.name != bad:
            if method in ONE_OF and param.name in ONE_OF[method] and mode != "mixed":
                if param.name != only:
                    continue
            elif param.default is not param.empty and data.draw(st.booleans(),
                                                                label=f"omit {param.name}"):
                continue
        kwargs[param.name] = data.draw(_strategy(table, method, param.name, junk(param.name)),
                                       label=param.name)
    return kwargs


async def _consume(result: Any) -> None:
    """Await a coroutine; take a few items of an async iterator (a walk, a stream)."""
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        iterator = result.__aiter__()
        try:
            for _ in range(3):
                await iterator.__anext__()
        except StopAsyncIteration:
            pass
        finally:
            if hasattr(iterator, "aclose"):
                await iterator.aclose()


async def _drive(world: World, method: str, kwargs: dict[str, Any]) -> None:
    service, name = method.split(".")
    stats = world.emulator.stats
    async with fast_client(world.emulator) as client:
        before = stats.requests
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                await _consume(getattr(getattr(client, service), name)(**kwargs))
        except InvalidArgumentError as exc:
            sent = stats.requests - before
            assert sent == 0, f"{method} refused {exc.field} after sending {sent} request(s)"
            assert exc.field and exc.fix
        except (AllegroError, _Stopped):
            pass  # Allegro (the emulator) answered; what was sent is checked at the end


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """One emulator for the module; at the end, every distinct request it received is
    validated against the spec."""
    if not SPEC.exists():
        pytest.skip(f"Allegro's OpenAPI spec is not at {SPEC} (it lives in ../shared/spec)")
    world = make_world()
    recorder = _AllRequests()
    world.emulator.recorder = recorder
    yield world
    report = check(recorder, SPEC, LEGACY_SPEC)
    bad = [v for v in report.violations + report.unmarked if v.part in ("request", "route")]
    assert not bad, "requests that do not conform to the spec:\n" + "\n".join(map(str, bad))
    assert report.checked > 0


METHODS = public_methods()


def test_the_services_are_found() -> None:
    assert {"offers.get", "orders.add_shipment", "products.get", "shipping_rates.create",
            "offer_variants.move_offers", "user.me"} <= set(METHODS)
    assert set(SKIP) <= set(METHODS), "a skipped method no longer exists"


@pytest.mark.parametrize("method", METHODS)
def test_arguments_are_refused_before_sending_or_sent_as_the_spec_allows(
    method: str, world: World
) -> None:
    if method in SKIP:
        pytest.skip(SKIP[method])

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        kwargs = draw_call(data, world, method)
        anyio.run(_drive, world, method, kwargs)

    run()
