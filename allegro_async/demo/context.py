"""What the demo's steps share: the emulator, clients for its sellers, and a printer."""

from __future__ import annotations

from typing import Any

from allegro_async.testing import Emulator, EmulatorConfig


class DemoContext:
    """Shared by all demo steps. ``emulator`` runs in-process; ``client(i)`` gives a client for
    seller ``i``; ``heading``/``say``/``note`` print (with rich when installed)."""

    def __init__(self, *, seed: int = 1, quick: bool = False, config: EmulatorConfig | None = None,
                 quiet: bool = False) -> None:
        self.quick = quick
        self.quiet = quiet
        self.emulator = Emulator(config or EmulatorConfig(seed=seed))
        self.facts: dict[str, Any] = {}
        try:
            from rich.console import Console

            self._console: Any = Console(highlight=False)
        except ImportError:  # pragma: no cover - rich comes with the cli extra
            self._console = None

    def client(self, seller: int | None = 0, **kwargs: Any) -> Any:
        """An :class:`~allegro_async.AllegroClient` for a seller of the emulator."""
        return self.emulator.client(seller, **kwargs)

    def _print(self, text: str, style: str | None = None) -> None:
        if self.quiet:
            return
        if self._console is not None:
            self._console.print(text, style=style, markup=False)
        else:
            print(text)

    def heading(self, text: str) -> None:
        """Start a section of the demo."""
        self._print(f"\n== {text}", style="bold cyan")

    def say(self, text: str) -> None:
        """Print a line of the story."""
        self._print(text)

    def note(self, text: str) -> None:
        """Print a side remark."""
        self._print(f"   {text}", style="dim")

    def record(self, key: str, value: Any) -> None:
        """Remember a number for the closing summary."""
        self.facts[key] = value

    def summary(self) -> str:
        """The numbers recorded by the steps, and the emulator's counters."""
        stats = self.emulator.stats
        lines = [f"{k}: {v}" for k, v in self.facts.items()]
        lines.append(
            f"emulator: {stats.requests} requests, {stats.responses_429} responses with 429"
        )
        return "\n".join(lines)
