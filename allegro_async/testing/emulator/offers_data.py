"""Emulator: the shapes of offers (SaleProductOfferResponseV1, OfferListingDto, the parts
response) and their deterministic generation from the seed."""

from __future__ import annotations

import copy
import datetime as _dt
import random
from typing import Any

from allegro_async.testing.emulator.clock import iso

#: Words offer names are made of; deterministic per seed and seller.
_NOUNS = ("Kettle", "Lamp", "Backpack", "Mug", "Charger", "Drill", "Jacket", "Headphones",
          "Blender", "Chair", "Notebook", "Sneakers", "Watch", "Router", "Pan")
_ADJECTIVES = ("Red", "Compact", "Steel", "Wireless", "Classic", "Pro", "Eco", "Mini", "XL")
_CATEGORIES = ("257931", "165", "4029", "67413", "122233")
_HANDLING = ("PT24H", "PT48H", "PT72H")


def offer_id_for(seller_index: int, number: int) -> str:
    """A stable numeric offer id (Allegro's ids are numeric strings)."""
    return str(7_700_000_000 + seller_index * 10_000_000 + number)


def new_offer(
    *,
    offer_id: str,
    seller_id: str,
    name: str,
    status: str,
    price: str,
    stock: int,
    category: str,
    created: _dt.datetime,
    external_id: str | None = None,
) -> dict[str, Any]:
    """One offer as GET /sale/product-offers/{offerId} shows it (SaleProductOfferResponseV1).

    ``_seller`` and ``_sold`` are emulator bookkeeping, removed before sending.
    """
    stamp = iso(created)
    offer: dict[str, Any] = {
        "id": offer_id,
        "name": name,
        "category": {"id": category},
        "productSet": [],
        "parameters": [],
        "sellingMode": {"format": "BUY_NOW", "price": {"amount": price, "currency": "PLN"}},
        "stock": {"available": stock, "unit": "UNIT"},
        # nullable fields are left out rather than sent as null: Allegro omits them too
        "delivery": {"handlingTime": "PT24H"},
        "publication": {"status": status,
                        "marketplaces": {"base": {"id": "allegro-pl"}, "additional": []}},
        "language": "pl-PL",
        "validation": {"errors": [], "warnings": [], "validatedAt": stamp},
        "createdAt": stamp,
        "updatedAt": stamp,
        "_seller": seller_id,
        "_sold": 0,
    }
    if external_id is not None:
        offer["external"] = {"id": external_id}
    if status == "ENDED":
        offer["publication"]["endedBy"] = "USER"
    return offer


def generate(
    *,
    seed: int,
    seller_index: int,
    seller_id: str,
    active: int,
    drafts: int,
    ended: int,
    epoch: _dt.datetime,
) -> dict[str, dict[str, Any]]:
    """A seller's offers: ``active`` ACTIVE, ``drafts`` INACTIVE, ``ended`` ENDED; the same for
    the same seed."""
    rnd = random.Random(f"offers-{seed}-{seller_index}")
    out: dict[str, dict[str, Any]] = {}
    plan = [("ACTIVE", active), ("INACTIVE", drafts), ("ENDED", ended)]
    number = 0
    for status, count in plan:
        for _ in range(count):
            number += 1
            offer_id = offer_id_for(seller_index, number)
            name = f"{rnd.choice(_ADJECTIVES)} {rnd.choice(_NOUNS)} no. {number}"  # >= 12 chars
            cents = rnd.randint(500, 99_999)
            offer = new_offer(
                offer_id=offer_id, seller_id=seller_id, name=name, status=status,
                price=f"{cents // 100}.{cents % 100:02d}", stock=rnd.randint(0, 50),
                category=rnd.choice(_CATEGORIES),
                created=epoch - _dt.timedelta(days=rnd.randint(1, 400),
                                              seconds=rnd.randint(0, 86_399)),
                external_id=f"SKU-{seller_index + 1}-{number:06d}",
            )
            offer["delivery"]["handlingTime"] = rnd.choice(_HANDLING)
            offer["_sold"] = rnd.randint(0, 30) if status != "INACTIVE" else 0
            out[offer_id] = offer
    return out


def public(offer: dict[str, Any]) -> dict[str, Any]:
    """The offer as sent: without the emulator's bookkeeping keys."""
    return {k: v for k, v in offer.items() if not k.startswith("_")}


def listing(offer: dict[str, Any]) -> dict[str, Any]:
    """The offer as GET /sale/offers lists it (OfferListingDto)."""
    publication = offer.get("publication") or {}
    out: dict[str, Any] = {
        "id": offer["id"],
        "name": offer.get("name", ""),
        "category": {"id": (offer.get("category") or {}).get("id", "")},
        "primaryImage": {"url": f"https://a.allegroimg.com/original/{offer['id']}.jpg"},
        "sellingMode": {"format": (offer.get("sellingMode") or {}).get("format", "BUY_NOW"),
                        "price": copy.deepcopy((offer.get("sellingMode") or {}).get("price"))},
        "saleInfo": {"biddersCount": 0},
        "stock": {"available": (offer.get("stock") or {}).get("available", 0),
                  "sold": offer.get("_sold", 0)},
        "stats": {"watchersCount": 0, "visitsCount": 0},
        "publication": {"status": publication.get("status", "INACTIVE"),
                        "marketplaces": {"base": {"id": "allegro-pl"}, "additional": []}},
        "external": copy.deepcopy(offer.get("external")),
        "b2b": {"buyableOnlyByBusiness": False},
        "isFulfillment": False,
    }
    if out["sellingMode"]["price"] is None:
        del out["sellingMode"]["price"]
    if out["external"] is None:
        del out["external"]
    if publication.get("startingAt"):
        out["publication"]["startingAt"] = publication["startingAt"]
    return out


def parts(offer: dict[str, Any], include: list[str]) -> dict[str, Any]:
    """GET /sale/product-offers/{offerId}/parts (SalePartialProductOfferResponse)."""
    out: dict[str, Any] = {"id": offer["id"]}
    if "stock" in include:
        out["stock"] = {"available": (offer.get("stock") or {}).get("available", 0)}
    if "price" in include:
        price = (offer.get("sellingMode") or {}).get("price")
        out["sellingMode"] = {"price": copy.deepcopy(price)} if price else {}
    return out


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge ``patch`` into ``target`` the way PATCH does: objects merge, the rest replaces."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
