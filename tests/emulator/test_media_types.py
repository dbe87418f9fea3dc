"""The committed per-operation media type table (A11) matches Allegro's specs."""

from __future__ import annotations

from allegro_async.testing.conformance import load_spec
from allegro_async.testing.emulator.media_types import (
    BETA,
    BOTH,
    MEDIA_TYPES,
    PUBLIC,
    accepted,
    derive,
)
from tests.conftest import LEGACY_SPEC, SPEC, require_spec


def test_table_matches_the_specs() -> None:
    derived = derive(load_spec(require_spec(SPEC)))
    derived.update(derive(load_spec(require_spec(LEGACY_SPEC)), legacy=True))
    assert derived == MEDIA_TYPES


def test_lookup() -> None:
    assert accepted("GET", "/me") == PUBLIC
    assert accepted("GET", "/sale/offer-variants") == BETA
    assert accepted("GET", "/sale/user-ratings") == BOTH
