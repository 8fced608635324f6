"""A technician's day as the schedule endpoint shows it: his legs and his free windows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from hub.scheduling.hours import day_bounds, day_window
from hub.scheduling.model import (
    Booking,
    BusyPeriod,
    GeoPoint,
    SchedulingSettings,
    TechnicianData,
)
from hub.scheduling.travel import TravelCache, TravelProvider, as_cache


@dataclass(frozen=True, slots=True)
class Leg:
    """One drive: ``from_id`` None means his start location (``home``)."""

    from_id: str | None
    to_id: str
    minutes: int
    origin: GeoPoint | None
    destination: GeoPoint | None

    def as_dict(self) -> dict[str, str | int | None]:
        """The ``{"from", "to", "minutes"}`` shape of the API."""
        return {"from": self.from_id, "to": self.to_id, "minutes": self.minutes}


@dataclass(frozen=True)
class DayPlan:
    """Legs between the day's appointments and the free parts of the working window (UTC)."""

    technician_id: str
    date: date
    bookings: list[Booking] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    free_windows: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def total_travel(self) -> int:
        """Minutes driven over the day (legs with an unknown end count as 0)."""
        return sum(leg.minutes for leg in self.legs)


def day_plan(
    technician: TechnicianData,
    bookings: Iterable[Booking],
    local_date: date,
    settings: SchedulingSettings,
    travel: TravelProvider | TravelCache,
    busy: Iterable[BusyPeriod] = (),
) -> DayPlan:
    """Plan of ``local_date``: home → 1st → 2nd ... legs, and free windows inside his hours.

    Appointments are those of the technician starting on that local date. A free window is
    time inside the working window blocked by no appointment (buffers included) and no busy
    period; driving time is not subtracted (the legs show it).
    """
    tz = settings.tz
    day_start, day_end = day_bounds(local_date, tz)
    todays = sorted(
        (
            b
            for b in bookings
            if b.technician_id == technician.id and day_start <= b.start < day_end
        ),
        key=lambda b: (b.start, b.id),
    )
    cache = as_cache(travel)
    stops = [b.location for b in todays if b.location is not None]
    origins = ([technician.home] if technician.home is not None else []) + stops
    cache.prefetch(origins, stops)  # a single matrix covers every leg of the day
    legs: list[Leg] = []
    previous_id: str | None = None
    previous_place = technician.home
    for booking in todays:
        minutes = 0
        if previous_place is not None and booking.location is not None:
            minutes = cache.minutes(previous_place, booking.location)
        legs.append(Leg(previous_id, booking.id, minutes, previous_place, booking.location))
        previous_id, previous_place = booking.id, booking.location
    window = day_window(technician, local_date, tz)
    free: list[tuple[datetime, datetime]] = []
    if window is not None:
        taken = sorted(
            [(b.blocked_start, b.blocked_end) for b in todays]
            + [
                (p.start, p.end)
                for p in busy
                if p.technician_id == technician.id
                and p.start < window.close
                and p.end > window.open
            ]
        )
        cursor = window.open
        for start, end in taken:
            if start > cursor:
                free.append((cursor, min(start, window.close)))
            cursor = max(cursor, end)
            if cursor >= window.close:
                break
        if cursor < window.close:
            free.append((cursor, window.close))
    free = [(s, e) for s, e in free if e > s]
    return DayPlan(technician.id, local_date, todays, legs, free)
