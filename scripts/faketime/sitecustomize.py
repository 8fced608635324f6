"""Loaded only under scripts/faketime_probe.sh: time.sleep without clock_nanosleep.

libfaketime 0.9.10 (Debian 12) breaks Python 3.11+'s time.sleep when the monotonic clock is
not faked: sleep calls clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) and gets EINVAL
(libfaketime issue 426). select() with a timeout sleeps the same relative time and is untouched.
"""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    """Sleep `seconds` (relative), through select()."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
