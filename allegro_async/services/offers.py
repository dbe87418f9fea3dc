"""``client.offers``: the offer listing, offer commands (S17, S20) and bulk updates, on top of
the product-offer methods (A10, S18, S19) of :mod:`allegro_async.services.product_offers`.

The product-offer names (``OperationPendingError``, ``OperationNotFollowedError``,
``OfferNotDeletableError``, ``DRAFT_COPY_DROPS``) are importable from here too, where they
have always been.
"""

from __future__ import annotations

import datetime as _dt
import inspect
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from allegro_async import _args
from allegro_async._options import CallOptions
from allegro_async._walk_guard import WalkGuard
from allegro_async.errors import InvalidArgumentError, ResponseValidationError
from allegro_async.models.commands import CommandKind, CommandResult
from allegro_async.models.offers import BulkResult, OfferListingItem, OffersPage
from allegro_async.services import bulk as _bulk
from allegro_async.services._bind import bind, split
from allegro_async.services.command_journal import CommandJournal
from allegro_async.services.commands import CommandEngine, command_id_list
from allegro_async.services.offer_query import LIST_ENUMS as LIST_ENUMS
from allegro_async.services.offer_query import LIST_FILTERS as LIST_FILTERS
from allegro_async.services.offer_query import LIST_SORTS as LIST_SORTS
from allegro_async.services.offer_query import ids_present, list_query, search_keywords
from allegro_async.services.product_offers import (
    DRAFT_COPY_DROPS,
    OfferNotDeletableError,
    OperationNotFollowedError,
    OperationPendingError,
    ProductOffers,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "DRAFT_COPY_DROPS",
    "LIST_ENUMS",
    "LIST_FILTERS",
    "OfferNotDeletableError",
    "OffersService",
    "OperationNotFollowedError",
    "OperationPendingError",
    "ProductOffers",
]

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

        A server that answers a page already read (it ignored ``offset``) ends the walk with
        :class:`~allegro_async.errors.WalkStalledError` before any offer comes twice.

        Paging is by offset: offers that change (status, price, ...) or appear while the walk
        runs can move between pages and be skipped or seen twice. Filter on something stable,
        or de-duplicate by id and re-list when an exact snapshot matters.

        The per-call options (``timeout=`` seconds, ``extra_headers=``, ...; docs/client.md)
        apply to every page's request: ``timeout=`` bounds each page, not the whole walk.
        """
        call, filters = split(filters)
        svc = bind(self, call)
        query = list_query(page_size, max_items, params, filters)
        keywords = search_keywords(query)
        api = svc._client.api.users_offer_information.with_raw_response
        guard = WalkGuard("GET /sale/offers")
        offset, yielded = 0, 0
        while max_items is None or yielded < max_items:
            guard.request(offset)
            raw = await api.search_offers(**keywords, limit=page_size, offset=offset)
            page = raw.parse(OffersPage)  # raw: the walk names the trace id of a stalled page
            offers = page.offers or []  # the spec requires no field: none is an empty page
            ids_present(offers, raw)
            if offers:  # an offset the server ignored answers a page read before
                guard.page(offers, trace_id=raw.trace_id, total=page.total_count)
            for item in offers:
                if max_items is not None and yielded >= max_items:
                    return
                yield item
                yielded += 1
                guard.delivered(1)
            offset += len(offers)
            # totalCount is optional in the spec. When sent, it decides: a server may answer
            # fewer than `limit` items with more to come, and stopping there would be silent.
            # Without it, a short page is the end. An empty page always is (no loop).
            if not offers:
                return
            if page.total_count is not None:
                if offset >= page.total_count:
                    return
            elif len(offers) < page_size:
                return

    async def count_drafts(self, **options: Unpack[CallOptions]) -> int:
        """How many drafts (INACTIVE offers) the account holds, for S19."""
        svc = bind(self, options)
        api = svc._client.api.users_offer_information.with_raw_response
        raw = await api.search_offers(publication_status=["INACTIVE"], limit=1)
        page = raw.parse(OffersPage)
        if page.total_count is None:
            # the spec makes totalCount optional, but without it there is no count: 0 would
            # say "no drafts" to an account that may be at the S19 limit
            raise ResponseValidationError(
                "GET /sale/offers: the response has no totalCount, so the drafts cannot be "
                "counted", body=raw.json(), trace_id=raw.trace_id)
        return page.total_count

    # -- commands (S17, S20) -----------------------------------------------------------------
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # made now, not on first use: the copies a call's options make (bind) share it
        self._command_journal = CommandJournal()

    @property
    def command_journal(self) -> CommandJournal:
        """The journal of this service's engines (unless one is given): every command made
        through them whose outcome is not settled yet, recorded before its first PUT. After a
        cancelled call, or offers left ``UNKNOWN``, ``client.offers.commands().resume()``
        finishes them."""
        return self._command_journal

    def commands(self, **options: Any) -> CommandEngine:
        """A :class:`~allegro_async.services.commands.CommandEngine` with options (sleep,
        poll_initial, deadline, pace, journal, ...) for the methods below (``engine=``); its
        journal is :attr:`command_journal` unless ``journal=`` is given."""
        known = [n for n in inspect.signature(CommandEngine).parameters if n != "client"]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise InvalidArgumentError(unknown[0], "is not an option of the command engine",
                                       f"use {', '.join(known)}")
        options.setdefault("sleep", self.sleep)
        options.setdefault("journal", self.command_journal)
        return CommandEngine(self._client, **options)

    async def publish(self, offer_ids: Sequence[str], *,
                      scheduled_for: _dt.datetime | None = None,
                      now: _dt.datetime | None = None,
                      engine: CommandEngine | None = None,
                      command_ids: Sequence[str] | None = None,
                      **options: Unpack[CallOptions]) -> CommandResult:
        """Activate offers (any number; commands of <= 1000). ``scheduled_for`` must be in
        the future (S17): a past time is refused here, before anything is sent."""
        svc = bind(self, options)
        publication: dict[str, Any] = {"action": "ACTIVATE"}
        if scheduled_for is not None:
            moment = _args.future(scheduled_for, "scheduled_for", now, "Allegro answers "
                                  "'You cannot schedule activating an offer in the past'")
            publication["scheduledFor"] = _args.utc_text(moment)
        elif now is not None:
            _args.aware(now, "now")
        return await svc._run(CommandKind.PUBLICATION, offer_ids,
                              {"publication": publication}, engine, command_ids)

    async def end(self, offer_ids: Sequence[str], *,
                  engine: CommandEngine | None = None,
                  command_ids: Sequence[str] | None = None,
                  **options: Unpack[CallOptions]) -> CommandResult:
        """End offers (any number; commands of <= 1000)."""
        svc = bind(self, options)
        return await svc._run(CommandKind.PUBLICATION, offer_ids,
                              {"publication": {"action": "END"}}, engine, command_ids)

    async def change_price(
        self, offer_ids: Sequence[str], *, to: str | None = None,
        increase_by: str | None = None, decrease_by: str | None = None,
        increase_percent: str | None = None, decrease_percent: str | None = None,
        currency: str = "PLN", engine: CommandEngine | None = None,
        command_ids: Sequence[str] | None = None,
        **options: Unpack[CallOptions],
    ) -> CommandResult:
        """Change the buy-now price of offers with price-change commands: exactly one of
        ``to``, ``increase_by``, ``decrease_by`` (amounts as decimal strings),
        ``increase_percent``, ``decrease_percent``. 10 000 offers take 10 commands."""
        svc = bind(self, options)
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
        code = _args.currency(currency, "currency")  # checked even when a percentage is given
        mod: dict[str, Any]
        if name in ("to", "increase_by", "decrease_by"):
            money = {"amount": str(_args.amount(value, name)), "currency": code}
            mod = ({"type": "FIXED_PRICE", "price": money} if name == "to" else {
                "type": "INCREASE_PRICE" if name == "increase_by" else "DECREASE_PRICE",
                "value": money})
        else:
            decrease = name == "decrease_percent"
            mod = {"type": "DECREASE_PERCENTAGE" if decrease else "INCREASE_PERCENTAGE",
                   "percentage": _args.percentage(value, name, decrease=decrease)}
        return await svc._run(CommandKind.PRICE, offer_ids, {"modification": mod}, engine,
                              command_ids)

    async def change_prices(
        self, prices: Mapping[str, str | Decimal | int], *, currency: str = "PLN",
        engine: CommandEngine | None = None, command_ids: Sequence[str] | None = None,
        **options: Unpack[CallOptions],
    ) -> CommandResult:
        """Give each offer its own buy-now price (``{offer_id: "19.99"}``) with price-change
        commands: offers sharing a price go in the same commands (<= 1000 each), so 10 000
        offers at 40 distinct prices take about 40 commands, not 10 000 PATCHes.

        Every price is checked (a positive finite decimal) before anything is sent. The one
        result lists outcomes in the order of ``prices``; to resume, pass its ``command_ids``
        with the same ``prices`` (groups are made in a fixed order: by amount).
        """
        svc = bind(self, options)
        if not isinstance(prices, Mapping):
            raise InvalidArgumentError("prices", f"{type(prices).__name__} is not a mapping",
                                       "pass {offer_id: '19.99', ...}")
        entries = _args.id_mapping(prices, "prices")  # canonical ids, none twice
        code = _args.currency(currency, "currency")
        groups: dict[Decimal, list[str]] = {}
        for offer_id, price in entries:
            groups.setdefault(_args.amount(price, f"prices[{offer_id}]"), []).append(offer_id)
        engine = svc._engine(engine)
        order = sorted(groups)
        sizes = [-(-len(groups[a]) // engine.chunk_size) for a in order]
        given = command_id_list(command_ids, sum(sizes))
        # One run for every group: all its commands are in the journal before the first PUT.
        result = await engine.run_groups(CommandKind.PRICE, [(groups[amount], {"modification": {
            "type": "FIXED_PRICE", "price": {"amount": str(amount), "currency": code}}})
            for amount in order], command_ids=given)
        position = {o: i for i, (o, _) in enumerate(entries)}
        result.outcomes.sort(key=lambda out: position[out.offer_id])
        return result

    async def change_quantity(self, offer_ids: Sequence[str], *, to: int | None = None,
                              gain: int | None = None,
                              engine: CommandEngine | None = None,
                  command_ids: Sequence[str] | None = None,
                  **options: Unpack[CallOptions]) -> CommandResult:
        """Set (``to``) or shift (``gain``, may be negative) the stock of offers."""
        svc = bind(self, options)
        if (to is None) == (gain is None):
            raise InvalidArgumentError("quantity", "give exactly one of to and gain",
                                       "e.g. change_quantity(ids, to=10)")
        mod = ({"changeType": "FIXED", "value": _args.count(to, "to")} if to is not None else
               {"changeType": "GAIN", "value": _args.count(gain, "gain", minimum=-_MAX_STOCK)})
        return await svc._run(CommandKind.QUANTITY, offer_ids, {"modification": mod}, engine,
                              command_ids)

    async def modify(self, offer_ids: Sequence[str], modification: Mapping[str, Any], *,
                     engine: CommandEngine | None = None,
                  command_ids: Sequence[str] | None = None,
                  **options: Unpack[CallOptions]) -> CommandResult:
        """Offer modification commands (delivery, payments, location, ...) for many offers."""
        svc = bind(self, options)
        body = _args.mapping(modification, "modification")
        return await svc._run(CommandKind.MODIFICATION, offer_ids, {"modification": body},
                              engine, command_ids)

    def _engine(self, engine: object) -> CommandEngine:
        if engine is None:
            return self.commands()
        # an engine of the caller's sends with this call's per-call options too
        return bind(_args.instance(engine, "engine", CommandEngine),
                    self._client._call_defaults)

    async def _run(self, kind: CommandKind, offer_ids: object, payload: dict[str, Any],
                   engine: object, command_ids: object) -> CommandResult:
        # Every argument is checked before the engine sends its first PUT.
        ids = _args.id_list(offer_ids, "offer_ids")
        runner = self._engine(engine)
        chunks = -(-len(ids) // runner.chunk_size)
        given = command_id_list(command_ids, chunks)
        return await runner.run(kind, ids, payload, command_ids=given)

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
        it, or its file, to resume), ``clock`` and ``sleep``, and the per-call options
        (``timeout=``, ``extra_headers=``, ...; docs/client.md) for every GET and PATCH.
        Failures do not stop the run; the result lists each offer's outcome.
        """
        call, options = split(options)
        svc = bind(self, call)
        unknown = sorted(set(options) - set(_bulk.OPTIONS))
        if unknown:
            raise InvalidArgumentError(unknown[0], "is not an option of bulk_update",
                                       f"use {', '.join(_bulk.OPTIONS)}")
        options.setdefault("sleep", self.sleep)
        return await _bulk.bulk_update(svc, changes, **options)


#: Larger than any stock a gain could move (the spec's quantity is an int32).
_MAX_STOCK = 2**31 - 1
