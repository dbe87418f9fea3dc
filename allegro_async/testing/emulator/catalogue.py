"""Emulator: products by phrase and GTIN (S21), legacy offer variants (S22), shipping rates (S3).

This module holds the area's settings and data; the routes live in ``catalogue_products``,
``catalogue_variants`` and ``catalogue_shipping``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from allegro_async.testing.emulator import (
    catalogue_products,
    catalogue_shipping,
    catalogue_variants,
)
from allegro_async.testing.emulator.clock import iso, parse_iso

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator

OFFER_STATUSES = ("ACTIVE", "INACTIVE", "ACTIVATING", "ENDED")


@dataclass
class CatalogueConfig:
    """Settings of the emulator's catalogue area.

    - ``product_families``: product models made from the seed (some share one EAN, S21);
    - ``products_page_size``: products per page of GET /sale/products;
    - ``shipping_rates_cap``: price lists per account (S3: 250);
    - ``shipping_rates_per_seller``: price lists each seller starts with;
    - ``variant_offers_per_seller``: offers each seller has for variant sets (S22);
    - ``processing_seconds``: emulated seconds Allegro takes to process a new offer (S22).
    """

    product_families: int = 24
    products_page_size: int = 10
    shipping_rates_cap: int = 250
    shipping_rates_per_seller: int = 2
    variant_offers_per_seller: int = 12
    processing_seconds: float = 300.0


@dataclass
class CatalogueOffer:
    """What the variant rules need to know about an offer: owner, status, processing."""

    id: str
    seller_id: str
    status: str = "ACTIVE"
    processing_until: float = 0.0


@dataclass
class VariantSetRecord:
    """A stored variant set. ``automatic`` sets were made by Allegro, not by the seller."""

    id: str
    seller_id: str
    name: str
    offers: list[dict[str, Any]] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    automatic: bool = False


def _uuid(text: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode()).digest()[:16], version=4))


class CatalogueState:
    """The emulator's catalogue data and behaviour, with helpers for tests::

        emulator.catalogue.products_by_gtin("5901234123457")
        offer = emulator.catalogue.add_offer(seller=0, processing=True)
        emulator.catalogue.set_offer_status(offer.id, "ENDED")
        emulator.catalogue.add_shipping_rates(seller=0, count=248)
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.config: CatalogueConfig = emulator.config.catalogue
        seed = emulator.config.seed
        self.products: list[dict[str, Any]] = catalogue_products.build_products(
            seed, self.config.product_families
        )
        self._products_by_id = {p["id"]: p for p in self.products}
        self.offers: dict[str, CatalogueOffer] = {}
        self.variant_sets: dict[str, VariantSetRecord] = {}
        self._user_set_of: dict[str, str] = {}
        self._shipping: dict[str, list[dict[str, Any]]] = {}
        self._next_offer = 0
        for index, seller in enumerate(emulator.sellers):
            self._seed_seller(index, seller.id, seller.login)

    # -- seed data ---------------------------------------------------------------------------
    def _seed_seller(self, index: int, seller_id: str, login: str) -> None:
        count = self.config.variant_offers_per_seller
        offers = [self.add_offer(seller_id) for _ in range(count)]
        if count >= 12:
            offers[8].status = "INACTIVE"
            offers[9].status = "ENDED"
            offers[10].processing_until = self.config.processing_seconds
            # A set Allegro made on its own: its offers may join a seller's set (S22).
            auto = VariantSetRecord(
                _uuid(f"auto:{seller_id}"), seller_id, f"Automatic {login}",
                [{"id": offers[6].id}, {"id": offers[7].id}], [{"id": "color/pattern"}],
                automatic=True,
            )
            self.variant_sets[auto.id] = auto
            self.write_variant_set(
                _uuid(f"set:{seller_id}"), seller_id, f"Shoes of {login}",
                [{"id": offers[0].id}, {"id": offers[1].id}], [{"id": "4938"}],
            )
        for n in range(self.config.shipping_rates_per_seller):
            self.add_shipping_rates(seller_id, 1, name=f"Price list {n + 1}")

    # -- offers (S22) ------------------------------------------------------------------------
    def offer(self, offer_id: str) -> CatalogueOffer | None:
        """The one place the variant rules look an offer up.

        First the catalogue's own small table (offers made with :meth:`add_offer`), then the
        offers area (``emulator.offers.get``), whose publication status is read live, so an
        offer ended or activated by a publication command counts at once. An offer created
        there less than ``processing_seconds`` ago is still being processed (S22).
        """
        own = self.offers.get(offer_id)
        if own is not None:
            return own
        found = self._offers_area_offer(offer_id)
        if found is None:
            return None
        created = found.get("createdAt")
        until = 0.0
        if isinstance(created, str):
            age = (self.emulator.clock.now() - parse_iso(created)).total_seconds()
            until = self.emulator.clock.monotonic() + self.config.processing_seconds - age
        status = (found.get("publication") or {}).get("status") or "INACTIVE"
        return CatalogueOffer(offer_id, str(found.get("_seller")), str(status), until)

    def add_offer(
        self, seller: int | str = 0, *, status: str = "ACTIVE", processing: bool = False
    ) -> CatalogueOffer:
        """A new offer for a seller (index or id); ``processing=True`` makes Allegro still
        process it for ``processing_seconds`` of emulated time."""
        seller_id = self.emulator.seller(seller).id
        if status not in OFFER_STATUSES:
            raise ValueError(f"status must be one of {OFFER_STATUSES}")
        self._next_offer += 1
        offer = CatalogueOffer(str(17_000_000_000 + self._next_offer), seller_id, status)
        if processing:
            offer.processing_until = self.emulator.clock.monotonic() + (
                self.config.processing_seconds
            )
        self.offers[offer.id] = offer
        return offer

    def offers_of(self, seller: int | str = 0, status: str | None = None) -> list[CatalogueOffer]:
        """A seller's offers in the catalogue's table, optionally of one status."""
        seller_id = self.emulator.seller(seller).id
        return [o for o in self.offers.values()
                if o.seller_id == seller_id and (status is None or o.status == status)]

    def set_offer_status(self, offer_id: str, status: str) -> None:
        """End or (re)activate an offer. An ended offer keeps its set membership and shows in
        the set again once ACTIVE (S22)."""
        if status not in OFFER_STATUSES:
            raise ValueError(f"status must be one of {OFFER_STATUSES}")
        if offer_id in self.offers:
            self.offers[offer_id].status = status
            return
        found = self._offers_area_offer(offer_id)
        if found is None:
            raise KeyError(f"no offer {offer_id} in this emulator")
        found["publication"]["status"] = status

    def _offers_area_offer(self, offer_id: str) -> dict[str, Any] | None:
        """The live offer of the offers area (``emulator.offers.get``), if it has one."""
        lookup = getattr(self.emulator.offers, "get", None)
        found = lookup(offer_id) if callable(lookup) else None
        return found if isinstance(found, dict) else None

    def still_processing(self, offer_id: str) -> bool:
        """True while Allegro has not finished processing the offer (S22)."""
        offer = self.offer(offer_id)
        return offer is not None and self.emulator.clock.monotonic() < offer.processing_until

    # -- variant sets (S22) ------------------------------------------------------------------
    def user_set_of(self, offer_id: str) -> str | None:
        """The id of the seller-made set holding the offer, if any."""
        return self._user_set_of.get(offer_id)

    def write_variant_set(
        self, set_id: str, seller_id: str, name: str, offers: list[dict[str, Any]],
        parameters: list[dict[str, Any]],
    ) -> VariantSetRecord:
        """Create or replace a seller's set; its offers leave any automatic set."""
        old = self.variant_sets.get(set_id)
        if old is not None:
            for item in old.offers:
                self._user_set_of.pop(item["id"], None)
        ids = {o["id"] for o in offers}
        for record in list(self.variant_sets.values()):
            if record.automatic:
                record.offers = [o for o in record.offers if o["id"] not in ids]
                if len(record.offers) < 2:
                    del self.variant_sets[record.id]
        record = VariantSetRecord(set_id, seller_id, name, list(offers), list(parameters))
        self.variant_sets[set_id] = record
        for oid in ids:
            self._user_set_of[oid] = set_id
        return record

    def remove_variant_set(self, set_id: str) -> None:
        """Delete a set; its offers are free to join another."""
        record = self.variant_sets.pop(set_id)
        for item in record.offers:
            if self._user_set_of.get(item["id"]) == set_id:
                del self._user_set_of[item["id"]]

    def automatic_set_of(self, offer_id: str) -> str | None:
        """The id of the automatic (Allegro-made) set holding the offer, if any."""
        for record in self.variant_sets.values():
            if record.automatic and any(o["id"] == offer_id for o in record.offers):
                return record.id
        return None

    def variant_set_json(self, record: VariantSetRecord) -> dict[str, Any]:
        """The set as GET returns it: only offers that are ACTIVE now (an ended offer is
        hidden, and returns when activated again, S22)."""
        visible = [o for o in record.offers
                   if (info := self.offer(o["id"])) is not None and info.status == "ACTIVE"]
        return {"name": record.name, "offers": [dict(o) for o in visible],
                "parameters": [dict(p) for p in record.parameters]}

    # -- products (S21) ----------------------------------------------------------------------
    def product(self, product_id: str) -> dict[str, Any] | None:
        """A product by id."""
        return self._products_by_id.get(product_id)

    def products_by_gtin(self, gtin: str) -> list[dict[str, Any]]:
        """Every product with this GTIN/EAN (several for the S21 cases)."""
        return [p for p in self.products
                if any(p_["id"] == catalogue_products.EAN_PARAM and gtin in p_["values"]
                       for p_ in p["parameters"])]

    def shared_gtins(self) -> dict[str, int]:
        """GTINs that more than one product carries, with how many (S21)."""
        counts: dict[str, int] = {}
        for product in self.products:
            for param in product["parameters"]:
                if param["id"] == catalogue_products.EAN_PARAM:
                    for value in param["values"]:
                        counts[value] = counts.get(value, 0) + 1
        return {k: v for k, v in counts.items() if v > 1}

    # -- shipping rates (S3) -----------------------------------------------------------------
    def shipping_rates_of(self, seller: int | str) -> list[dict[str, Any]]:
        """A seller's price lists (stored records)."""
        return self._shipping.setdefault(self.emulator.seller(seller).id, [])

    def store_shipping_rates(self, seller: int | str, record: dict[str, Any]) -> None:
        """Keep a validated price list for a seller."""
        record.setdefault("features", {"managedByAllegro": False, "isFulfillment": False})
        record.setdefault("marketplaces", ["allegro-pl"])
        self.shipping_rates_of(seller).append(record)

    def add_shipping_rates(self, seller: int | str = 0, count: int = 1, *,
                           name: str = "Price list") -> list[str]:
        """Give a seller ``count`` more price lists directly (no requests); their ids."""
        seller_id = self.emulator.seller(seller).id
        ids = []
        for _ in range(count):
            number = len(self.shipping_rates_of(seller_id)) + 1
            rates_id = _uuid(f"rates:{seller_id}:{number}")
            self.store_shipping_rates(seller_id, {
                "id": rates_id,
                "name": name if count == 1 else f"{name} {number}",
                "rates": [{
                    "deliveryMethod": {"id": "7203ca90-a2f6-4fd0-8ca8-bd4ac3a4ee27"},
                    "maxQuantityPerPackage": 10,
                    "firstItemRate": {"amount": "12.99", "currency": "PLN"},
                    "nextItemRate": {"amount": "0.00", "currency": "PLN"},
                    "shippingTime": {"from": "PT24H", "to": "PT48H"},
                }],
                "lastModified": iso(self.emulator.clock.now()),
            })
            ids.append(rates_id)
        return ids


def routes() -> list[BaseRoute]:
    """The routes of this area."""
    return [
        *catalogue_products.routes(),
        *catalogue_variants.routes(),
        *catalogue_shipping.routes(),
    ]
