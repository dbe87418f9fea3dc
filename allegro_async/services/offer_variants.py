"""Legacy multi-variant offer sets (``/sale/offer-variants``, S22).

**Deprecated.** Allegro retired these endpoints on 2026-04-14 in favour of automatic product
variants (offers linked to catalogue products are grouped by Allegro itself). They are kept for
integrations that still manage old sets; every call emits a ``DeprecationWarning``.
"""

from __future__ import annotations

import builtins
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from typing_extensions import Unpack

from allegro_async import _args
from allegro_async._options import CallOptions
from allegro_async._walk_guard import WalkGuard
from allegro_async.errors import AllegroError, APIError, InvalidArgumentError
from allegro_async.models.variants import (
    COLOR_PATTERN,
    VariantMoveResult,
    VariantSet,
    VariantSetOffer,
    VariantSetParameter,
    VariantSetsPage,
    VariantSetSummary,
)
from allegro_async.services._bind import bind

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient

T = TypeVar("T")

RETIRED_MESSAGE = (
    "Allegro retired /sale/offer-variants on 2026-04-14 in favour of automatic product "
    "variants: link offers to catalogue products and Allegro groups them itself"
)

_PAGE = 50  # the largest limit the endpoint takes


def _warn() -> None:
    warnings.warn(RETIRED_MESSAGE, DeprecationWarning, stacklevel=3)


def s22_hint(error: APIError) -> str | None:
    """The S22 cause and fix for a variant-set error, when known."""
    if error.mentions("still being processed") or error.mentions("processing"):
        return ("Allegro has not finished processing this offer. Wait a few minutes and "
                "send the same PUT again.")
    if error.mentions("already belongs") or error.mentions("already in"):
        return ("an offer in a set you created cannot join another set. To move it, "
                "DELETE the old set, then PUT the new one (offer_variants.move_offers does "
                "both).")
    if error.status_code == 422 and error.mentions("not found"):
        return ("only ACTIVE offers can be in a set; Allegro answers 'not found' for "
                "drafts, ended offers and offers of another seller. Activate the offer first.")
    if error.status_code == 404:
        return ("no such set. Find a lost set id with offer_variants.list(query=<set name "
                "or offer id>).")
    return None


def _with_hint(error: APIError) -> APIError:
    hint = s22_hint(error)
    if hint is None:
        return error
    return type(error)(
        status_code=error.status_code, method=error.method, path=error.path,
        errors=error.errors, oauth_error=error.oauth_error,
        oauth_error_description=error.oauth_error_description, trace_id=error.trace_id,
        hint=hint, body_text=error.body_text, response=error.response,
    )


async def _call(coro: Awaitable[T]) -> T:
    try:
        return await coro
    except APIError as exc:
        mapped = _with_hint(exc)
        if mapped is exc:
            raise
        raise mapped from exc


def _set_id(set_id: object, field: str = "set_id") -> str:
    """A set id for the URL path (a UUID, e.g. from :func:`new_set_id`)."""
    return _args.path_segment(set_id, field)


def validate_variant_set(variant_set: VariantSet) -> None:
    """Check the rules Allegro enforces on a set body, before anything is sent."""
    _args.instance(variant_set, "variant_set", VariantSet)
    if not variant_set.name.strip() or len(variant_set.name) > 50:
        raise InvalidArgumentError("name", "must have 1 to 50 characters",
                                   "give the set a short name, e.g. 't-shirts'")
    if not 1 <= len(variant_set.parameters) <= 2:
        raise InvalidArgumentError("parameters", "a set groups offers by 1 or 2 parameters",
                                   f"give one or two parameter ids (or {COLOR_PATTERN!r})")
    if not 2 <= len(variant_set.offers) <= 500:
        raise InvalidArgumentError("offers", f"{len(variant_set.offers)} offers given",
                                   "a set holds 2 to 500 offers")
    ids = variant_set.offer_ids
    if len(set(ids)) != len(ids):
        raise InvalidArgumentError("offers", "an offer appears twice", "list each offer once")
    if any(p.id == COLOR_PATTERN for p in variant_set.parameters):
        for offer in variant_set.offers:
            if not offer.color_pattern or len(offer.color_pattern) > 50:
                raise InvalidArgumentError(
                    "offers.color_pattern", f"offer {offer.id} has no colorPattern",
                    "with the color/pattern parameter every offer needs a label (1-50 chars)",
                )


class VariantMoveError(AllegroError):
    """``move_offers`` failed part-way. ``completed`` lists the steps done (``"read"``,
    ``"delete source"``, ``"write target"``, ``"restored source"``), ``step`` the one that
    failed (``"check"``: the sets as read do not allow the move, nothing was changed),
    ``source`` is the source set as it was before (PUT it back under ``source_set_id`` to
    restore), ``cause`` the error."""

    def __init__(self, step: str, completed: list[str], source_set_id: str,
                 source: VariantSet | None, cause: Exception) -> None:
        self.step = step
        self.completed = completed
        self.source_set_id = source_set_id
        self.source = source
        self.cause = cause
        done = ", ".join(completed) or "nothing"
        super().__init__(f"moving offers failed at '{step}' (done: {done}): {cause}")


class OfferVariantsService:
    """Legacy multi-variant offer sets (S22). **Deprecated**: Allegro retired the endpoints on
    2026-04-14 in favour of automatic product variants; each call warns.

    The S22 rules: an offer in a set you created cannot join another set (move it with
    :meth:`move_offers`: delete the old set, then put the new one); offers in a set Allegro made
    automatically can; only ACTIVE offers can be in a set; offers Allegro is still processing
    are refused for a while; an ended offer activated again returns to its set::

        set_id = await client.offer_variants.create("t-shirts", ["111", "222"], ["color/pattern"],
                                                    color_patterns={"111": "red", "222": "blue"})
    """

    def __init__(self, client: AllegroClient) -> None:
        self._client = client
        # a dict, shared with the copies a call's options make (bind): /me is asked once
        self._seller: dict[str, str] = {}

    async def _seller_id(self, user_id: str | None) -> str:
        if user_id is not None:
            return _args.ident(user_id, "user_id")
        if "id" not in self._seller:
            seller = (await self._client.user.me()).id
            if seller is None:  # pragma: no cover - user.me() refuses an answer without one
                raise RuntimeError("GET /me gave no id")
            self._seller["id"] = seller
        return self._seller["id"]

    async def list(
        self, *, user_id: str | None = None, query: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncIterator[VariantSetSummary]:
        """The seller's sets ordered by name; ``query`` matches a name or an offer id, which
        is how a lost set id is found. ``user_id`` defaults to the token's seller (``/me``)."""
        svc = bind(self, options)
        _warn()
        if query is not None:
            _args.text(query, "query", max_len=50)
        seller = await svc._seller_id(user_id)
        offset = 0
        guard = WalkGuard("GET /sale/offer-variants")
        while True:
            guard.request(offset)
            page = await _call(svc._client.request(
                "GET", "/sale/offer-variants", media_type="beta",
                params={"user.id": seller, "query": query, "offset": offset, "limit": _PAGE},
                cast_to=VariantSetsPage,
            ))
            items = page.offer_variants
            if items:  # an offset the server ignored answers a page read before
                guard.page(items, total=page.count)
            for item in items:
                yield item
            guard.delivered(len(items))
            offset += len(items)
            total = page.count
            if not items or (total is not None and offset >= total) or offset > 9950:
                return

    async def find(
        self, query: str, *, user_id: str | None = None,
        **options: Unpack[CallOptions],
    ) -> builtins.list[VariantSetSummary]:
        """Every set whose name contains ``query`` or that holds offer ``query`` (S22)."""
        svc = bind(self, options)
        return [s async for s in svc.list(user_id=user_id, query=query)]

    async def get(self, set_id: str, **options: Unpack[CallOptions]) -> VariantSet:
        """One set: name, grouping parameters and its ACTIVE offers."""
        svc = bind(self, options)
        _warn()
        return await _call(svc._client.request(
            "GET", f"/sale/offer-variants/{_set_id(set_id)}", media_type="beta",
            cast_to=VariantSet,
        ))

    async def put(self, set_id: str, variant_set: VariantSet,
                  **options: Unpack[CallOptions]) -> None:
        """Create or replace the set ``set_id`` (a client-chosen UUID for a new set). Checked
        locally first (name, 1-2 parameters, 2-500 offers, colour patterns)."""
        svc = bind(self, options)
        _warn()
        segment = _set_id(set_id)
        validate_variant_set(variant_set)
        await _call(svc._client.request_raw(
            "PUT", f"/sale/offer-variants/{segment}", media_type="beta",
            json=variant_set.to_api(),
        ))

    async def create(
        self,
        name: str,
        offer_ids: Iterable[str],
        parameter_ids: Sequence[str],
        *,
        color_patterns: dict[str, str] | None = None,
        set_id: str | None = None,
        **options: Unpack[CallOptions],
    ) -> str:
        """Create a set from offer ids and grouping parameter ids; returns its id."""
        svc = bind(self, options)
        _args.text(name, "name", max_len=50)
        ids = _args.id_list(offer_ids, "offer_ids")
        params = _args.texts(parameter_ids, "parameter_ids")
        patterns = _patterns(color_patterns)
        body = VariantSet(
            name=name,
            offers=[VariantSetOffer(id=o, color_pattern=patterns.get(o)) for o in ids],
            parameters=[VariantSetParameter(id=p) for p in params],
        )
        new_id = new_set_id() if set_id is None else _args.ident(set_id, "set_id")
        await svc.put(new_id, body)
        return new_id

    async def delete(self, set_id: str, **options: Unpack[CallOptions]) -> None:
        """Delete a set. Its offers stay on sale, outside any set."""
        svc = bind(self, options)
        _warn()
        await _call(svc._client.request_raw(
            "DELETE", f"/sale/offer-variants/{_set_id(set_id)}", media_type="beta"
        ))

    async def move_offers(
        self, offer_ids: Iterable[str], *, from_set_id: str, to_set_id: str,
        color_patterns: dict[str, str] | None = None,
        **options: Unpack[CallOptions],
    ) -> VariantMoveResult:
        """Move offers from one of your sets to another (S22: an offer in your set cannot
        join another, so: read both, DELETE the source, PUT the target with the offers added,
        then PUT the source again with what remains, if at least two offers remain).

        On failure raises :class:`VariantMoveError` saying which steps were done; after the
        source was deleted it tries to restore it before raising.
        """
        svc = bind(self, options)
        moving = _args.id_list(offer_ids, "offer_ids")
        from_set_id = _args.ident(from_set_id, "from_set_id")
        to_set_id = _args.ident(to_set_id, "to_set_id")
        patterns = _patterns(color_patterns)
        if from_set_id == to_set_id:
            raise InvalidArgumentError("to_set_id", "equals from_set_id", "name two sets")
        source = await svc.get(from_set_id)
        target = await svc.get(to_set_id)
        missing = [o for o in moving if o not in source.offer_ids]
        if missing:
            # Found only by reading the sets, so not an argument error (those come before any
            # request): nothing was changed, the sets are as they were.
            raise VariantMoveError("check", ["read"], from_set_id, source, LookupError(
                f"not in set {from_set_id}: {missing}; move only offers the source set holds"))
        moved = [o.model_copy(update={"color_pattern": patterns.get(o.id, o.color_pattern)})
                 for o in source.offers if o.id in moving]
        new_target = target.model_copy(update={"offers": [*target.offers, *moved]})
        remaining = [o for o in source.offers if o.id not in moving]
        try:
            validate_variant_set(new_target)
        except InvalidArgumentError as exc:  # e.g. the target would hold more than 500
            raise VariantMoveError("check", ["read"], from_set_id, source, exc) from exc
        completed = ["read"]
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("delete source", lambda: svc.delete(from_set_id)),
            ("write target", lambda: svc.put(to_set_id, new_target)),
        ]
        if len(remaining) >= 2:
            rest = source.model_copy(update={"offers": remaining})
            steps.append(("rewrite source", lambda: svc.put(from_set_id, rest)))
        for step, action in steps:
            try:
                await action()
            except Exception as exc:
                if "delete source" in completed and step == "write target":
                    try:  # put the source back as it was, so no grouping is lost
                        await svc.put(from_set_id, source)
                        completed.append("restored source")
                    except Exception:  # noqa: S110 - reported through the error below
                        pass
                raise VariantMoveError(step, completed, from_set_id, source, exc) from exc
            completed.append(step)
        return VariantMoveResult(
            target_set_id=to_set_id, target=new_target, source_set_id=from_set_id,
            source_remaining=remaining, source_recreated=len(remaining) >= 2,
        )


def _patterns(color_patterns: object) -> dict[str, str]:
    """``{offer_id: label}`` for the color/pattern parameter, canonical ids, 1-50 chars."""
    if color_patterns is None:
        return {}
    if not isinstance(color_patterns, dict):
        raise InvalidArgumentError("color_patterns", f"{type(color_patterns).__name__} is not "
                                   "a dict", "pass {offer_id: 'red', ...}")
    if not color_patterns:
        return {}
    return {o: _args.text(label, f"color_patterns[{o}]", max_len=50)
            for o, label in _args.id_mapping(color_patterns, "color_patterns")}


def new_set_id() -> str:
    """A fresh set id (a random UUID), as Allegro expects for a new set."""
    return str(uuid.uuid4())
