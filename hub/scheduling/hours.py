"""Wall-clock arithmetic: working-hour windows, local days and slot grids, DST-correct.

A technician's hours are wall-clock times in the account's zone ("08:00"-"18:00" means 08:00
on the clock in Paris, whatever the UTC offset that day). Everything is resolved to UTC
instants here, once, so the rules only ever compare UTC datetimes.

Two DST details, both handled by resolving each wall-clock time on its own:

* On the spring-forward day (last Sunday of March in Europe) local times 02:00-02:59 do not
  exist: slot starts there are skipped, and an opening or closing time there is pushed forward
  by the hour that does not exist (02:30 means 03:30 CEST), as the law of the clock does.
* On the fall-back day (last Sunday of October) 02:00-02:59 happens twice: a window spanning
  it is one hour longer in real time, and both occurrences of 02:00, 02:30 are offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from hub.scheduling.model import WEEKDAYS, TechnicianData


@dataclass(frozen=True, slots=True)
class Window:
    """One working window: naive local bounds (for the slot grid) and their UTC instants."""

    local_open: datetime
    local_close: datetime
    open: datetime
    close: datetime

    def contains(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) lies inside the window."""
        return self.open <= start and end <= self.close


def resolve(naive_local: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant of a local wall-clock time (first occurrence; a skipped time moves forward)."""
    # fold=0 resolves a time inside a spring-forward gap with the offset in force before the
    # change, i.e. one gap later on the new clock; and an ambiguous autumn time to its first pass.
    return naive_local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def occurrences(naive_local: datetime, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Every UTC instant at which the wall clock shows ``naive_local``: zero, one or two."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = naive_local.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == naive_local and instant not in found:
            found.append(instant)
    return tuple(found)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date on the account's wall clock at ``instant``."""
    return instant.astimezone(tz).date()


@lru_cache(maxsize=4096)
def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of the local midnights opening and closing ``day`` (23 h/25 h on DST days)."""
    start = resolve(datetime.combine(day, time(0, 0)), tz)
    end = resolve(datetime.combine(day + timedelta(days=1), time(0, 0)), tz)
    return start, end


@lru_cache(maxsize=16384)
def _window(day: date, opening: time, closing: time, tz: ZoneInfo) -> Window:
    local_open = datetime.combine(day, opening)
    close_day = day if closing > opening else day + timedelta(days=1)
    local_close = datetime.combine(close_day, closing)
    return Window(local_open, local_close, resolve(local_open, tz), resolve(local_close, tz))


def day_window(technician: TechnicianData, day: date, tz: ZoneInfo) -> Window | None:
    """The technician's working window opening on local ``day``, or None on a day off."""
    hours = technician.working_hours.get(WEEKDAYS[day.weekday()])
    if hours is None:
        return None
    return _window(day, hours[0], hours[1], tz)


def covering_window(
    technician: TechnicianData, start: datetime, end: datetime, tz: ZoneInfo
) -> Window | None:
    """The working window holding [start, end) (today's, or last night's shift), if any."""
    today = local_date(start, tz)
    for day in (today, today - timedelta(days=1)):
        window = day_window(technician, day, tz)
        if window is not None and window.contains(start, end):
            return window
    return None


@lru_cache(maxsize=4096)
def slot_grid(
    window: Window, step_minutes: int, duration_minutes: int, tz: ZoneInfo
) -> tuple[datetime, ...]:
    """Candidate UTC starts: every ``step`` of wall-clock time from opening, ending by closing.

    The grid is laid on the wall clock (08:00, 08:30, ...), so slots read the same in local time
    on DST days as on any other day; wall-clock times that do not exist are skipped and times
    that happen twice are offered twice.
    """
    step = timedelta(minutes=step_minutes)
    duration = timedelta(minutes=duration_minutes)
    starts: list[datetime] = []
    cursor = window.local_open
    while cursor < window.local_close:
        for instant in occurrences(cursor, tz):
            if instant >= window.open and instant + duration <= window.close:
                starts.append(instant)
        cursor += step
    return tuple(sorted(set(starts)))
