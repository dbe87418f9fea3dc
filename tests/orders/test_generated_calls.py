"""The order services call the generated operations (which send through client.request_raw),
and still read and change the emulator's orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from allegro_async import AllegroClient
from allegro_async.testing import Emulator

from .conftest import first_of


def _count_calls(area: Any, counter: Counter[str]) -> None:
    """Wrap each public operation of an area (or its raw twin) so the test sees which ones
    were called; the call itself goes on unchanged."""
    names = {*vars(area), *(n for n in vars(type(area)) if callable(getattr(type(area), n)))}
    for name in sorted(n for n in names if not n.startswith("_") and n != "with_raw_response"):
        method = getattr(area, name)

        def wrap(method: Callable[..., Awaitable[Any]], name: str) -> Callable[..., Any]:
            async def call(*args: Any, **kwargs: Any) -> Any:
                counter[name] += 1
                return await method(*args, **kwargs)
            return call

        setattr(area, name, wrap(method, name))


async def test_orders_read_and_change_through_the_generated_operations(
    orders_emulator: Emulator, oclient: AllegroClient,
) -> None:
    calls: Counter[str] = Counter()
    _count_calls(oclient.api.order_management, calls)
    _count_calls(oclient.api.order_management.with_raw_response, calls)
    form = await first_of(oclient.orders.list(fulfillment_status="NEW"))
    got = await oclient.orders.get(form.id)
    await oclient.orders.set_fulfillment(form.id, "PROCESSING", revision=got.revision)
    await oclient.orders.carriers()
    await oclient.orders.add_shipment(form.id, "INPOST", "620000222")
    shipments = await oclient.orders.shipments(form.id)
    assert [s.waybill for s in shipments] == ["620000222"]
    assert (await oclient.orders.get(form.id)).fulfillment.status == "PROCESSING"  # type: ignore[union-attr]
    assert calls.pop("get_list_of_orders") >= 1  # the walk's pages
    assert calls == Counter(get_orders_details=2, set_order_fulfillment=1,
                            get_orders_carriers=1, create_order_shipments=1,
                            get_order_shipments=1)


async def test_the_event_stream_reads_pages_through_the_generated_operations(
    orders_emulator: Emulator, oclient: AllegroClient,
) -> None:
    calls: Counter[str] = Counter()
    _count_calls(oclient.api.order_management, calls)
    _count_calls(oclient.api.order_management.with_raw_response, calls)
    async with oclient.orders.events(start="now", follow=False) as stream:
        assert [d async for d in stream] == []
    assert calls["get_order_events_statistics"] == 1
    assert calls["get_order_events"] >= 1
    async with oclient.orders.events(start="beginning", follow=False, page_size=50) as stream:
        first = await stream.__anext__()
        assert first.event.id
    assert calls["get_order_events"] >= 2
