"""A fresh process's first typed call loads what that call needs, and no more: what an
argument it was not given, a body it does not send or a feature it does not use would need
is loaded when first used (the cold start, see ``benchmarks/cold_start.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from allegro_async import AllegroClient, InvalidArgumentError

_FIRST_CALL = (
    "import sys, anyio, httpx, allegro_async\n"
    "body = {'checkoutForms': [], 'count': 0, 'totalCount': 0}\n"
    "answer = lambda request: httpx.Response(200, json=body)\n"
    "async def main():\n"
    "    async with allegro_async.AllegroClient(\n"
    "            access_token='t', transport=httpx.MockTransport(answer)) as client:\n"
    "        await client.api.order_management.get_list_of_orders(ARGS)\n"
    "anyio.run(main)\n"
    "print(' '.join(sorted(m for m in MODULES if m in sys.modules)))\n"
)


def _loaded_by_first_call(args: str, modules: tuple[str, ...]) -> list[str]:
    code = _FIRST_CALL.replace("ARGS", args).replace("MODULES", repr(modules))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    return out.stdout.split()


def test_a_call_given_no_enum_argument_loads_no_parameter_enum() -> None:
    assert _loaded_by_first_call("limit=1", ("allegro_async.api._enums",)) == []


def test_the_parameter_enums_load_with_the_first_enum_argument() -> None:
    loaded = _loaded_by_first_call("limit=1, sort='-updatedAt'", ("allegro_async.api._enums",))
    assert loaded == ["allegro_async.api._enums"]


async def test_an_enum_argument_is_checked_and_sent_as_its_value() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"checkoutForms": [], "count": 0, "totalCount": 0})

    async with AllegroClient(access_token="t", transport=httpx.MockTransport(answer)) as client:
        await client.api.order_management.get_list_of_orders(sort="-updatedAt")
        with pytest.raises(InvalidArgumentError, match="sort") as info:
            await client.api.order_management.get_list_of_orders(sort="updated")  # type: ignore[arg-type]
    assert sent[0].url.params["sort"] == "-updatedAt"
    assert "-lineItems.boughtAt" in info.value.fix
    assert len(sent) == 1


def test_a_call_builds_the_models_of_its_own_operation_only() -> None:
    import importlib

    parts = _loaded_by_first_call("limit=1", _ORDER_PARTS)
    assert parts, "the answer's classes come from parts of order management"
    for name in parts:  # each part names the operations whose classes it defines
        assert "getListOfOrdersUsingGET" in (importlib.import_module(name).__doc__ or ""), name
    assert len(parts) < len(_ORDER_PARTS)  # e.g. parcel tracking's classes are not built


def test_a_model_defined_in_a_part_is_the_one_its_area_module_gives() -> None:
    import pickle

    from allegro_async.api import models, resolve_model
    from allegro_async.api.models import order_management

    cls = order_management.CheckoutForms
    # named after the public module, whichever part defines it: reprs, pickles and docs show
    # a path that does not move when the parts are cut differently
    assert cls.__module__ == "allegro_async.api.models.order_management"
    assert "_parts" not in repr(cls)
    assert models.CheckoutForms is cls
    assert resolve_model("order_management.CheckoutForms") is cls
    assert "CheckoutForms" in dir(order_management)
    page = cls.model_validate({"checkoutForms": [], "count": 0, "totalCount": 0})
    assert pickle.loads(pickle.dumps(page)) == page
    assert b"_parts" not in pickle.dumps(page)
    with pytest.raises(AttributeError, match="NoSuchModel"):
        order_management.NoSuchModel  # type: ignore[attr-defined]  # noqa: B018


_ORDER_PARTS = tuple(sorted(
    "allegro_async.api.models._parts." + path.stem
    for path in (Path(__file__).resolve().parents[2] / "allegro_async/api/models/_parts").glob(
        "order_management_*.py")))
