"""Cold start: in a fresh process, the time to the first parsed page of
``client.api.order_management.get_list_of_orders(limit=100)``, against raw httpx +
``json.loads`` + ``model_validate`` of a hand-written model of the same page.

Both sides answer from the same canned page of 100 checkout forms (an ``httpx.MockTransport``,
so no server start or network is timed), and each child process times itself from before its
first import to the parsed page (interpreter start-up excluded, the same for both).

Both sides read cached bytecode, as a package installed by pip does (pip compiles it at
install time): the children run with ``PYTHONDONTWRITEBYTECODE`` removed and
``PYTHONPYCACHEPREFIX`` set to a temporary folder, which the discarded first run of each side
fills. So a checkout, or a shell that sets ``PYTHONDONTWRITEBYTECODE=1``, does not time the
compiler, and the source tree is not littered with ``__pycache__``.

Sides alternate, ``RUNS`` of each after that discarded run; medians count, ``ratio`` (goal
<= 1.5) being the median of each pair's ratio. Keys: ``client_s``, ``baseline_s``, ``ratio``,
and the client's phases (medians): ``import_s`` (``import allegro_async``), ``area_s`` (the
first area, ``client.api.order_management``), ``first_call_s`` (the call, its validators
built on first use), ``operations_s`` (loading the ``OPERATIONS`` index, in a process of its
own) and ``api_modules`` (generated modules the call loaded). Exits 1 when the goal is missed.
Run: python benchmarks/cold_start.py [--json].
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, child_env, parse_args, report

RUNS = 7
GOAL = 1.5

CLIENT = """
import time
t0 = time.perf_counter()
import allegro_async
t1 = time.perf_counter()
import sys
import anyio
import httpx

body = open(sys.argv[1], "rb").read()
media = "application/vnd.allegro.public.v1+json"


def answer(request):
    return httpx.Response(200, content=body, headers={"content-type": media})


async def main():
    transport = httpx.MockTransport(answer)
    async with allegro_async.AllegroClient(access_token="t", transport=transport) as client:
        t2 = time.perf_counter()
        area = client.api.order_management
        t3 = time.perf_counter()
        page = await area.get_list_of_orders(limit=100)
        t4 = time.perf_counter()
    assert len(page.checkout_forms) == 100
    n = len([m for m in sys.modules if m.startswith("allegro_async.api.")
             and not m.split(".")[2].startswith("_") and m != "allegro_async.api.models"])
    print(t4 - t0, t1 - t0, t3 - t2, t4 - t3, n)


anyio.run(main)
"""

BASELINE = """
import time
t0 = time.perf_counter()
import asyncio
import json
import sys

import httpx
from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Price(Model):
    amount: str
    currency: str


class Address(Model):
    street: str | None = None
    city: str | None = None
    post_code: str | None = Field(None, alias="postCode")
    zip_code: str | None = Field(None, alias="zipCode")
    country_code: str | None = Field(None, alias="countryCode")
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    phone_number: str | None = Field(None, alias="phoneNumber")


class Buyer(Model):
    id: str
    email: str
    login: str
    guest: bool
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    phone_number: str | None = Field(None, alias="phoneNumber")
    address: Address | None = None


class Payment(Model):
    id: str
    type: str
    provider: str | None = None
    finished_at: str | None = Field(None, alias="finishedAt")
    paid_amount: Price | None = Field(None, alias="paidAmount")


class Fulfillment(Model):
    status: str | None = None


class Named(Model):
    id: str
    name: str | None = None


class Delivery(Model):
    address: Address | None = None
    method: Named | None = None
    cost: Price | None = None
    smart: bool | None = None
    calculated_number_of_packages: int | None = Field(None, alias="calculatedNumberOfPackages")


class LineItem(Model):
    id: str
    offer: Named
    quantity: int
    original_price: Price = Field(alias="originalPrice")
    price: Price
    bought_at: str = Field(alias="boughtAt")


class Summary(Model):
    total_to_pay: Price = Field(alias="totalToPay")


class CheckoutForm(Model):
    id: str
    message_to_seller: str | None = Field(None, alias="messageToSeller")
    buyer: Buyer
    payment: Payment | None = None
    status: str
    fulfillment: Fulfillment | None = None
    delivery: Delivery | None = None
    line_items: list[LineItem] = Field(alias="lineItems")
    surcharges: list[Payment] = []
    marketplace: Named | None = None
    summary: Summary
    updated_at: str | None = Field(None, alias="updatedAt")
    revision: str | None = None


class CheckoutForms(Model):
    checkout_forms: list[CheckoutForm] = Field(alias="checkoutForms")
    count: int
    total_count: int = Field(alias="totalCount")


body = open(sys.argv[1], "rb").read()
media = "application/vnd.allegro.public.v1+json"


def answer(request):
    return httpx.Response(200, content=body, headers={"content-type": media})


async def main():
    transport = httpx.MockTransport(answer)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.allegro.pl",
                                 headers={"Authorization": "Bearer t", "Accept": media}) as http:
        response = await http.get("/order/checkout-forms", params={"limit": 100})
        page = CheckoutForms.model_validate(json.loads(response.content))
    assert len(page.checkout_forms) == 100
    print(time.perf_counter() - t0)


asyncio.run(main())
"""

OPERATIONS = """
import time
t0 = time.perf_counter()
from allegro_async.api import OPERATIONS
assert OPERATIONS["getListOfOrdersUsingGET"].path == "/order/checkout-forms"
print(time.perf_counter() - t0)
"""


def page_bytes() -> bytes:
    """A page of 100 checkout forms, as the emulator answers it."""
    import anyio

    from allegro_async.testing import Emulator, EmulatorConfig
    from allegro_async.testing.emulator.limits import LimitsConfig

    async def read() -> bytes:
        emulator = Emulator(EmulatorConfig(limits=LimitsConfig(enabled=False)))
        async with emulator.client(0, throttle=False, retry=False) as client:
            raw = await client.request_raw("GET", "/order/checkout-forms",
                                           params={"limit": 100})
            return raw.http_response.content

    return anyio.run(read)


ENV: dict[str, str] = {}


def child(code: str, *args: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, check=True,
                         capture_output=True, text=True, env=ENV).stdout
    return [float(x) for x in out.split()]


def main() -> None:
    args = parse_args(__doc__)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.json"
        page.write_bytes(page_bytes())
        ENV.update(child_env(Path(tmp) / "pycache"))
        child(CLIENT, str(page))  # discarded: writes the bytecode, warms the disk cache
        child(BASELINE, str(page))
        child(OPERATIONS)
        client_runs: list[list[float]] = []
        baseline_runs: list[float] = []
        operations_runs: list[float] = []
        for i in range(RUNS):
            if i % 2:
                baseline_runs.append(child(BASELINE, str(page))[0])
                client_runs.append(child(CLIENT, str(page)))
            else:
                client_runs.append(child(CLIENT, str(page)))
                baseline_runs.append(child(BASELINE, str(page))[0])
            operations_runs.append(child(OPERATIONS)[0])

    def median(index: int) -> float:
        return statistics.median(run[index] for run in client_runs)

    result = {
        "client_s": median(0), "baseline_s": statistics.median(baseline_runs),
        "import_s": median(1), "area_s": median(2), "first_call_s": median(3),
        "operations_s": statistics.median(operations_runs),
        "api_modules": int(max(run[4] for run in client_runs)),
    }
    # the median of each pair's ratio: load drifting between pairs cancels out
    result["ratio"] = statistics.median(
        run[0] / base for run, base in zip(client_runs, baseline_runs, strict=True))
    report("cold start: first parsed get_list_of_orders page vs httpx + json + pydantic",
           result, args.json, {"ratio": f"<= {GOAL}"})
    sys.exit(0 if result["ratio"] <= GOAL else 1)


if __name__ == "__main__":
    main()
