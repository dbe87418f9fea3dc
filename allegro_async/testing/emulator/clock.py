"""The emulator's sense of time, with a scale so that "a minute" can pass in a second."""

from __future__ import annotations

import datetime as _dt
import time

import anyio


class EmulatorClock:
    """Emulated time. ``time_scale=60`` makes one emulated minute pass in one real second.

    ``monotonic()`` and ``now()`` are emulated; :meth:`advance` jumps forward at once, so tests
    can step over a 60-second block without sleeping.
    """

    def __init__(self, time_scale: float = 1.0, epoch: _dt.datetime | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._real_start = time.monotonic()
        self._offset = 0.0
        self.epoch = epoch or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)

    def monotonic(self) -> float:
        """Emulated seconds since the emulator started."""
        return (time.monotonic() - self._real_start) * self.time_scale + self._offset

    def now(self) -> _dt.datetime:
        """Emulated wall-clock time (UTC)."""
        return self.epoch + _dt.timedelta(seconds=self.monotonic())

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` of emulated time forward."""
        self._offset += seconds

    def real_seconds(self, emulated: float) -> float:
        """How many real seconds ``emulated`` seconds take."""
        return emulated / self.time_scale

    async def sleep(self, emulated: float) -> None:
        """Sleep for ``emulated`` seconds of emulated time."""
        if emulated > 0:
            await anyio.sleep(emulated / self.time_scale)


def iso(moment: _dt.datetime) -> str:
    """Allegro's timestamp format: ISO 8601 in UTC with milliseconds and ``Z``."""
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp (``Z`` allowed) into an aware datetime."""
    value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value
