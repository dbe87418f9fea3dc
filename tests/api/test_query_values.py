"""``_args.query_value``: the one rule for query and header values of the generated calls."""

from __future__ import annotations

import datetime as _dt
import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegro_async import InvalidArgumentError
from allegro_async._args import query_value


class Colour(enum.Enum):
    RED = "red"


def test_booleans_are_lower_case_words() -> None:
    assert (query_value(True, "f"), query_value(False, "f")) == ("true", "false")


def test_enums_send_their_value() -> None:
    assert query_value(Colour.RED, "colour") == "red"


def test_ints_and_text_pass_unchanged_and_none_stays_out() -> None:
    assert query_value(5, "limit") == 5
    assert query_value("READY", "status") == "READY"
    assert query_value(None, "status") is None


def test_floats_only_where_the_spec_says_number() -> None:
    assert query_value(2.5, "price.from", number=True) == 2.5
    with pytest.raises(InvalidArgumentError, match="limit") as info:
        query_value(2.5, "limit")
    assert "int" in info.value.fix


@given(st.datetimes(timezones=st.timezones()))
def test_aware_datetimes_are_sent_in_utc_with_z(moment: _dt.datetime) -> None:
    text = query_value(moment, "updatedAt.gte")
    assert isinstance(text, str) and text.endswith("Z")
    back = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    # compared in UTC: an ambiguous local time (a DST fold) never equals a time in another
    # zone (PEP 495), though it is the same instant
    assert back == moment.astimezone(_dt.timezone.utc)


def test_naive_datetimes_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidArgumentError, match=r"updatedAt\.gte") as info:
        query_value(_dt.datetime(2024, 5, 1, 12), "updatedAt.gte")
    assert "timezone" in info.value.fix


def test_lists_are_converted_item_by_item() -> None:
    moment = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)
    assert query_value([True, Colour.RED, moment], "f") == ["true", "red", "2024-01-01T00:00:00Z"]


def test_other_types_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="filters"):
        query_value({"a": 1}, "filters")
