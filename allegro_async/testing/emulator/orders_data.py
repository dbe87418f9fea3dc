"""The emulator's order book for one seller: compact per-order arrays and an event journal.

Nothing is kept per order as a dict or JSON: a seller with 100 000 orders and 1 000 000 events
costs a few tens of MB of ``array``s. A checkout form's JSON is rebuilt from the arrays and a
per-order seeded ``random.Random`` when a page asks for it.
"""

from __future__ import annotations

import functools
import itertools
import random
import warnings
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

DAY = 86_400.0

FORM_STATUSES = ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "CANCELLED")
BOUGHT, FILLED_IN, READY, CANCELLED = range(4)
FULFILLMENT_STATUSES = (
    "NEW", "PROCESSING", "READY_FOR_SHIPMENT", "READY_FOR_PICKUP", "SENT", "PICKED_UP",
    "CANCELLED", "SUSPENDED", "RETURNED",
)
F_NEW, F_SENT, F_CANCELLED = 0, 4, 6
LINE_ITEMS_SENT = ("NONE", "SOME", "ALL")
EVENT_TYPES = (
    "BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "BUYER_CANCELLED",
    "FULFILLMENT_STATUS_CHANGED", "BUYER_MODIFIED", "AUTO_CANCELLED",
)
E_BOUGHT, E_FILLED_IN, E_READY, E_CANCELLED, E_FULFILLMENT, E_MODIFIED, E_AUTO_CANCELLED = range(7)
MARKETPLACES = ("allegro-pl", "allegro-cz", "allegro-sk", "allegro-hu")
CARRIERS = (
    ("ALLEGRO", "Allegro"), ("INPOST", "InPost"), ("DPD", "DPD"), ("DHL", "DHL"),
    ("POCZTA_POLSKA", "Poczta Polska"), ("UPS", "UPS"), ("GLS", "GLS"), ("FEDEX", "FedEx"),
    ("OTHER", "Other"),
)
PAYMENT_TYPES = ("ONLINE", "ONLINE", "ONLINE", "CASH_ON_DELIVERY", "WIRE_TRANSFER")
DELIVERY_METHODS = (
    ("2488f7b7-5d1c-4d65-b85c-4cbcf253fd93", "Allegro Paczkomaty InPost"),
    ("b20ef9e1-faa2-4f25-9032-adbea23e5cb9", "Allegro One Box"),
    ("845efe05-0c96-47b8-a1ff-9a6a1d6e6a29", "Kurier DPD"),
)


_SERIALS = itertools.count()


_MIX_START = 0x9E3779B97F4A7C15


def mix(*parts: int) -> int:
    """A cheap deterministic 64-bit hash of integers (splitmix64 steps)."""
    return mix_from(_MIX_START, *parts)


def mix_from(state: int, *parts: int) -> int:
    """:func:`mix` continued from a state it returned: ``mix(a, b, c) == mix_from(mix(a, b),
    c)``, so a hash whose leading parts repeat (prefix, seller) can start from them."""
    value = state
    for part in parts:
        value = (value ^ (part & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        value ^= value >> 31
        value = value * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        value ^= value >> 29
    return value


@functools.lru_cache(maxsize=256)
def _id_start(prefix: int, seller: int) -> tuple[int, str]:
    # The hash state after (prefix, seller) and the id's fixed head: every id of a book
    # shares them, and ids are made for every event a page serves.
    return mix(prefix, seller), f"{prefix:08x}-{seller:04x}-4"


def _check(prefix: int, seller: int, index: int) -> int:
    """A 24-bit check value so an id cannot be made up from its index alone."""
    return mix_from(_id_start(prefix, seller)[0], index) & 0xFFFFFF


def make_id(prefix: int, seller: int, index: int) -> str:
    """A UUID-shaped id that encodes (seller, index), verifiable with :func:`parse_id`."""
    state, head = _id_start(prefix, seller)
    check = mix_from(state, index) & 0xFFFFFF
    if index < 1 << 24:  # the usual case: the middle groups are constant
        return "%s000-8000-%06x%06x" % (head, index, check)  # noqa: UP031 (faster here)
    return "%s%03x-%04x-%06x%06x" % (  # noqa: UP031
        head, (index >> 36) & 0xFFF, 0x8000 | ((index >> 24) & 0xFFF), index & 0xFFFFFF, check)


def parse_id(prefix: int, text: str) -> tuple[int, int] | None:
    """(seller, index) encoded in an id made by :func:`make_id`, or ``None``."""
    parts = text.lower().split("-")
    if len(parts) != 5 or len(parts[4]) != 12:
        return None
    try:
        if int(parts[0], 16) != prefix:
            return None
        seller = int(parts[1], 16)
        index = (
            (int(parts[2][1:], 16) << 36) | ((int(parts[3], 16) & 0xFFF) << 24)
            | int(parts[4][:6], 16)
        )
        check = int(parts[4][6:], 16)
    except ValueError:
        return None
    return (seller, index) if check == _check(prefix, seller, index) else None


@dataclass(frozen=True)
class Shipment:
    """A waybill added to a checkout form."""

    id: str
    waybill: str
    carrier_id: str
    carrier_name: str | None
    line_item_ids: tuple[str, ...]
    created_at: float


class OrderBook:
    """One seller's orders and event journal, all in compact arrays.

    Orders are appended in ``boughtAt`` order (history first, then live orders at the
    emulated "now"), so ``bought`` is sorted and ranges on it are bisections.
    """

    def __init__(self, *, seed: int, seller: int, event_base: int) -> None:
        self.seed = seed
        self.seller = seller
        self.form_prefix = (mix(seed, 1) & 0x0FFFFFFF) | 0x10000000
        self.payment_prefix = (mix(seed, 2) & 0x0FFFFFFF) | 0x20000000
        self.item_prefix = (mix(seed, 3) & 0x0FFFFFFF) | 0x30000000
        #: ``mix(seed, seller)``: the views hash (seed, seller, ...) per item, form and buyer,
        #: so they continue from here with :func:`mix_from`.
        self.hash_start = mix(seed, seller)
        # Milliseconds since the epoch, as Allegro's timestamps carry them: filters compare
        # exactly what clients see.
        self.bought = array("q")
        self.updated = array("q")
        self.status = bytearray()
        self.fstatus = bytearray()
        self.sent = bytearray()
        self.revision = array("i")
        self.payment = array("i")
        self.buyer = array("i")
        self.market = bytearray()
        self.items = bytearray()  # line items of its own (a combined form adds its sources')
        self.gone = bytearray()  # 1 once combined into another form (S12)
        self.combined_from: dict[int, list[int]] = {}
        self.combined_into: dict[int, int] = {}
        self.shipments: dict[int, list[Shipment]] = {}
        # The journal: position k has id event_base + k.
        self.event_base = event_base
        self.ev_order = array("i")
        self.ev_type = bytearray()
        self.ev_time = array("d")
        self.version = 0  # bumped on every change; listing caches key on it
        # Caches key on this, never on id(): CPython reuses the id of a freed book, and a new
        # emulator's book would then hit an old one's entries.
        self.serial = next(_SERIALS)
        self._payments = 0

    # -- building ---------------------------------------------------------------------------
    def add_order(self, at: float, rng: random.Random, *, payment: int | None = None,
                  buyer: int | None = None) -> int:
        """Append an order bought at ``at``; returns its index. A combined order (S12) passes
        the payment and buyer of the orders it replaces."""
        index = len(self.bought)
        self.bought.append(round(at * 1000))
        self.updated.append(round(at * 1000))
        self.status.append(BOUGHT)
        self.fstatus.append(F_NEW)
        self.sent.append(0)
        self.revision.append(1)
        if payment is None:
            payment = self._payments
            self._payments += 1
        self.payment.append(payment)
        self.buyer.append(rng.randrange(500) if buyer is None else buyer)
        self.market.append(0 if rng.random() < 0.85 else rng.randrange(1, len(MARKETPLACES)))
        self.items.append(rng.choice((1, 1, 1, 2, 3)))
        self.gone.append(0)
        self.version += 1
        return index

    def add_event(self, order: int, kind: int, at: float) -> int:
        """Append an event to the journal; returns its position."""
        self.ev_order.append(order)
        self.ev_type.append(kind)
        self.ev_time.append(at)
        return len(self.ev_order) - 1

    def touch(self, order: int, at: float) -> None:
        """A change to a form: new revision and updatedAt."""
        self.revision[order] += 1
        self.updated[order] = max(round(at * 1000), self.updated[order])
        self.version += 1

    # -- ids --------------------------------------------------------------------------------
    def form_id(self, index: int) -> str:
        """The checkout form id of an order (unique, S15)."""
        return make_id(self.form_prefix, self.seller, index)

    def form_index(self, form_id: str) -> int | None:
        """The order index behind a checkout form id of this seller."""
        found = parse_id(self.form_prefix, form_id)
        if found is None or found[0] != self.seller or found[1] >= len(self.bought):
            return None
        return found[1]

    def payment_id(self, index: int) -> str:
        """The payment id of an order (shared by combined orders, S12)."""
        return make_id(self.payment_prefix, self.seller, self.payment[index])

    def payment_number(self, payment_id: str) -> int | None:
        """The payment number behind a payment id."""
        found = parse_id(self.payment_prefix, payment_id)
        return None if found is None or found[0] != self.seller else found[1]

    def line_item_ids(self, index: int) -> list[tuple[str, int]]:
        """(line item id, owning order) for every line item of a form, combined ones first."""
        out = []
        for source in [*self.combined_from.get(index, []), index]:
            for k in range(self.items[source]):
                out.append((make_id(self.item_prefix, self.seller, source * 4 + k), source))
        return out

    def revision_tag(self, index: int) -> str:
        """The revision string of a form (changes on every change, S13)."""
        return f"{mix(self.form_prefix, index, self.revision[index]) & 0xFFFFFFFF:08x}"

    def event_id(self, position: int) -> str:
        """The public id of the journal entry at ``position``."""
        return str(self.event_base + position)

    def event_position(self, event_id: str) -> int | None:
        """Position of an event id in this journal."""
        try:
            position = int(event_id) - self.event_base
        except ValueError:
            return None
        return position if 0 <= position < len(self.ev_order) else None

    # -- queries ----------------------------------------------------------------------------
    def iter_events(self, start: int, oldest: float) -> Iterator[int]:
        """Journal positions from ``start`` on, skipping events past retention."""
        for position in range(start, len(self.ev_order)):
            if self.ev_time[position] >= oldest:
                yield position



def generate(book: OrderBook, *, orders: int, events: int | None, history_days: float,
             now: float, rates: dict[str, float]) -> None:
    """Fill ``book`` with ``orders`` orders over the last ``history_days`` and their events,
    padded with later events up to ``events`` when given (a ``RuntimeWarning`` says so when
    they cannot all lie in the past). Deterministic from the book's seed.
    """
    rng = random.Random(f"orders-{book.seed}-{book.seller}")
    span = history_days * DAY
    start = now - span
    pending_dups: list[int] = []
    index = 0
    while index < orders:
        at = start + (index + rng.random() * 0.9) * span / max(orders, 1)
        i = book.add_order(at, rng)
        roll = rng.random()
        if roll < rates["lone_ready"]:
            # S9: a lone READY_FOR_PROCESSING is all some orders ever show.
            book.status[i] = READY
            book.add_event(i, E_READY, at + 1)
        elif roll < rates["lone_ready"] + rates["combine"] and index + 1 < orders:
            # S12: the buyer combines this one with a later purchase into one payment.
            book.add_event(i, E_BOUGHT, at)
            book.add_event(i, E_FILLED_IN, at + 30)
            book.status[i] = FILLED_IN
            later = at + 0.5 * span / max(orders, 1)
            j = book.add_order(later, rng, payment=book.payment[i], buyer=book.buyer[i])
            index += 1
            book.gone[i] = 1
            book.combined_from[j] = [i]
            book.combined_into[i] = j
            book.status[j] = READY
            for kind, delay in ((E_BOUGHT, 0.0), (E_FILLED_IN, 20.0), (E_READY, 40.0)):
                book.add_event(j, kind, later + delay)
        else:
            kinds = [(E_BOUGHT, 0.0), (E_FILLED_IN, 30.0), (E_READY, 60.0)]
            if rng.random() < rates["reorder"]:
                kinds[0], kinds[1] = kinds[1], kinds[0]  # S11: FILLED_IN before BOUGHT
            for kind, delay in kinds:
                position = book.add_event(i, kind, at + delay)
                if rng.random() < rates["duplicate"]:
                    pending_dups.append(position)
            book.status[i] = READY
            if rng.random() < rates["cancel"]:
                book.status[i] = CANCELLED
                book.fstatus[i] = F_CANCELLED
                book.add_event(i, E_CANCELLED, at + 300)
                book.touch(i, at + 300)
            elif index < orders // 2 and rng.random() < 0.7:
                book.fstatus[i] = F_SENT
                book.sent[i] = 2
                book.add_event(i, E_FULFILLMENT, at + 3600)
                book.touch(i, at + 3600)
        # A: duplicates carry a new id and the same data; they trail their original a little.
        while pending_dups and rng.random() < 0.5:
            original = pending_dups.pop(0)
            book.add_event(book.ev_order[original], book.ev_type[original],
                           book.ev_time[original])
        index += 1
    for original in pending_dups:
        book.add_event(book.ev_order[original], book.ev_type[original], book.ev_time[original])
    n = len(book.bought)
    step = added = 0
    while events is not None and n and len(book.ev_order) < events:
        i = step % n
        if i == 0 and step:
            # Each pass puts events a minute later than the last: once a whole pass adds none
            # (all would lie in the future), no later pass can, so stop instead of spinning.
            if not added:
                warnings.warn(
                    f"orders emulator: only {len(book.ev_order)} of {events} events fit in "
                    f"{history_days} days of history for {n} orders; raise history_days or "
                    "orders_per_seller", RuntimeWarning, stacklevel=2)
                break
            added = 0
        step += 1
        if book.gone[i]:
            continue
        kind = E_MODIFIED if step % 3 else E_FULFILLMENT
        at = book.bought[i] / 1000 + 600 + (step // n) * 60
        if at >= now:
            continue  # no events from the future
        added += 1
        position = book.add_event(i, kind, at)
        if step % 17 == 0:
            book.add_event(i, kind, book.ev_time[position])  # duplicate, new id
