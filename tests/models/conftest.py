"""The spec as the generator reads it, once per session."""

from __future__ import annotations

import pytest

from tests.conftest import require_spec
from tools.apigen.spec import Spec, load


@pytest.fixture(scope="session")
def digest() -> Spec:
    """The spec digested as ``tools/apigen`` does (schema names as the classes spell them)."""
    return load(str(require_spec()))
