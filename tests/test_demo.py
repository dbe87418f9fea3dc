"""The README's main job: the demo runs a seller's day against the emulator, with no 429."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import allegro_async.demo
from allegro_async.demo import STEPS, run_demo
from allegro_async.demo.context import DemoContext

ROOT = Path(__file__).resolve().parents[1]


async def test_demo_runs_every_step_without_a_429() -> None:
    ctx = DemoContext(seed=1, quiet=True)
    await run_demo(ctx)
    facts = ctx.facts
    assert ctx.emulator.stats.responses_429 == 0
    assert facts["sellers"] == len(ctx.emulator.sellers)
    assert facts["auth: refreshes for 50 requests on an expiring token"] == 1
    assert facts["orders shipped from events"] > 0
    assert facts["offers repriced by command"] > 0
    assert facts["offers of unknown outcome resumed"] == 3  # S20: a lost answer is UNKNOWN
    assert facts["catalogue: products behind one EAN"] > 1  # S21: one EAN, several products
    assert facts["throttling: bulk 429s"] == 0
    # A lone seller's 429 is confirmed by its one retry before the gate closes (A1 classifier).
    assert facts["throttling: requests during block"] <= 1
    # every step module contributed at least one fact, so none was skipped
    assert facts["api: typed operations"] == 267  # every operation of the spec
    # the typed layer on real traffic: each tag in its class, an unknown one kept, a deadline
    # that bounds a call during a one-minute block, a walk that ends on a stuck cursor
    assert facts["trust: mapped tag class"] is True
    assert facts["trust: unknown tag kept"] is True
    assert facts["trust: deadline during a block (s)"] <= 2
    # without a deadline the call waits the block out (on a scaled clock: no real minute)
    assert facts["trust: wait without a deadline (emulated s)"] >= 60
    assert facts["trust: stalled walk ended"] in ("cursor_repeated", "page_repeated")
    # many machines, counted by the emulator: one refresh for an expiry under two workers; a
    # refresh whose process died before its save taken over inside A5's grace; a dead
    # worker's journals moved within the lease TTL, no event lost or handled twice
    assert facts["fleet: refreshes for an expiry under two workers"] == 1
    assert facts["fleet: abandoned refresh taken over"] is True
    assert facts["fleet: takeover inside A5's grace (s)"] < 60
    assert facts["fleet: seller connected after the takeover"] is True
    assert facts["fleet: events lost"] == 0
    assert facts["fleet: events handled twice"] == 0
    assert facts["fleet: failover within the lease TTL"] is True
    assert len(STEPS) == 9 and len(facts) >= len(STEPS)


class _Headings(DemoContext):
    """A quiet context that keeps the headings it is given."""

    def __init__(self) -> None:
        super().__init__(seed=1, quiet=True)
        self.headings: list[str] = []

    def heading(self, text: str) -> None:
        self.headings.append(text)


async def test_a_step_whose_extra_is_missing_is_skipped_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(allegro_async.demo, "STEPS",
                        ("allegro_async.demo.fleet", "allegro_async.demo.foundation"))
    monkeypatch.delitem(sys.modules, "allegro_async.demo.fleet", raising=False)
    monkeypatch.setitem(sys.modules, "sqlalchemy.ext.asyncio", None)  # not installed
    ctx = _Headings()
    await run_demo(ctx)
    assert ctx.headings[0] == ('(fleet: skipped, it needs sqlalchemy: '
                               'python -m pip install "allegro-async[all]")')
    assert ctx.facts["sellers"] == len(ctx.emulator.sellers)  # the next step ran


def test_readme_quick_start_is_install_plus_demo_then_tests() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.findall(r"```bash\n(.*?)```", text, re.S)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "pip install" in lines[0] and lines[0].endswith("allegro-async demo")
    assert "pytest" in lines[1]
