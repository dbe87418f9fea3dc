"""Demo step: any operation of Allegro's spec, typed (the generated layer under the services)."""

from __future__ import annotations

from allegro_async.demo.context import DemoContext


async def run(ctx: DemoContext) -> None:
    """Call generated operations: a typed page, raw access, a walk, and the index."""
    from allegro_async.api import OPERATIONS

    ctx.heading("Any operation: the typed layer generated from Allegro's spec")
    async with ctx.client(0) as client:
        api = client.api
        raw = await api.order_management.with_raw_response.get_list_of_orders(limit=5)
        page = raw.parse()
        ctx.say(f"{len(OPERATIONS)} operations have a typed method; "
                f"order_management.get_list_of_orders gave a {type(page).__name__} of "
                f"{len(page.checkout_forms)} forms (status {raw.status_code}, "
                f"trace-id {raw.trace_id})")
        walked = 0
        async for _form in api.order_management.iter_get_list_of_orders(limit=100):
            walked += 1
        ctx.note(f"iter_get_list_of_orders walked all {walked} forms, 100 to a page")
        operation = OPERATIONS["meGET"]  # the index: operationId -> method, path, name, model
        me = await api.information_about_user.me()
        ctx.note(f"{operation.method} {operation.path} is {operation.name}() -> "
                 f"{operation.response_model}: {me.login}")
    ctx.record("api: typed operations", len(OPERATIONS))
