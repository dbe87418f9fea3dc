"""EAN/GTIN normalisation before a GTIN search (S21): property tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegro_async.errors import InvalidArgumentError
from allegro_async.services.products import normalize_ean
from allegro_async.testing.emulator.catalogue_products import gtin_check_digit

digits = st.sampled_from([8, 12, 13, 14]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)


@given(digits, st.lists(st.sampled_from([" ", "-"]), max_size=3), st.data())
def test_separators_are_dropped(ean: str, seps: list[str], data: st.DataObject) -> None:
    text = ean
    for sep in seps:
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + sep + text[at:]
    assert normalize_ean(text) == ean


@given(st.text(max_size=20))
def test_anything_else_is_refused_or_kept_as_digits(text: str) -> None:
    try:
        out = normalize_ean(text)
    except InvalidArgumentError as exc:
        assert exc.field == "ean"
    else:
        assert set(out) <= set("0123456789") and len(out) in (8, 12, 13, 14)


def test_check_digit_matches_a_known_ean() -> None:
    assert gtin_check_digit("400638133393") == "1"  # 4006381333931


def test_unicode_digits_are_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        normalize_ean("\u0660" * 13)  # Arabic-Indic digits: str.isdigit() would say yes


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        normalize_ean(5901234123457)  # type: ignore[arg-type]
