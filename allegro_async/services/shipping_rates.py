"""Shipping price lists (``/sale/shipping-rates``, S3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import ValidationError
from typing_extensions import Unpack

from allegro_async import _args
from allegro_async._options import CallOptions
from allegro_async.errors import AllegroError, InvalidArgumentError, ResponseValidationError
from allegro_async.models.shipping import (
    ShippingRatesList,
    ShippingRatesSet,
    ShippingRatesSetSummary,
)

if TYPE_CHECKING:
    from allegro_async.api.delivery import Delivery
    from allegro_async.api.models import (
        CreateShippingRatesSetUsingPOSTResponse,
        GetShippingRatesSetUsingGETResponse,
        ModifyShippingRatesSetUsingPUTResponse,
    )
    from allegro_async.client import AllegroClient

#: Price lists one account may hold (S3).
MAX_SHIPPING_RATES = 250


class ShippingRatesLimitError(AllegroError):
    """The account already holds ``limit`` shipping price lists (S3); raised before any POST.

    Price lists cannot be deleted, so edit an existing one with
    :meth:`ShippingRatesService.update` instead of creating another.
    """

    def __init__(self, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(
            f"the account holds {count} shipping price lists, the most Allegro allows is "
            f"{limit}. Price lists cannot be deleted: update an existing one with "
            "client.shipping_rates.update(id, ...) instead."
        )


def _as_set(value: ShippingRatesSet | Mapping[str, Any], field: str) -> ShippingRatesSet:
    if isinstance(value, ShippingRatesSet):
        return value
    if isinstance(value, Mapping):
        try:
            return ShippingRatesSet.model_validate(dict(value))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise InvalidArgumentError(f"{field}.{where}", error["msg"],
                                       "give the price list the spec's shape: "
                                       "{'name': ..., 'rates': [...]}") from None
    raise InvalidArgumentError(field, f"expected a ShippingRatesSet, got {type(value).__name__}",
                               "pass ShippingRatesSet(name=..., rates=[...])")


#: The spec's rule for ShippingRatesSet.name: "letters, numbers, hyphens, dots, commas and
#: spaces" (``[^\W_]`` is a letter or digit of any script).
_NAME = re.compile(r"(?:[^\W_]|[-., ])+")


def _check(rates: ShippingRatesSet, field: str) -> None:
    name = rates.name
    if name is None or not 1 <= len(name) <= 64:
        raise InvalidArgumentError(f"{field}.name", "must have 1 to 64 characters",
                                   "give the price list a short name, e.g. 'Parcels PL'")
    if not _NAME.fullmatch(name):
        raise InvalidArgumentError(f"{field}.name", f"{name!r} has characters Allegro refuses",
                                   "use only letters, digits, hyphens, dots, commas and spaces")
    for i, rate in enumerate(rates.rates):
        where = f"{field}.rates[{i}]"
        if rate.max_quantity_per_package < 1:
            raise InvalidArgumentError(
                f"{where}.max_quantity_per_package", "must be at least 1",
                "set how many items fit one package, 1 or more",
            )
        if not rate.delivery_method.id:
            raise InvalidArgumentError(f"{where}.delivery_method.id", "is missing",
                                       "name the delivery method by its id (see "
                                       "GET /sale/delivery-methods)")
        for name, money in (("first_item_rate", rate.first_item_rate),
                            ("next_item_rate", rate.next_item_rate)):
            if money.amount is None:
                raise InvalidArgumentError(f"{where}.{name}.amount", "is missing",
                                           "give the amount as a decimal string, e.g. '9.99'")
            if money.currency is None:
                raise InvalidArgumentError(f"{where}.{name}.currency", "is missing",
                                           "give the ISO 4217 currency, e.g. 'PLN'")


class ShippingRatesService:
    """Shipping price lists (S3): list, get, create, update.

    An account holds at most 250 of them, and there is **no delete**: Allegro offers no DELETE
    on ``/sale/shipping-rates`` (the endpoint answers 405), so a price list once created stays.
    Reuse and :meth:`update` existing ones instead of creating new ones per change::

        for summary in await client.shipping_rates.list():
            print(summary.id, summary.name)
    """

    def __init__(self, client: AllegroClient, *, limit: int = MAX_SHIPPING_RATES) -> None:
        self._client = client
        self.limit = limit
        # create() counts then POSTs: two creates at 249 would both pass the count. The lock
        # serialises them within this service (one client); other clients, views and
        # processes can still race, and Allegro's own 250 cap (a 422) is the backstop there.
        self._create_lock = anyio.Lock()

    def _delivery(self, options: CallOptions) -> Delivery:
        # the generated operations; their models are what this returns
        return self._client._with_call_options(options).api.delivery

    async def list(self, *, marketplace: str | None = None, **options: Unpack[CallOptions]
                   ) -> list[ShippingRatesSetSummary]:
        """The account's price lists (id, name, flags, marketplaces), optionally only those
        qualified for ``marketplace`` (e.g. ``"allegro-cz"``). Every method here takes the
        per-call options (``timeout=`` seconds as a deadline, ...; docs/client.md)."""
        _args.optional(marketplace, lambda m: _args.ident(m, "marketplace"))
        delivery = self._delivery(options).with_raw_response  # raw: an error names the trace id
        raw = await delivery.get_list_of_shipping_rates(marketplace=marketplace)
        found = raw.parse(ShippingRatesList).shipping_rates or []  # none: the spec allows it
        for i, summary in enumerate(found):
            if not summary.id:  # a price list is read and updated by its id
                raise ResponseValidationError(
                    f"GET /sale/shipping-rates: shippingRates[{i}] has no id (field "
                    f"'shippingRates[{i}].id')", body=raw.json(), trace_id=raw.trace_id)
        return found

    async def count(self, **options: Unpack[CallOptions]) -> int:
        """How many price lists the account holds (of the 250 allowed, S3)."""
        return len(await self.list(**options))

    async def get(self, rates_id: str, **options: Unpack[CallOptions]
                  ) -> GetShippingRatesSetUsingGETResponse:
        """One price list with all its rates (a :class:`ShippingRatesSet` with its ``type``
        and ``features``)."""
        _args.path_segment(rates_id, "rates_id")  # named as this method names it
        return await self._delivery(options).get_shipping_rates_set(id=rates_id)

    async def create(self, rates: ShippingRatesSet | Mapping[str, Any],
                     **options: Unpack[CallOptions]) -> CreateShippingRatesSetUsingPOSTResponse:
        """Create a price list. Counts the account's lists first and raises
        :class:`ShippingRatesLimitError` without sending the POST when 250 are there (S3),
        since none can be deleted to make room.

        Concurrent creates on this service run one at a time, so the count cannot be passed
        twice; creates from other clients or processes can still race past it, and then
        Allegro's own cap answers (an :class:`~allegro_async.errors.UnprocessableEntityError`).
        """
        body = _as_set(rates, "rates")
        _check(body, "rates")
        payload = body.to_api()
        payload.pop("id", None)  # Allegro assigns it
        payload.pop("lastModified", None)
        payload.pop("features", None)
        async with self._create_lock:
            held = await self.count(**options)
            if held >= self.limit:
                raise ShippingRatesLimitError(held, self.limit)
            return await self._delivery(options).create_shipping_rates_set(body=payload)

    async def update(
        self, rates_id: str, rates: ShippingRatesSet | Mapping[str, Any],
        **options: Unpack[CallOptions],
    ) -> ModifyShippingRatesSetUsingPUTResponse:
        """Replace a price list's name and rates (PUT; the body's id is set to ``rates_id``)."""
        rates_id = _args.ident(rates_id, "rates_id")
        body = _as_set(rates, "rates")
        _check(body, "rates")
        if body.id not in (None, rates_id):
            raise InvalidArgumentError("rates.id", f"{body.id!r} differs from {rates_id!r}",
                                       "leave rates.id empty or equal to rates_id")
        payload = body.to_api()
        payload["id"] = rates_id
        payload.pop("lastModified", None)
        payload.pop("features", None)
        _args.path_segment(rates_id, "rates_id")
        return await self._delivery(options).modify_shipping_rates_set(id=rates_id, body=payload)
