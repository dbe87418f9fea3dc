"""An emulator, a client on its time, and real ids from it, for the argument-layer tests."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from allegro_async import AllegroClient
from allegro_async.models.events import OrderEvent
from allegro_async.models.variants import VariantSet
from allegro_async.services.offers import DRAFT_COPY_DROPS
from allegro_async.testing import Emulator
from allegro_async.throttle import Throttle


def advancing_sleep(emulator: Emulator) -> Callable[[float], Awaitable[None]]:
    """A sleep that jumps emulated time instead of waiting."""

    async def sleep(seconds: float) -> None:
        emulator.clock.advance(seconds)

    return sleep


def fast_client(emulator: Emulator) -> AllegroClient:
    """A client for the first seller whose throttle and offer waits run on emulated time."""
    sleep = advancing_sleep(emulator)
    client = emulator.client(0, throttle=Throttle(clock=emulator.clock.monotonic, sleep=sleep))
    client.offers.sleep = sleep
    return client


@dataclass
class World:
    """The emulator and ids of things it holds for seller 0."""

    emulator: Emulator
    active: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    revision: str = ""
    line_items: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    rates: list[str] = field(default_factory=list)
    rates_body: dict[str, Any] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)
    variant_set: VariantSet | None = None
    events: list[OrderEvent] = field(default_factory=list)
    draft_body: dict[str, Any] = field(default_factory=dict)
    seller_id: str = ""


async def _explore(world: World) -> None:
    async with fast_client(world.emulator) as client:
        offers = [o async for o in client.offers.list(page_size=100)]
        world.active = [o.id for o in offers if o.publication and
                        o.publication.status == "ACTIVE"][:6]
        world.drafts = [o.id for o in offers if o.publication and
                        o.publication.status == "INACTIVE"][:3]
        forms = []
        async for form in client.orders.list(page_size=5):
            forms.append(form)
            if len(forms) == 3:
                break
        world.forms = [f.id for f in forms]
        world.revision = forms[0].revision or ""
        world.line_items = [i.id for i in forms[0].line_items]
        world.products = [p.id for p in (await client.products.search_page("laptop")).products]
        rates = await client.shipping_rates.list()
        world.rates = [r.id for r in rates if r.id][:2]
        body = (await client.shipping_rates.get(world.rates[0])).to_api()
        for key in ("id", "lastModified", "features"):
            body.pop(key, None)
        world.rates_body = {**body, "name": "Parcels PL 2"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            # A second set of the seller's, so that moves between sets can be driven.
            spare = [world.emulator.catalogue.add_offer(0).id for _ in range(2)]
            await client.offer_variants.create("Boots of seller-1", spare, ["4938"])
            world.sets = [s.id async for s in client.offer_variants.list()]
            world.variant_set = await client.offer_variants.get(world.sets[0])
        async with client.orders.events(start="beginning", follow=False) as stream:
            async for delivery in stream:
                world.events.append(delivery.event)
                if len(world.events) == 3:
                    break
        raw = await client.offers.get_raw(world.drafts[0])
        world.draft_body = {k: v for k, v in raw.items() if k not in DRAFT_COPY_DROPS}
        world.seller_id = (await client.user.me()).id


def make_world() -> World:
    """A fresh emulator and what seller 0 holds in it."""
    world = World(Emulator())
    anyio.run(_explore, world)
    return world


@pytest.fixture
def emulator() -> Emulator:
    """A fresh emulator (each test counts its requests from zero)."""
    return Emulator()


@pytest.fixture
async def client(emulator: Emulator) -> Any:
    """A client for the emulator's first seller, on emulated time."""
    async with fast_client(emulator) as c:
        yield c
