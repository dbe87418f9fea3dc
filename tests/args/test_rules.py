"""The argument rules, one behaviour each: bad input is refused with ``InvalidArgumentError``
before any request (the emulator's request counter stays 0), and what is accepted is sent in
its canonical form."""

from __future__ import annotations

import datetime as _dt
import json
import math
import warnings
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient, _args
from allegro_async.errors import APIError, InvalidArgumentError
from allegro_async.models.shipping import ShippingRatesSet
from allegro_async.testing import Emulator

FORM = "29d5d640-2f6c-11ee-9a36-1f9b5fcb9d3e"
OFFER = "7700000001"


class Capture:
    """A transport that records requests and answers 404 (nothing needs to exist)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


def captured() -> tuple[AllegroClient, Capture]:
    capture = Capture()
    return AllegroClient(access_token="t", transport=httpx.MockTransport(capture)), capture


# -- ids ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [None, True, 1.5, ["1"], " 1", "1 2", "%2Fparts", "%2e%2e",
                                 "a\\b", "\u00a01"])
async def test_offer_ids_that_are_not_ids_are_refused(emulator: Emulator, client: AllegroClient,
                                                      bad: object) -> None:
    # offers.get(None) sent GET /sale/product-offers/None; '%2Fparts' reached .../{id}/parts.
    for call in (client.offers.get, client.offers.get_raw, client.offers.delete_draft):
        with pytest.raises(InvalidArgumentError) as caught:
            await call(bad)  # type: ignore[arg-type]
        assert caught.value.field == "offer_id"
    assert emulator.stats.requests == 0


async def test_an_int_id_is_sent_as_its_digits() -> None:
    client, capture = captured()
    async with client:
        with pytest.raises(APIError):
            await client.products.get(123)  # type: ignore[arg-type]
    assert [r.url.raw_path for r in capture.requests] == [b"/sale/products/123"]


async def test_every_path_segment_is_percent_encoded() -> None:
    # base64 ids end in '=' padding, which is sent encoded as one path segment.
    client, capture = captured()
    async with client:
        with pytest.raises(APIError):
            await client.shipping_rates.get("REhMOjEy=")
    assert capture.requests[0].url.raw_path == b"/sale/shipping-rates/REhMOjEy%3D"
    assert _args.path_segment("REhMOjEy=", "id") == "REhMOjEy%3D"


def test_checkout_form_ids_must_be_uuids() -> None:
    # The spec declares GET /order/checkout-forms/{id} with format uuid.
    with pytest.raises(InvalidArgumentError, match="not a UUID"):
        _args.uuid_text("f1", "checkout_form_id")
    assert _args.uuid_text(FORM.upper(), "checkout_form_id") == FORM


async def test_a_string_for_line_items_is_refused_not_read_as_characters(
    emulator: Emulator, client: AllegroClient
) -> None:
    # add_shipment(line_items="abc") shipped line items a, b and c.
    with pytest.raises(InvalidArgumentError) as caught:
        await client.orders.add_shipment(FORM, "DPD", "W1", line_items="abc")
    assert caught.value.field == "line_items"
    with pytest.raises(InvalidArgumentError, match="twice"):
        await client.orders.add_shipment(FORM, "DPD", "W1", line_items=["a1", "a1"])
    assert emulator.stats.requests == 0


@pytest.mark.parametrize("prices", [{"1": "10.00", " 1": "12.00"}, {"1": "10.00", 1: "12.00"}])
async def test_one_offer_never_gets_two_prices(emulator: Emulator, client: AllegroClient,
                                               prices: dict[Any, str]) -> None:
    # Both sent two commands for offer 1.
    with pytest.raises(InvalidArgumentError):
        await client.offers.change_prices(prices)
    assert emulator.stats.requests == 0


# -- amounts, currencies, percentages, quantities -------------------------------------------
@pytest.mark.parametrize("bad", [" 19.99 ", "1_000", "+19.99", "1e3", 19.99, "\uff11"])
async def test_amounts_that_are_not_plain_decimals_are_refused(
    emulator: Emulator, client: AllegroClient, bad: object
) -> None:
    # " 19.99 ", "1_000", "+19.99" and "1e3" passed Decimal() and went out verbatim.
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.change_price([OFFER], to=bad)  # type: ignore[arg-type]
    assert caught.value.field == "to"
    with pytest.raises(InvalidArgumentError):
        await client.offers.change_prices({OFFER: bad})  # type: ignore[dict-item]
    assert emulator.stats.requests == 0


@pytest.mark.parametrize("given, sent", [("19.9", "19.90"), (Decimal("5"), "5.00"), (12, "12.00")])
async def test_the_amount_checked_is_the_amount_sent(given: object, sent: str) -> None:
    client, capture = captured()  # a 404 for the PUT: the command is REFUSED (never applied)
    async with client:
        result = await client.offers.change_price([OFFER], decrease_by=given,  # type: ignore[arg-type]
                                                  currency="CZK")
    assert [o.status for o in result.outcomes] == ["REFUSED"]
    (put,) = [json.loads(r.content) for r in capture.requests if r.method == "PUT"]
    assert put["modification"] == {"type": "DECREASE_PRICE",
                                   "value": {"amount": sent, "currency": "CZK"}}


@pytest.mark.parametrize("bad", ["", None, "XYZ", "pln", "PLN ", 985])
async def test_currencies_are_checked(emulator: Emulator, client: AllegroClient,
                                      bad: object) -> None:
    # "", None and "XYZ" were sent as the price's currency.
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.change_price([OFFER], to="10.00", currency=bad)  # type: ignore[arg-type]
    assert caught.value.field == "currency" and "PLN" in caught.value.fix
    with pytest.raises(InvalidArgumentError):
        await client.offers.change_prices({OFFER: "10.00"}, currency=bad)  # type: ignore[arg-type]
    assert emulator.stats.requests == 0


@pytest.mark.parametrize("kind, bad", [("decrease_percent", "150"), ("decrease_percent", "100"),
                                       ("increase_percent", "10.555"), ("increase_percent", "1e2"),
                                       ("increase_percent", " 5")])
async def test_percentages_are_checked(emulator: Emulator, client: AllegroClient, kind: str,
                                       bad: object) -> None:
    # decrease_percent="150" was accepted.
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.change_price([OFFER], **{kind: bad})
    assert caught.value.field == kind
    assert emulator.stats.requests == 0


def test_an_increase_may_pass_100_percent() -> None:
    assert _args.percentage("150", "increase_percent", decrease=False) == "150"
    assert _args.percentage("12.50", "increase_percent", decrease=False) == "12.5"


@pytest.mark.parametrize("bad", [1.5, True, "3", -1, None])
async def test_quantities_are_whole_numbers(emulator: Emulator, client: AllegroClient,
                                            bad: object) -> None:
    # change_quantity(to=1.5 | True | "3") was sent.
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.change_quantity([OFFER], to=bad)  # type: ignore[arg-type]
    assert caught.value.field in ("to", "quantity")
    with pytest.raises(InvalidArgumentError):
        await client.offers.change_quantity([OFFER], gain=2.0)  # type: ignore[arg-type]
    assert emulator.stats.requests == 0


@pytest.mark.parametrize("option, bad", [("per_minute", math.nan), ("per_minute", math.inf),
                                         ("per_hour", math.nan), ("headroom", math.nan),
                                         ("concurrency", 2.5), ("concurrency", True)])
async def test_bulk_rates_are_finite_and_positive(emulator: Emulator, client: AllegroClient,
                                                  option: str, bad: object) -> None:
    # per_minute=nan switched pacing off (every comparison with nan is false).
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.bulk_update({OFFER: {"name": "A kettle of 1.7 litres"}},
                                        **{option: bad})
    assert caught.value.field == option
    assert emulator.stats.requests == 0


# -- enums, datetimes, page sizes -----------------------------------------------------------
async def test_enums_name_the_allowed_values(emulator: Emulator, client: AllegroClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.orders.set_fulfillment(FORM, "SHIPPED", revision=None)
    assert "PROCESSING" in caught.value.fix
    with pytest.raises(InvalidArgumentError) as caught:
        await client.orders.set_fulfillment(FORM, None, revision=None)  # type: ignore[arg-type]
    assert caught.value.field == "status"  # it sent {"status": null}
    with pytest.raises(InvalidArgumentError) as caught:
        client.orders.events(types="BOUGHT")  # type: ignore[arg-type]
    assert caught.value.field == "types"
    assert emulator.stats.requests == 0


@pytest.mark.parametrize("bad", ["2030-01-01", _dt.date(2030, 1, 1), 1893456000])
async def test_scheduled_for_is_an_aware_future_datetime(emulator: Emulator,
                                                         client: AllegroClient,
                                                         bad: object) -> None:
    # publish(scheduled_for="2030-01-01") raised AttributeError ('str' has no tzinfo).
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.publish([OFFER], scheduled_for=bad)  # type: ignore[arg-type]
    assert caught.value.field == "scheduled_for"
    assert emulator.stats.requests == 0


def test_datetimes_are_sent_as_utc_z() -> None:
    moment = _dt.datetime(2030, 1, 1, 2, tzinfo=_dt.timezone(_dt.timedelta(hours=2)))
    assert _args.utc_text(moment) == "2030-01-01T00:00:00Z"


@pytest.mark.parametrize("call", ["orders", "offers", "events"])
@pytest.mark.parametrize("bad", [True, 5.0, "5", None])
async def test_page_sizes_are_ints_within_the_spec_bounds(emulator: Emulator,
                                                          client: AllegroClient, call: str,
                                                          bad: object) -> None:
    # page_size=True passed 1 <= True <= 100 and went out as limit=true; 5.0 as limit=5.0.
    with pytest.raises(InvalidArgumentError) as caught:
        if call == "orders":
            client.orders.list(page_size=bad)  # type: ignore[arg-type]
        elif call == "offers":
            await anext(client.offers.list(page_size=bad))  # type: ignore[arg-type]
        else:
            client.orders.events(page_size=bad)  # type: ignore[arg-type]
    assert caught.value.field == "page_size"
    assert emulator.stats.requests == 0


# -- everything before the first request; wrong types ---------------------------------------
async def test_bulk_update_checks_every_entry_before_the_first_patch(
    emulator: Emulator, client: AllegroClient
) -> None:
    # Eight good entries and a ninth whose category is not an object: nothing may be PATCHed.
    changes: dict[Any, dict[str, Any]] = {
        7700000001 + i: {"name": f"A kettle of 1.7 litres {i}"} for i in range(8)}
    changes[7700000009] = {"category": "kettles"}
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.bulk_update(changes)
    assert "7700000009" in str(caught.value) and "category" in str(caught.value)
    assert emulator.stats.requests == 0


async def test_bulk_update_takes_int_ids_as_their_digits(emulator: Emulator,
                                                         client: AllegroClient) -> None:
    # {7700000001: ...} sent its PATCHes, then crashed building results with an int id.
    result = await client.offers.bulk_update({7700000001: {"name": "A kettle of 1.7 litres"}})
    assert [(i.offer_id, i.ok) for i in result.items] == [("7700000001", True)]
    assert emulator.stats.route("PATCH", "/sale/product-offers/{offerId}") == 1


WRONG_TYPES = {
    "shipping_rates.create({})": lambda c: c.shipping_rates.create({}),
    "shipping_rates.create({'name': 5})": lambda c: c.shipping_rates.create({"name": 5}),
    "products.get(True)": lambda c: c.products.get(True),
    "products.search_page(phrase=5)": lambda c: c.products.search_page(5),
    "products.search_page(filters=[1])": lambda c: c.products.search_page("x", filters=[1]),
    "offers.publish(scheduled_for=str)": lambda c: c.offers.publish(
        [OFFER], scheduled_for="2030-01-01"),
    "offers.patch(id, 'name')": lambda c: c.offers.patch(OFFER, "name"),
    "offers.patch(id, {'stock': 5})": lambda c: c.offers.patch(OFFER, {"stock": 5}),
    "offers.create([])": lambda c: c.offers.create([]),
    "offers.parts(include=None)": lambda c: c.offers.parts(OFFER, None),
    "offers.bulk_update(5)": lambda c: c.offers.bulk_update(5),
    "offers.bulk_update(unknown option)": lambda c: c.offers.bulk_update(
        {OFFER: {"name": "A kettle of 1.7 litres"}}, workers=3),
    "offers.commands(unknown option)": lambda c: c.offers.commands(workers=3),
    "orders.find_replacement(None)": lambda c: c.orders.find_replacement(None),
    "offer_variants.put(id, {})": lambda c: c.offer_variants.put(FORM, {}),
    "offer_variants.create(name=None)": lambda c: c.offer_variants.create(None, [OFFER], ["x"]),
    "offer_variants.list(query=5)": lambda c: anext(c.offer_variants.list(query=5)),
    "products.search(max_pages='2')": lambda c: anext(c.products.search("x", max_pages="2")),
}


@pytest.mark.parametrize("call", sorted(WRONG_TYPES))
async def test_wrong_types_raise_invalid_argument_not_raw_errors(emulator: Emulator,
                                                                 client: AllegroClient,
                                                                 call: str) -> None:
    # Each raised TypeError, AttributeError or pydantic's ValidationError (or sent a request).
    with warnings.catch_warnings(), pytest.raises(InvalidArgumentError):
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy variant sets warn
        await WRONG_TYPES[call](client)
    assert emulator.stats.requests == 0


async def test_event_stream_options_are_checked_before_any_request(
    emulator: Emulator, client: AllegroClient
) -> None:
    for options in ({"store": True}, {"follow": "no"}, {"min_poll": math.nan},
                    {"start": " 1"}, {"start": "1/2"}, {"dedup_window": 1.5},
                    {"max_errors": -1}, {"window": 5}):
        with pytest.raises(InvalidArgumentError):
            client.orders.events(**options)  # type: ignore[arg-type]
    assert emulator.stats.requests == 0


def test_shipping_rate_bodies_of_the_wrong_shape_name_the_field() -> None:
    from allegro_async.services.shipping_rates import _as_set

    with pytest.raises(InvalidArgumentError) as caught:
        _as_set({"name": "Parcels", "rates": "none"}, "rates")
    assert caught.value.field == "rates.rates"
    assert isinstance(_as_set(ShippingRatesSet(name="Parcels", rates=[]), "rates"),
                      ShippingRatesSet)


@pytest.mark.parametrize("make", ["pace", "poll", "deadline", "attempts"])
def test_command_pacing_and_polls_are_finite_numbers(client: AllegroClient, make: str) -> None:
    # OfferPace(nan) was accepted (used + n <= nan is always false: one PUT a minute, whatever
    # the budget), and so were a nan poll, a negative deadline and no attempts at all.
    from allegro_async.services.commands import CommandEngine, OfferPace

    with pytest.raises(InvalidArgumentError):
        if make == "pace":
            OfferPace(math.nan)
        elif make == "poll":
            CommandEngine(client, poll_initial=math.nan)
        elif make == "deadline":
            CommandEngine(client, deadline=-1.0)
        else:
            CommandEngine(client, put_attempts=0)


@pytest.mark.parametrize("key, bad", [("price_lte", "0.50"), ("price_gte", "-1"),
                                      ("price_lte", " 5"), ("sort", "price")])
async def test_offer_list_filters_keep_to_the_spec(emulator: Emulator, client: AllegroClient,
                                                   key: str, bad: str) -> None:
    # The spec's sellingMode.price.amount.lte has minimum 1; price_lte="0.50" was sent.
    with pytest.raises(InvalidArgumentError) as caught:
        await anext(client.offers.list(**{key: bad}))
    assert caught.value.field == key
    assert emulator.stats.requests == 0


async def test_a_free_lower_price_bound_is_allowed() -> None:
    client, capture = captured()
    async with client:
        with pytest.raises(APIError):
            await anext(client.offers.list(price_gte=0, price_lte="20"))
    assert capture.requests[0].url.params["sellingMode.price.amount.gte"] == "0.00"
    assert capture.requests[0].url.params["sellingMode.price.amount.lte"] == "20.00"


async def test_a_currency_is_checked_even_with_a_percentage(emulator: Emulator,
                                                            client: AllegroClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.offers.change_price([OFFER], increase_percent="5", currency="XYZ")
    assert caught.value.field == "currency"
    assert emulator.stats.requests == 0


async def test_a_move_the_sets_do_not_allow_is_no_argument_error(emulator: Emulator,
                                                                 client: AllegroClient) -> None:
    # An offer missing from the source set is only found by reading the sets: it raised
    # InvalidArgumentError after two requests, as if the arguments were malformed.
    from allegro_async.services.offer_variants import VariantMoveError

    a, b, c, d, stranger = (emulator.catalogue.add_offer(0).id for _ in range(5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        source = await client.offer_variants.create("source", [a, b], ["4938"])
        target = await client.offer_variants.create("target", [c, d], ["4938"])
        with pytest.raises(VariantMoveError) as caught:
            await client.offer_variants.move_offers([stranger], from_set_id=source,
                                                    to_set_id=target)
    assert caught.value.step == "check" and caught.value.completed == ["read"]
    assert emulator.stats.route("DELETE", "/sale/offer-variants/{setId}") == 0
