"""Stats: A1 block windows are tracked per Client ID."""

from __future__ import annotations

from allegro_async.testing import Emulator


def test_a1_extension_moves_only_the_blocked_client_ids_window() -> None:
    emulator = Emulator()
    limits = emulator.limits
    limits.block_app(60, client_id="first")
    emulator.clock.advance(10)
    limits.block_app(60, client_id="second")  # the latest window now belongs to "second"
    emulator.clock.advance(10)
    assert limits.check_app("first") == "app_block"  # extends "first" only
    stats = emulator.stats
    (first,), (second,) = (stats.block_windows_by_client[k] for k in ("first", "second"))
    assert first[1] - first[0] > 60  # extended by the request during the block
    assert second[1] - second[0] == 60
    assert stats.block_windows == [first, second]
    assert stats.snapshot()["block_windows_by_client"]["first"] == [list(first)]
