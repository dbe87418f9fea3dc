"""Product offers (A10, S18, S19): get, create and patch (following 202 operations to the
finished offer), parts, draft copies and draft deletion.

:class:`ProductOffers` holds these methods; ``client.offers``
(:class:`~allegro_async.services.offers.OffersService`) inherits them and adds the listing,
commands and bulk updates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

import anyio
from pydantic import ValidationError
from typing_extensions import Unpack

from allegro_async import _args
from allegro_async._http import httpx
from allegro_async._options import CallOptions
from allegro_async._request import _allegro_url, _httpx_origin, _is_absolute
from allegro_async.errors import (
    AllegroError,
    InvalidArgumentError,
    PermissionDeniedError,
    ResponseValidationError,
)
from allegro_async.models.offers import OfferParts, ProductOffer, ProductOfferBody
from allegro_async.services._bind import bind
from allegro_async.services.commands import Sleep

if TYPE_CHECKING:
    from allegro_async._response import APIResponse
    from allegro_async.api.offer_management import OfferManagementWithRawResponse
    from allegro_async.client import AllegroClient

#: A10: the spec's paths of an operation (a 202's Location) and of the offer its 303 names,
#: matched on the path as sent (still percent-encoded), so each id is one whole segment.
_OPERATION_PATH = re.compile(r"/sale/product-offers/([^/]+)/operations/([^/]+)")
_OFFER_PATH = re.compile(r"/sale/product-offers/([^/]+)")

#: S18: what a draft copy leaves out (read-only or owned by the original).
DRAFT_COPY_DROPS = ("id", "validatedAt", "validation", "createdAt", "updatedAt", "publication")


class OfferNotDeletableError(AllegroError):
    """S19: ``delete_draft`` on an offer that is not a draft. Only drafts (INACTIVE) can be
    deleted; end an active offer with :meth:`OffersService.end`. ``__cause__`` is Allegro's
    403."""

    def __init__(self, offer_id: str, status: str | None) -> None:
        self.offer_id = offer_id
        self.status = status
        shown = f" (it is {status})" if status else ""
        super().__init__(f"offer {offer_id} cannot be deleted{shown}: only drafts (INACTIVE "
                         "offers) can be deleted; end it with offers.end([offer_id]) instead")


class OperationPendingError(AllegroError):
    """A10: a product-offer change was still processed when the deadline passed.

    ``location`` is the operation URL: pass it to
    :meth:`OffersService.wait_for_operation` later to pick up where this left off.
    """

    def __init__(self, location: str, waited: float) -> None:
        self.location = location
        self.waited = waited
        super().__init__(f"the offer change is still being processed after {waited:.0f} s; "
                         f"resume with offers.wait_for_operation({location!r})")


class OperationNotFollowedError(AllegroError):
    """A10: Allegro **accepted** a product-offer change (202) but the operation cannot be
    followed to its end here, so the result is unknown: the change was sent and may be
    applied, or be applied later. Not an ``InvalidArgumentError`` (which means nothing was
    sent): do not send the change again blindly; read the offer to see its state.

    Attributes: ``method`` and ``path`` of the accepted request, ``offer_id`` (``None`` for a
    new offer), ``accepted`` (the body Allegro accepted), ``location`` (the URL it gave),
    ``problem`` (why it is not followed: e.g. a host that is not Allegro's, where the polls
    would carry the seller's token), ``trace_id`` of the 202 answer.
    """

    def __init__(self, *, method: str, path: str, offer_id: str | None,
                 accepted: Mapping[str, Any], location: str, problem: str,
                 trace_id: str | None = None) -> None:
        self.method = method
        self.path = path
        self.offer_id = offer_id
        self.accepted = dict(accepted)
        self.location = location
        self.problem = problem
        self.trace_id = trace_id
        self.hint = (f"read the offer (offers.get({offer_id!r})) to see whether the change is "
                     "applied before sending it again" if offer_id else
                     "look for the new offer (offers.list(), e.g. by name) before creating it "
                     "again")
        trace = f" [trace-id: {trace_id}]" if trace_id else ""
        super().__init__(f"{method} {path}: Allegro accepted the change (202), but its "
                         f"operation cannot be followed: {problem}; the change was sent and "
                         f"may be applied{trace}\nHint: {self.hint}")


def _retry_after(raw: APIResponse, default: float) -> float:
    value = raw.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


class ProductOffers:
    """The product-offer half of ``client.offers`` (/sale/product-offers and draft deletion);
    the constructor's options are described on
    :class:`~allegro_async.services.offers.OffersService`."""

    def __init__(self, client: AllegroClient, *, sleep: Sleep = anyio.sleep,
                 operation_deadline: float = 3600.0, max_poll_wait: float = 60.0) -> None:
        self._client = client
        self.sleep = _args.callable_or_none(sleep, "sleep")
        self.operation_deadline = _args.positive(operation_deadline, "operation_deadline",
                                                 zero=True)
        self.max_poll_wait = _args.positive(max_poll_wait, "max_poll_wait")

    @property
    def _offers(self) -> OfferManagementWithRawResponse:
        # raw: a 202 (A10) is followed here, and bodies are read as ProductOffer
        return self._client.api.offer_management.with_raw_response

    # -- product offers ----------------------------------------------------------------------
    async def get(self, offer_id: str, **options: Unpack[CallOptions]) -> ProductOffer:
        """GET /sale/product-offers/{offerId}."""
        svc = bind(self, options)
        _id(offer_id)  # named as this method names it, before the generated check
        api = svc._client.api.users_offer_information.with_raw_response
        raw = await api.get_product_offer(offer_id=offer_id)
        return _with_id(raw, ProductOffer)

    async def get_raw(self, offer_id: str, **options: Unpack[CallOptions]) -> dict[str, Any]:
        """The offer as plain JSON, every field as Allegro sent it."""
        svc = bind(self, options)
        _id(offer_id)
        api = svc._client.api.users_offer_information.with_raw_response
        return (await api.get_product_offer(offer_id=offer_id)).parse(dict[str, Any])

    async def parts(self, offer_id: str, include: Sequence[str] = ("stock", "price"),
                        **options: Unpack[CallOptions],
                    ) -> OfferParts:
        """GET .../parts: only stock and/or price, cheaper than the whole offer."""
        svc = bind(self, options)
        _id(offer_id)
        if isinstance(include, str):
            raise InvalidArgumentError("include", f"{include!r} is a single string",
                                       "pass include=['stock'], ['price'] or both")
        parts: list[Any] = _args.choices(include, "include", ("stock", "price"))  # checked
        _args.unique_ids(parts, "include")
        api = svc._client.api.users_offer_information.with_raw_response
        raw = await api.get_partial_product_offer(offer_id=offer_id, include=parts)
        return _with_id(raw, OfferParts)

    async def create(self, offer: Mapping[str, Any] | ProductOffer, *,
                     deadline: float | None = None, **options: Unpack[CallOptions]) -> ProductOffer:
        """POST /sale/product-offers; follows a 202 to the finished offer (A10). A new draft
        past the account's limit raises :class:`~allegro_async.errors.DraftsLimitError` (S19)."""
        svc = bind(self, options)
        body = offer_body(offer.to_api() if isinstance(offer, ProductOffer) else offer, "offer")
        if "stock" not in body:  # the one field the spec requires of a new offer
            raise InvalidArgumentError("offer.stock", "is missing (POST /sale/product-offers "
                                       "requires it)", "give stock, e.g. {'available': 10}")
        _check_deadline(deadline)
        raw = await svc._offers.create_product_offers(body=body)
        return await svc._finish(raw, deadline, "POST /sale/product-offers", None, body)

    async def patch(self, offer_id: str, changes: Mapping[str, Any], *,
                    deadline: float | None = None, **options: Unpack[CallOptions]) -> ProductOffer:
        """PATCH /sale/product-offers/{offerId} with only the fields to change; follows a 202
        to the finished offer (A10)."""
        svc = bind(self, options)
        _id(offer_id)
        body = offer_body(changes, "changes")
        _check_deadline(deadline)
        raw = await svc._offers.edit_product_offers(offer_id=offer_id, body=body)
        return await svc._finish(raw, deadline, f"PATCH /sale/product-offers/{offer_id}",
                                 offer_id, body)

    async def _finish(self, raw: APIResponse, deadline: float | None, request: str,
                      offer_id: str | None, body: Mapping[str, Any]) -> ProductOffer:
        if raw.status_code != 202:
            return _with_id(raw, ProductOffer)
        location = raw.headers.get("location")
        if not location:
            return _with_id(raw, ProductOffer)
        try:
            return await self.wait_for_operation(
                location, deadline=deadline, first_wait=_retry_after(raw, 1.0))
        except InvalidArgumentError as exc:
            if exc.field != "location":
                raise
            # Allegro took the change: an error saying "nothing was sent" would invite a
            # second, duplicate write.
            method, path = request.split(" ", 1)
            raise OperationNotFollowedError(
                method=method, path=path, offer_id=offer_id, accepted=body, location=location,
                problem=exc.problem, trace_id=raw.trace_id) from exc

    async def wait_for_operation(self, location: str, *, deadline: float | None = None,
                                 first_wait: float = 0.0,
                                 **options: Unpack[CallOptions]) -> ProductOffer:
        """A10: poll an operation URL (a 202's ``Location``) honouring ``Retry-After`` until
        it answers 303, then return the offer it points to. Raises
        :class:`OperationPendingError` (carrying ``location``) after ``deadline`` seconds."""
        svc = bind(self, options)
        _args.text(location, "location")
        _check_deadline(deadline)
        _args.positive(first_wait, "first_wait", zero=True)
        limit = svc.operation_deadline if deadline is None else deadline
        # the polls carry the bearer token: a Location off Allegro's hosts is refused now,
        # before any wait, not after the first Retry-After
        location = _operation_url(svc._client, location, "location")
        operation = _path_ids(svc._client, location, _OPERATION_PATH)
        waited, wait = 0.0, first_wait
        while True:
            if wait > 0:
                # The capped wait is what is slept, so it is what the deadline is checked
                # against: a Retry-After longer than the deadline is no reason not to poll.
                step = min(wait, svc.max_poll_wait)
                if waited + step > limit:
                    raise OperationPendingError(location, waited)
                await svc.sleep(step)
                waited += step
            raw = await svc._poll(location, operation)
            if raw.status_code in (301, 302, 303, 307, 308):
                target = raw.headers.get("location")
                if not target:
                    raise InvalidArgumentError("location", "the operation finished without a "
                                               "Location", "read the offer by id")
                target = _operation_url(svc._client, target, "location")
                return await svc._finished_offer(target)
            if raw.status_code == 200:
                return _with_id(raw, ProductOffer)
            wait = max(_retry_after(raw, 1.0), 0.001)

    async def _poll(self, location: str, operation: list[str] | None) -> APIResponse:
        """One poll: the generated operation when ``location`` is the spec's operation path,
        else the URL as Allegro gave it."""
        if operation is None:
            return await self._client.request_raw("GET", location)
        offer_id, operation_id = operation
        return await self._offers.get_product_offer_processing_status(
            offer_id=offer_id, operation_id=operation_id)

    async def _finished_offer(self, target: str) -> ProductOffer:
        """The offer a finished operation's 303 points to: the generated GET of the offer when
        ``target`` is its spec path, else the URL as Allegro gave it."""
        found = _path_ids(self._client, target, _OFFER_PATH)
        if found is None:
            return _with_id(await self._client.request_raw("GET", target), ProductOffer)
        api = self._client.api.users_offer_information.with_raw_response
        return _with_id(await api.get_product_offer(offer_id=found[0]), ProductOffer)

    async def delete_draft(self, offer_id: str, **options: Unpack[CallOptions]) -> None:
        """DELETE /sale/offers/{offerId}: only drafts (INACTIVE) can be deleted (S19); for
        any other offer Allegro refuses (403), raised here as :class:`OfferNotDeletableError`
        (not the generic "wrong token" hint): end it with :meth:`OffersService.end` instead.
        A 403 for an offer this token cannot read stays a
        :class:`~allegro_async.errors.PermissionDeniedError`."""
        svc = bind(self, options)
        offer_id = _args.ident(offer_id, "offer_id")
        try:
            _id(offer_id)
            await svc._offers.delete_offer(offer_id=offer_id)
        except PermissionDeniedError as exc:
            if exc.mentions("only drafts") or exc.mentions("NotDeletable"):
                raise OfferNotDeletableError(offer_id, None) from exc
            try:  # the message may say nothing: look at the offer to tell the two 403s apart
                offer = await svc.get(offer_id)
            except AllegroError:
                raise exc from None
            status = offer.publication.status if offer.publication is not None else None
            if status != "INACTIVE":
                raise OfferNotDeletableError(
                    offer_id, status.value if status is not None else None) from exc
            raise

    async def copy_as_draft(self, offer_id: str, *, changes: Mapping[str, Any] | None = None,
                            deadline: float | None = None,
                            **options: Unpack[CallOptions]) -> ProductOffer:
        """S18: a new draft with the whole structure of an offer, minus ``id``,
        ``validatedAt``/``validation``, ``createdAt``, ``updatedAt`` and ``publication``.
        ``changes`` are applied on top (e.g. a new name)."""
        svc = bind(self, options)
        _id(offer_id)
        extra = _args.mapping(changes, "changes") if changes is not None else {}
        _check_deadline(deadline)
        original = await svc.get_raw(offer_id)
        body = {k: v for k, v in original.items() if k not in DRAFT_COPY_DROPS}
        body.update(extra)
        return await svc.create(body, deadline=deadline)


def _operation_url(client: AllegroClient, url: str, field: str) -> str:
    """An operation or offer URL Allegro gave (A10), if it is on the environment's hosts."""
    return _allegro_url(url, client.environment, field) if _is_absolute(url) else url


def _path_ids(client: AllegroClient, url: str, pattern: re.Pattern[str]) -> list[str] | None:
    """The ids in ``url`` (an operation or offer URL, its host checked already) when it is
    ``pattern`` under the API's base URL, with no query or fragment; ``None`` for any other URL,
    which is then sent as it is.

    Each segment is percent-decoded and checked by the argument layer (the generated operation
    encodes it again); a segment that decodes to no id (an encoded ``/``, ``%`` or ``..``) is
    refused rather than sent changed or sent to another route."""
    api_url = client.environment.api_url
    base = httpx.URL(api_url)
    full = httpx.URL(url if _is_absolute(url) else f"{api_url}/{url.lstrip('/')}")
    if _httpx_origin(full) != _httpx_origin(base) or full.query or full.fragment:
        return None
    prefix = base.raw_path.decode("ascii").split("?", 1)[0].rstrip("/")
    path = full.raw_path.decode("ascii").split("?", 1)[0]
    if not path.startswith(prefix + "/"):
        return None
    match = pattern.fullmatch(path[len(prefix):])
    if match is None:
        return None
    ids: list[str] = []
    for segment in match.groups():
        try:
            ids.append(_args.ident(unquote(segment, errors="strict"), "location"))
        except (InvalidArgumentError, UnicodeDecodeError):
            raise InvalidArgumentError(
                "location", f"the path segment {segment!r} of {path!r} is not an id",
                "pass the Location exactly as Allegro gave it") from None
    return ids


def _id(offer_id: object) -> str:
    """An offer id for a URL path (digits, as Allegro gives them)."""
    return _args.path_segment(offer_id, "offer_id")


_Offer = TypeVar("_Offer", ProductOffer, OfferParts)


def _with_id(raw: APIResponse, cast_to: type[_Offer]) -> _Offer:
    """The answer as the generated ``cast_to``; one without ``id`` is refused, naming it: the
    spec requires no field, but every offer Allegro returns has its id (it is how the offer
    is read, changed and deleted), and an offer without one cannot be used."""
    found = raw.parse(cast_to)
    if not found.id:
        request = raw.http_response.request
        raise ResponseValidationError(
            f"{request.method} {request.url.path}: the offer in the answer has no id (field "
            "'id'); read the offer again, or report the trace id to Allegro",
            body=raw.json(), trace_id=raw.trace_id)
    return found


def _check_deadline(deadline: object) -> None:
    if deadline is not None:
        _args.positive(deadline, "deadline", zero=True)


def offer_body(value: object, field: str) -> dict[str, Any]:
    """A product-offer body or PATCH: a non-empty mapping that fits the offer model (typed
    fields such as ``name``, ``sellingMode`` or ``stock`` of the right shape) and the spec's
    title rule, checked before sending."""
    body = _args.mapping(value, field)
    try:
        ProductOfferBody.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InvalidArgumentError(f"{field}.{where}", error["msg"],
                                   "give the field the shape of the spec's offer") from None
    _check_name(body)
    return body


def _check_name(body: Mapping[str, Any]) -> None:
    """The spec's title rule (12 to 75 characters), checked before sending."""
    name = body.get("name")
    if name is not None and not (isinstance(name, str) and 12 <= len(name) <= 75):
        raise InvalidArgumentError("name", f"{name!r} is not 12 to 75 characters long",
                                   "give the offer a title of 12 to 75 characters")
