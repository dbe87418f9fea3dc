"""The spec, read once per session, for the tests of the generated layer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import require_spec

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """Allegro's OpenAPI spec as data (the test is skipped when the file is absent)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(require_spec().read_bytes(), Loader=loader)
    return data


def spec_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation in the spec."""
    return [
        (method.upper(), path, item[method])
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    ]
