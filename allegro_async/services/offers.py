"""``client.offers``: the offer listing, offer commands (S17, S20) and bulk updates, on top of
the product-offer methods (A10, S18, S19) of :mod:`allegro_async.services.product_offers`.

The product-offer names (``OperationPendingError``, ``OfferNotDeletableError``,
``DRAFT_COPY_DROPS``) are importable from here too, where they have always been.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from allegro_async.errors import InvalidArgumentError, ResponseValidationError
from allegro_async.models.commands import CommandKind, CommandResult
from allegro_async.models.offers import BulkResult, OfferListingItem, OffersPage
from allegro_async.services import bulk as _bulk
from allegro_async.services.command_journal import CommandJournal
from allegro_async.services.commands import CommandEngine
from allegro_async.services.product_offers import (
    DRAFT_COPY_DROPS,
    OfferNotDeletableError,
    OperationPendingError,
    ProductOffers,
    _id,
)

__all__ = [
    "DRAFT_COPY_DROPS",
    "LIST_ENUMS",
    "LIST_FILTERS",
    "OfferNotDeletableError",
    "OffersService",
    "OperationPendingError",
    "ProductOffers",
]

#: ``list()`` keyword -> GET /sale/offers query parameter.
LIST_FILTERS = {
    "offer_id": "offer.id",
    "name": "name",
    "publication_status": "publication.status",
    "external_id": "external.id",
    "category_id": "category.id",
    "price_gte": "sellingMode.price.amount.gte",
    "price_lte": "sellingMode.price.amount.lte",
    "selling_format": "sellingMode.format",
    "marketplace": "publication.marketplace",
    "shipping_rates_id": "delivery.shippingRates.id",
    "product_id_empty": "product.id.empty",
    "sort": "sort",
}

#: The spec's enums for list filters, checked before sending (a typo would match nothing).
LIST_ENUMS = {
    "publication_status": ("INACTIVE", "ACTIVE", "ACTIVATING", "ENDED"),
    "selling_format": ("BUY_NOW", "ADVERTISEMENT", "AUCTION"),
}


class OffersService(ProductOffers):
    """``client.offers``: product offers, the offer listing, commands and bulk updates.

    ``sleep`` is what waits between operation polls (inject one in tests);
    ``operation_deadline`` the default seconds to wait for an accepted (202) change.
    """

    # -- the listing -------------------------------------------------------------------------
    async def list(self, *, page_size: int = 1000, max_items: int | None = None,
                   params: Mapping[str, Any] | None = None,
                   **filters: Any) -> AsyncIterator[OfferListingItem]:
        """Every offer matching the filters, over GET /sale/offers pages::

            async for offer in client.offers.list(publication_status="INACTIVE", price_lte=20):
                ...

        Filters: ``offer_id``, ``name``, ``publication_status``, ``external_id``,
        ``category_id``, ``price_gte``, ``price_lte``, ``selling_format``, ``marketplace``,
        ``shipping_rates_id``, ``product_id_empty``, ``sort``; any other query parameter of
        the spec goes in ``params`` under its own name. ``publication_status`` and
        ``selling_format`` take one value or a list, checked against the spec's enums.

        Paging is by offset: offers that change (status, price, ...) or appear while the walk
        runs can move between pages and be skipped or seen twice. Filter on something stable,
        or de-duplicate by id and re-list when an exact snapshot matters.
        """
        if not 1 <= page_size <= 1000:
            raise InvalidArgumentError("page_size", f"{page_size} is outside 1..1000",
                                       "GET /sale/offers takes limit 1..1000")
        if max_items is not None and max_items < 0:
            raise InvalidArgumentError("max_items", f"{max_items} is negative",
                                       "give 0 or more, or leave it out for every offer")
        query: dict[str, Any] = dict(params or {})
        for key, value in filters.items():
            if key not in LIST_FILTERS:
                raise InvalidArgumentError(key, "is not a filter of GET /sale/offers",
                                           f"use one of {', '.join(LIST_FILTERS)} or params=")
            if key in LIST_ENUMS:
                values = [value] if isinstance(value, str) else list(value)
                bad = [v for v in values if v not in LIST_ENUMS[key]]
                if bad or not values:
                    raise InvalidArgumentError(key, f"{bad or value!r} is not a value the spec "
                                               "allows", f"use {', '.join(LIST_ENUMS[key])}")
            query[LIST_FILTERS[key]] = value
        offset, yielded = 0, 0
        while max_items is None or yielded < max_items:
            page = await self._client.request(
                "GET", "/sale/offers", params={**query, "limit": page_size, "offset": offset},
                cast_to=OffersPage)
            for item in page.offers:
                if max_items is not None and yielded >= max_items:
                    return
                yield item
                yielded += 1
            offset += len(page.offers)
            # totalCount is optional in the spec. When sent, it decides: a server may answer
            # fewer than `limit` items with more to come, and stopping there would be silent.
            # Without it, a short page is the end. An empty page always is (no loop).
            if not page.offers:
                return
            if page.total_count is not None:
                if offset >= page.total_count:
                    return
            elif len(page.offers) < page_size:
                return

    async def count_drafts(self) -> int:
        """How many drafts (INACTIVE offers) the account holds, for S19."""
        raw = await self._client.request_raw(
            "GET", "/sale/offers", params={"publication.status": "INACTIVE", "limit": 1})
        page = raw.parse(OffersPage)
        if page.total_count is None:
            # the spec makes totalCount optional, but without it there is no count: 0 would
            # say "no drafts" to an account that may be at the S19 limit
            raise ResponseValidationError(
                "GET /sale/offers: the response has no totalCount, so the drafts cannot be "
                "counted", body=raw.json(), trace_id=raw.trace_id)
        return page.total_count

    # -- commands (S17, S20) -----------------------------------------------------------------
    _command_journal: CommandJournal | None = None

    @property
    def command_journal(self) -> CommandJournal:
        """The journal of this service's engines (unless one is given): every command made
        through them whose outcome is not settled yet, recorded before its first PUT. After a
        cancelled call, or offers left ``UNKNOWN``, ``client.offers.commands().resume()``
        finishes them."""
        if self._command_journal is None:
            self._command_journal = CommandJournal()
        return self._command_journal

    def commands(self, **options: Any) -> CommandEngine:
        """A :class:`~allegro_async.services.commands.CommandEngine` with options (sleep,
        poll_initial, deadline, pace, journal, ...) for the methods below (``engine=``); its
        journal is :attr:`command_journal` unless ``journal=`` is given."""
        options.setdefault("sleep", self.sleep)
        options.setdefault("journal", self.command_journal)
        return CommandEngine(self._client, **options)

    async def publish(self, offer_ids: Sequence[str], *,
                      scheduled_for: _dt.datetime | None = None,
                      now: _dt.datetime | None = None,
                      engine: CommandEngine | None = None,
                      command_ids: Sequence[str] | None = None) -> CommandResult:
        """Activate offers (any number; commands of <= 1000). ``scheduled_for`` must be in
        the future (S17): a past time is refused here, before anything is sent."""
        publication: dict[str, Any] = {"action": "ACTIVATE"}
        if scheduled_for is not None:
            if scheduled_for.tzinfo is None:
                raise InvalidArgumentError("scheduled_for", "has no time zone",
                                           "pass an aware datetime, e.g. in timezone.utc")
            current = now or _dt.datetime.now(_dt.timezone.utc)
            if scheduled_for <= current:
                raise InvalidArgumentError(
                    "scheduled_for", f"{scheduled_for.isoformat()} is in the past (S17: Allegro "
                    "answers 'You cannot schedule activating an offer in the past')",
                    "give a future time, or leave scheduled_for out to activate at once")
            publication["scheduledFor"] = scheduled_for.astimezone(
                _dt.timezone.utc).isoformat().replace("+00:00", "Z")
        return await (engine or self.commands()).run(
            CommandKind.PUBLICATION, offer_ids, {"publication": publication},
            command_ids=command_ids)

    async def end(self, offer_ids: Sequence[str], *,
                  engine: CommandEngine | None = None,
                  command_ids: Sequence[str] | None = None) -> CommandResult:
        """End offers (any number; commands of <= 1000)."""
        return await (engine or self.commands()).run(
            CommandKind.PUBLICATION, offer_ids, {"publication": {"action": "END"}},
            command_ids=command_ids)

    async def change_price(
        self, offer_ids: Sequence[str], *, to: str | None = None,
        increase_by: str | None = None, decrease_by: str | None = None,
        increase_percent: str | None = None, decrease_percent: str | None = None,
        currency: str = "PLN", engine: CommandEngine | None = None,
        command_ids: Sequence[str] | None = None,
    ) -> CommandResult:
        """Change the buy-now price of offers with price-change commands: exactly one of
        ``to``, ``increase_by``, ``decrease_by`` (amounts as decimal strings),
        ``increase_percent``, ``decrease_percent``. 10 000 offers take 10 commands."""
        given = {k: v for k, v in {"to": to, "increase_by": increase_by,
                                   "decrease_by": decrease_by,
                                   "increase_percent": increase_percent,
                                   "decrease_percent": decrease_percent}.items()
                 if v is not None}
        if len(given) != 1:
            raise InvalidArgumentError("price", f"{len(given)} kinds of change were given",
                                       "give exactly one of to, increase_by, decrease_by, "
                                       "increase_percent, decrease_percent")
        (name, value), = given.items()
        if name in ("to", "increase_by", "decrease_by"):
            _check_amount(name, str(value))
        else:
            _check_decimal(name, str(value))
        mod: dict[str, Any]
        if name == "to":
            mod = {"type": "FIXED_PRICE", "price": {"amount": str(value), "currency": currency}}
        elif name in ("increase_by", "decrease_by"):
            mod = {"type": "INCREASE_PRICE" if name == "increase_by" else "DECREASE_PRICE",
                   "value": {"amount": str(value), "currency": currency}}
        else:
            mod = {"type": ("INCREASE_PERCENTAGE" if name == "increase_percent"
                            else "DECREASE_PERCENTAGE"), "percentage": str(value)}
        return await (engine or self.commands()).run(
            CommandKind.PRICE, offer_ids, {"modification": mod},
            command_ids=command_ids)

    async def change_prices(
        self, prices: Mapping[str, str | Decimal | int], *, currency: str = "PLN",
        engine: CommandEngine | None = None, command_ids: Sequence[str] | None = None,
    ) -> CommandResult:
        """Give each offer its own buy-now price (``{offer_id: "19.99"}``) with price-change
        commands: offers sharing a price go in the same commands (<= 1000 each), so 10 000
        offers at 40 distinct prices take about 40 commands, not 10 000 PATCHes.

        Every price is checked (a positive finite decimal) before anything is sent. The one
        result lists outcomes in the order of ``prices``; to resume, pass its ``command_ids``
        with the same ``prices`` (groups are made in a fixed order: by amount).
        """
        if isinstance(prices, str) or not isinstance(prices, Mapping) or not prices:
            raise InvalidArgumentError("prices", "is not a non-empty mapping",
                                       "pass {offer_id: '19.99', ...}")
        groups: dict[Decimal, list[str]] = {}
        for offer_id, price in prices.items():
            amount = _check_amount(f"prices[{offer_id}]", str(price))
            groups.setdefault(amount.quantize(_GROSZ), []).append(_id(offer_id))
        engine = engine or self.commands()
        order = sorted(groups)
        sizes = [-(-len(groups[a]) // engine.chunk_size) for a in order]
        if command_ids is not None and len(command_ids) != sum(sizes):
            raise InvalidArgumentError(
                "command_ids", f"{len(command_ids)} ids for {sum(sizes)} commands",
                "pass the command_ids of the earlier change_prices with the same prices")
        # One run for every group: all its commands are in the journal before the first PUT.
        result = await engine.run_groups(CommandKind.PRICE, [(groups[amount], {"modification": {
            "type": "FIXED_PRICE", "price": {"amount": str(amount), "currency": currency}}})
            for amount in order], command_ids=command_ids)
        position = {str(o).strip(): i for i, o in enumerate(prices)}
        result.outcomes.sort(key=lambda out: position[out.offer_id])
        return result

    async def change_quantity(self, offer_ids: Sequence[str], *, to: int | None = None,
                              gain: int | None = None,
                              engine: CommandEngine | None = None,
                  command_ids: Sequence[str] | None = None) -> CommandResult:
        """Set (``to``) or shift (``gain``, may be negative) the stock of offers."""
        if (to is None) == (gain is None):
            raise InvalidArgumentError("quantity", "give exactly one of to and gain",
                                       "e.g. change_quantity(ids, to=10)")
        if to is not None and to < 0:
            raise InvalidArgumentError("to", f"{to} is negative", "stock is 0 or more")
        mod = {"changeType": "FIXED", "value": to} if to is not None else {
            "changeType": "GAIN", "value": gain}
        return await (engine or self.commands()).run(
            CommandKind.QUANTITY, offer_ids, {"modification": mod},
            command_ids=command_ids)

    async def modify(self, offer_ids: Sequence[str], modification: Mapping[str, Any], *,
                     engine: CommandEngine | None = None,
                  command_ids: Sequence[str] | None = None) -> CommandResult:
        """Offer modification commands (delivery, payments, location, ...) for many offers."""
        if not modification:
            raise InvalidArgumentError("modification", "is empty",
                                       "e.g. {'delivery': {'handlingTime': 'PT24H'}}")
        return await (engine or self.commands()).run(
            CommandKind.MODIFICATION, offer_ids, {"modification": dict(modification)},
            command_ids=command_ids)

    # -- bulk PATCH --------------------------------------------------------------------------
    async def bulk_update(
        self,
        changes: Mapping[str, dict[str, Any]] | Iterable[tuple[str, dict[str, Any]]],
        **options: Any,
    ) -> BulkResult:
        """PATCH many offers, each with its own change, for fields no command can change
        (name, description, parameters, ...). A change that sets ``sellingMode.price``,
        ``stock`` or ``publication`` is refused with an
        :class:`~allegro_async.errors.InvalidArgumentError` before anything is sent: those
        belong in :meth:`change_prices` / :meth:`change_price`, :meth:`change_quantity`,
        :meth:`publish` / :meth:`end` (1 request per 1000 offers instead of 1000). Every
        change is checked (offer id, title length, ...) before the first request.

        Options: ``concurrency`` (8), ``per_minute`` (2490) and ``per_hour`` (74 700, A2;
        ``None`` for no hourly window) and ``headroom`` (0.98, applied to both),
        ``progress`` (called with a :class:`~allegro_async.services.bulk.BulkProgress` after
        each offer), ``journal`` (a :class:`~allegro_async.services.bulk.BulkJournal`; reuse
        it, or its file, to resume), ``clock`` and ``sleep``. Failures do not stop the run;
        the result lists each offer's outcome.
        """
        options.setdefault("sleep", self.sleep)
        return await _bulk.bulk_update(self, changes, **options)


_GROSZ = Decimal("0.01")


def _check_amount(name: str, value: str) -> Decimal:
    """A money amount: a positive decimal with at most 2 decimal places. Finer amounts are
    refused, not rounded: "0.001" would become a price of 0.00, "19.995" one of 20.00."""
    number = _check_decimal(name, value)
    try:
        exact = number.quantize(_GROSZ) == number
    except InvalidOperation:  # more digits than the context holds: no price is that large
        raise InvalidArgumentError(name, f"{value} is too large",
                                   "give a realistic amount, e.g. '19.99'") from None
    if not exact:
        raise InvalidArgumentError(name, f"{value} has more than 2 decimal places",
                                   "give the amount in whole grosze/cents, e.g. '19.99'")
    return number


def _check_decimal(name: str, value: str) -> Decimal:
    """A positive, finite decimal (``nan``/``inf`` would reach Allegro as nonsense)."""
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        raise InvalidArgumentError(name, f"{value!r} is not a number",
                                   "pass a decimal string such as '19.99'") from None
    if not number.is_finite():
        raise InvalidArgumentError(name, f"{value!r} is not a finite number",
                                   "pass a decimal string such as '19.99'")
    if number <= 0:
        raise InvalidArgumentError(name, f"{value} is not positive", "pass a positive amount")
    return number
