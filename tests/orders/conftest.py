"""Fixtures for the orders tests: small emulators, a fake sleep, spec schema validators."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from allegro_async import AllegroClient
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.orders import OrdersConfig

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "allegro-openapi.yaml"
_SPEC_CACHE = Path("/tmp/allegro-async-orders-spec.pickle")
_spec: dict[str, Any] | None = None
T = TypeVar("T")


def load_spec() -> dict[str, Any]:
    """The main spec, parsed once per test session (and cached beside /tmp between runs)."""
    global _spec
    if _spec is None:
        path = SPEC
        if not path.exists():
            pytest.skip(f"Allegro's OpenAPI spec is not at {path} (it lives in ../shared/spec)")
        if _SPEC_CACHE.exists() and _SPEC_CACHE.stat().st_mtime >= path.stat().st_mtime:
            _spec = pickle.loads(_SPEC_CACHE.read_bytes())
        else:
            import yaml

            with path.open(encoding="utf-8") as handle:
                _spec = yaml.load(handle, Loader=yaml.CSafeLoader)
            _SPEC_CACHE.write_bytes(pickle.dumps(_spec))
    return _spec


def schema_errors(name: str, data: Any) -> list[str]:
    """Violations of ``data`` against the spec's component schema ``name``."""
    from openapi_schema_validator import OAS30Validator

    spec = load_spec()
    validator = OAS30Validator({"$ref": f"#/components/schemas/{name}",
                                "components": spec["components"]})
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


class FakeSleep:
    """An injected sleep that only records: streams poll and back off without waiting."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.calls: list[float] = []
        self.on_sleep = on_sleep

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.calls))


async def first_of(items: AsyncIterable[T]) -> T:
    """The first item of an async iterable."""
    async for item in items:
        return item
    raise AssertionError("the iterable was empty")


def small_emulator(**orders: Any) -> Emulator:
    """An emulator whose orders area is configured by keywords."""
    return Emulator(EmulatorConfig(orders=OrdersConfig(**orders)))


@pytest.fixture
def orders_emulator() -> Emulator:
    """Default-sized orders (200 per seller)."""
    return small_emulator()


@pytest.fixture
async def oclient(orders_emulator: Emulator) -> AsyncIterator[AllegroClient]:
    """A client for seller 0 of ``orders_emulator``, retries off so tests see each answer."""
    async with orders_emulator.client(0, retry=False) as c:
        yield c
