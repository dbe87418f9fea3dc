"""A multi-seller FastAPI backend on allegro-async: one AllegroApp per process (lifespan), a
seller dependency, orders listing, bulk price changes, a background order-event consumer per
seller, and onboarding (authorization code with PKCE). Walked through in docs/fastapi.md.

Run it (configuration from the environment, see AllegroApp.from_env)::

    export ALLEGRO_CLIENT_ID=... ALLEGRO_CLIENT_SECRET=... ALLEGRO_TOKEN_FILE=tokens.json
    export ALLEGRO_REDIRECT_URI=http://127.0.0.1:8000/allegro/callback
    uvicorn main:app --app-dir examples/fastapi_app

``EXAMPLE_DATA_DIR`` (default ``./data``) holds the cursors and the handled-events record;
``EXAMPLE_EVENTS_START`` (``now`` or ``beginning``) and ``EXAMPLE_EVENTS_PAGE_SIZE`` set where
a new seller's stream starts and how many events a page holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

from allegro_async.cursors import FileCursorStore
from allegro_async.fastapi import (
    ConsumersState,
    SellerClient,
    allegro_lifespan,
    install_error_handlers,
    onboarding_router,
)
from allegro_async.services.events import EventDelivery

DATA = Path(os.environ.get("EXAMPLE_DATA_DIR", "data"))


class EventRecord:
    """The event handler: records each order event once, as one JSON line per event.

    The stream commits an event's cursor right after this returns; a process killed between
    the two gets that one event again on restart. Each line is one ``write()`` to a file
    opened for appending, so it is either all there or absent, and the ids already recorded
    are skipped: every event is recorded exactly once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[tuple[str, str]] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    item = json.loads(line)
                except ValueError:
                    continue  # cannot happen with one write() per line; kept for safety
                self.done.add((item["seller"], item["id"]))
        self.skipped = 0
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    async def __call__(self, seller_id: str, delivery: EventDelivery) -> None:
        if (seller_id, delivery.id) in self.done:
            self.skipped += 1  # delivered again after a crash: already recorded
            return
        line = json.dumps({"seller": seller_id, "id": delivery.id,
                           "type": delivery.raw.get("type"),
                           "form": delivery.checkout_form_id}) + "\n"
        os.write(self._fd, line.encode())
        self.done.add((seller_id, delivery.id))

    def close(self) -> None:
        """Close the record file."""
        os.close(self._fd)


DATA.mkdir(parents=True, exist_ok=True)
(DATA / "cursors").mkdir(exist_ok=True)
record = EventRecord(DATA / "events.jsonl")


@asynccontextmanager
async def closing_record(_: FastAPI) -> AsyncIterator[None]:
    """The app's own lifespan, run inside the library's: closes the record at shutdown."""
    try:
        yield
    finally:
        record.close()


app = FastAPI(
    title="allegro-async example backend",
    lifespan=allegro_lifespan(
        events=record,
        cursor_stores=lambda seller_id: FileCursorStore(DATA / "cursors" / seller_id),
        start=os.environ.get("EXAMPLE_EVENTS_START", "now"),
        page_size=int(os.environ.get("EXAMPLE_EVENTS_PAGE_SIZE", "1000")),
        then=closing_record,
    ),
)
install_error_handlers(app)
app.include_router(onboarding_router())


@app.get("/sellers/{seller_id}/orders")
async def orders(seller: SellerClient, limit: int = Query(20, ge=1, le=100),
                 offset: int = Query(0, ge=0, le=9_900)) -> dict[str, Any]:
    """One page of the seller's orders (A9: offset + limit stays within 10 000)."""
    page = await seller.request("GET", "/order/checkout-forms",
                                params={"limit": limit, "offset": offset})
    forms = page.get("checkoutForms", [])
    return {"total": page.get("totalCount"),
            "orders": [{"id": f["id"], "status": f.get("status")} for f in forms]}


@app.get("/sellers/{seller_id}/offers")
async def offers(seller: SellerClient,
                 limit: int = Query(100, ge=1, le=5_000)) -> dict[str, list[str]]:
    """Ids of the seller's active offers."""
    ids = [offer.id async for offer in seller.offers.list(
        max_items=limit, publication_status="ACTIVE")]
    return {"offer_ids": ids}


class PriceChange(BaseModel):
    """``{"prices": {"<offer id>": "19.99", ...}}``: a new buy-now price per offer."""

    prices: dict[str, str] = Field(min_length=1)
    currency: str = "PLN"


@app.post("/sellers/{seller_id}/prices")
async def change_prices(seller: SellerClient, change: PriceChange) -> dict[str, Any]:
    """Set many offers' prices with price-change commands (S20: <= 1000 offers each). The
    answer says which offers changed, which did not (safe to send again) and which are
    unknown (resolve before sending a relative change again)."""
    result = await seller.offers.change_prices(change.prices, currency=change.currency)
    return {"succeeded": len(result.succeeded), "failed": result.failed,
            "unknown": result.unknown, "commands": result.command_ids}


@app.get("/consumers")
async def consumers(group: ConsumersState) -> dict[str, Any]:
    """The event consumers' metrics, and what the record did."""
    return {
        "sellers": {s: m.as_dict() for s, m in group.metrics().items()},
        "recorded": len(record.done), "skipped_as_already_recorded": record.skipped,
    }


@app.get("/health")
async def health(group: ConsumersState) -> dict[str, Any]:
    """Ready once the consumers run."""
    return {"ok": True, "consumers": group.running()}
