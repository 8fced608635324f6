"""The clock of background work: tests move time forward instead of sleeping."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Protocol

from hub.timeutil import utcnow


class Clock(Protocol):
    """Anything that tells the current instant (aware, UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """The current instant, from the system clock."""
        return utcnow()


class ManualClock:
    """A clock that only moves when told to (tests of retry schedules, reminders, clean-up)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utcnow()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The instant the clock is set to."""
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant`."""
        with self._lock:
            self._now = instant

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by `delta` (or timedelta(**kwargs)); returns the new instant."""
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now


SYSTEM_CLOCK = SystemClock()
