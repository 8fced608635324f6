"""Availability: free slots of a day, the next date with one, suggestions, best technician.

One-shot functions with the signatures the API layer calls; each builds a ``Planner`` (see
``planner``), which a request doing several of these should build once and reuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from hub.scheduling.model import (
    Booking,
    BusyPeriod,
    GeoPoint,
    SchedulingSettings,
    ServiceData,
    Slot,
    TechnicianData,
)
from hub.scheduling.planner import Assignment, Planner
from hub.scheduling.travel import TravelCache, TravelProvider

__all__ = [
    "Assignment",
    "Planner",
    "choose_technician",
    "day_slots",
    "next_available_date",
    "suggestions",
]


def day_slots(
    technicians: Iterable[TechnicianData],
    service: ServiceData,
    local_date: date,
    postal_code: str | None,
    location: GeoPoint | None,
    bookings_by_tech: Mapping[str, Sequence[Booking]],
    busy_by_tech: Mapping[str, Sequence[BusyPeriod]],
    settings: SchedulingSettings,
    travel: TravelProvider | TravelCache,
    ignore_appointment_id: str | None = None,
    duration: int | None = None,
    earliest: datetime | None = None,
) -> list[Slot]:
    """Free slots on ``local_date`` for every qualified, in-zone technician, by start then id."""
    planner = Planner(
        technicians,
        service,
        postal_code,
        location,
        bookings_by_tech,
        busy_by_tech,
        settings,
        travel,
        ignore_appointment_id,
        duration,
    )
    return planner.slots(local_date, earliest)


def next_available_date(
    technicians: Iterable[TechnicianData],
    service: ServiceData,
    after: date,
    postal_code: str | None,
    location: GeoPoint | None,
    bookings_by_tech: Mapping[str, Sequence[Booking]],
    busy_by_tech: Mapping[str, Sequence[BusyPeriod]],
    settings: SchedulingSettings,
    travel: TravelProvider | TravelCache,
    ignore_appointment_id: str | None = None,
    duration: int | None = None,
    earliest: datetime | None = None,
) -> date | None:
    """The first local date after ``after`` with at least one free slot (None past the horizon)."""
    planner = Planner(
        technicians,
        service,
        postal_code,
        location,
        bookings_by_tech,
        busy_by_tech,
        settings,
        travel,
        ignore_appointment_id,
        duration,
    )
    return planner.next_available_date(after, earliest)


def suggestions(
    technicians: Iterable[TechnicianData],
    service: ServiceData,
    requested_start: datetime,
    postal_code: str | None,
    location: GeoPoint | None,
    bookings_by_tech: Mapping[str, Sequence[Booking]],
    busy_by_tech: Mapping[str, Sequence[BusyPeriod]],
    settings: SchedulingSettings,
    travel: TravelProvider | TravelCache,
    preferred_technician_id: str | None = None,
    limit: int = 3,
    ignore_appointment_id: str | None = None,
    duration: int | None = None,
    earliest: datetime | None = None,
) -> list[Slot]:
    """Nearest feasible alternatives to ``requested_start``, the preferred technician first."""
    planner = Planner(
        technicians,
        service,
        postal_code,
        location,
        bookings_by_tech,
        busy_by_tech,
        settings,
        travel,
        ignore_appointment_id,
        duration,
    )
    return planner.suggestions(requested_start, preferred_technician_id, limit, earliest)


def choose_technician(
    technicians: Iterable[TechnicianData],
    service: ServiceData,
    start: datetime,
    postal_code: str | None,
    location: GeoPoint | None,
    bookings_by_tech: Mapping[str, Sequence[Booking]],
    busy_by_tech: Mapping[str, Sequence[BusyPeriod]],
    settings: SchedulingSettings,
    travel: TravelProvider | TravelCache,
    ignore_appointment_id: str | None = None,
    duration: int | None = None,
) -> Assignment:
    """The able technician adding the least travel (prev→new + new→next − prev→next), by id."""
    planner = Planner(
        technicians,
        service,
        postal_code,
        location,
        bookings_by_tech,
        busy_by_tech,
        settings,
        travel,
        ignore_appointment_id,
        duration,
    )
    return planner.choose_technician(start)
