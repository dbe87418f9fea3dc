"""The duplicate-throttle warning comes once per Client ID, however many throttles are built:
a per-request pattern must not print it on every request."""

from __future__ import annotations

import re
import warnings

import pytest

from allegro_async.throttle import Throttle, duplicates
from allegro_async.throttle.duplicates import DuplicateThrottleWarning


@pytest.fixture(autouse=True)
def no_client_id_warned_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duplicates, "_warned", set(), raising=False)


def test_many_live_throttles_for_one_client_id_warn_once() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # Python's own filter must not be what hides repeats
        live = [Throttle(client_id="per-request-app") for _ in range(5)]
    found = [w for w in caught if issubclass(w.category, DuplicateThrottleWarning)]
    assert len(found) == 1
    assert "'per-request-app'" in str(found[0].message)
    assert not re.search(r"\d+ live", str(found[0].message))  # no count that changes
    for throttle in live:
        duplicates.release(throttle)


def test_another_client_id_still_gets_its_own_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = [Throttle(client_id="app-one") for _ in range(3)]
        second = [Throttle(client_id="app-two") for _ in range(3)]
    messages = [str(w.message) for w in caught
                if issubclass(w.category, DuplicateThrottleWarning)]
    assert len(messages) == 2
    assert "'app-one'" in messages[0] and "'app-two'" in messages[1]
    for throttle in first + second:
        duplicates.release(throttle)


def test_the_warning_names_no_internal_behaviour_number() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        live = [Throttle(client_id="numbered-app") for _ in range(2)]
    assert len(caught) == 1
    assert not re.search(r"\b[SA]\d{1,2}\b", str(caught[0].message))
    for throttle in live:
        duplicates.release(throttle)
