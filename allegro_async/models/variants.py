"""Legacy multi-variant offer sets (``/sale/offer-variants``, S22), after the 2020 spec's
``VariantSet`` and ``VariantSets``.

Allegro retired these endpoints on 2026-04-14 in favour of automatic product variants.
"""

from __future__ import annotations

from allegro_async.models.base import AllegroModel

__all__ = [
    "COLOR_PATTERN",
    "VariantMoveResult",
    "VariantSet",
    "VariantSetOffer",
    "VariantSetParameter",
    "VariantSetSummary",
    "VariantSetsPage",
]

#: The special parameter id that groups offers by image (each offer then needs a colorPattern).
COLOR_PATTERN = "color/pattern"


class VariantSetOffer(AllegroModel):
    """An offer in a set; ``color_pattern`` labels offers that share an image."""

    id: str
    color_pattern: str | None = None


class VariantSetParameter(AllegroModel):
    """A parameter that groups the set's offers (or :data:`COLOR_PATTERN`)."""

    id: str


class VariantSet(AllegroModel):
    """A multi-variant set: a name (1-50 characters), 1-2 grouping parameters and 2-500
    offers."""

    name: str
    offers: list[VariantSetOffer]
    parameters: list[VariantSetParameter]

    @property
    def offer_ids(self) -> list[str]:
        """The ids of the set's offers, in order."""
        return [offer.id for offer in self.offers]


class VariantSetSummary(AllegroModel):
    """One entry of GET /sale/offer-variants: the set's id and name."""

    id: str
    name: str | None = None


class VariantSetsPage(AllegroModel):
    """One page of GET /sale/offer-variants (``VariantSets``; no field is required)."""

    offer_variants: list[VariantSetSummary] = []
    count: int | None = None


class VariantMoveResult(AllegroModel):
    """What :meth:`OfferVariantsService.move_offers` did: the target set as written, and the
    source set's remaining offers (re-created under its id when at least two remain)."""

    target_set_id: str
    target: VariantSet
    source_set_id: str
    source_remaining: list[VariantSetOffer] = []
    source_recreated: bool = False
