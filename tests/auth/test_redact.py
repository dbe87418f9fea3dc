"""The secret registry: pinned and long-lived secrets survive floods, the indexed scrub finds
exactly what a plain search finds (timing lives in benchmarks/redact.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_async import _redact


@pytest.fixture
def registry() -> Iterator[None]:
    """A private registry for the test; the process-wide one comes back afterwards."""
    names = ("_secrets", "_long", "_pinned", "_index", "_short")
    saved = {name: getattr(_redact, name) for name in names}
    _redact._secrets, _redact._long, _redact._pinned = {}, {}, set()
    _redact._index, _redact._short = {}, {}
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(_redact, name, value)


def _naive(text: str, known: list[str]) -> str:
    for secret in sorted({s for s in known if s in text}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@pytest.mark.usefixtures("registry")
def test_pinned_and_long_lived_secrets_survive_100k_registrations() -> None:
    client_secret = "client-secret-" + secrets.token_hex(8)
    refresh = "refresh-" + secrets.token_hex(8)
    _redact.pin(client_secret)  # registered first: it used to be the first one dropped
    _redact.register(refresh, long_lived=True)
    flood = [f"acc-{i:08d}-{secrets.token_hex(4)}" for i in range(_redact._MAX_SECRETS + 10)]
    _redact.register(*flood)
    text = f"secret={client_secret}; rt {refresh}; newest {flood[-1]}; oldest {flood[0]}"
    cleaned = _redact.scrub(text)
    assert client_secret not in cleaned and refresh not in cleaned and flood[-1] not in cleaned
    assert flood[0] in cleaned  # the oldest short-lived one was dropped...
    assert len(_redact._secrets) == _redact._MAX_SECRETS
    # ...and from the index too: the index holds exactly what is registered (no leak).
    entries = sum(len(b) for b in _redact._index.values())
    assert entries == _redact._STRIDE * (_redact._MAX_SECRETS + 2)


@pytest.mark.usefixtures("registry")
def test_indexed_scrub_with_10k_secrets_hides_each_one() -> None:
    known = [secrets.token_urlsafe(24) for _ in range(10_000)]
    _redact.register(*known)
    shown = known[::997]
    text = "x" * 300 + ",".join(f"[{s}]" for s in shown) + " ok " + "y" * 300
    cleaned = _redact.scrub(text)
    assert not any(s in cleaned for s in shown)
    assert cleaned.startswith("x" * 300) and cleaned.endswith(" ok " + "y" * 300)
    assert cleaned == _naive(text, known)


_alphabet = st.sampled_from("abcAB01-_.=/ :")


@pytest.mark.usefixtures("registry")
@settings(max_examples=60, deadline=None)
@given(
    known=st.lists(st.text(_alphabet, min_size=6, max_size=14), min_size=33, max_size=60),
    picks=st.lists(st.integers(0, 59), max_size=6),
    filler=st.lists(st.text(_alphabet, max_size=10), min_size=7, max_size=7),
)
def test_indexed_scrub_matches_a_plain_search(
    known: list[str], picks: list[int], filler: list[str]
) -> None:
    _redact._secrets, _redact._index, _redact._short = {}, {}, {}
    _redact.register(*known)
    parts = [filler[0]]
    for n, i in enumerate(picks):
        parts += [known[i % len(known)], filler[(n + 1) % 7]]
    text = "".join(parts)
    # No bearer/query patterns in this alphabet's way: compare the secret part only.
    expected = _naive(_redact._SENSITIVE_QUERY.sub(
        lambda m: f"{m.group(1)}=***", _redact._BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    ), known)
    assert _redact.scrub(text) == expected


@pytest.mark.usefixtures("registry")
def test_a_secret_seen_again_is_the_newest_and_survives_the_flood(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A token in use is registered again on every load from a store; it must count as new
    # then, or a flood of others registered since its first sight pushes it out while in use.
    monkeypatch.setattr(_redact, "_MAX_SECRETS", 10)
    in_use = "access-" + secrets.token_hex(8)
    _redact.register(in_use)
    _redact.register(*(f"other-{i:04d}-{secrets.token_hex(4)}" for i in range(9)))
    _redact.register(in_use)  # loaded again from the store
    _redact.register("later-" + secrets.token_hex(8))
    assert _redact.scrub(f"Bearer-less {in_use}") == "Bearer-less ***"
