"""Can this technician take this appointment? Every rule, with every reason that applies.

Rules (reasons in priority order, see ``Reason``):

1. ``skill_mismatch``: he lacks one of the service's ``required_skills`` (case-insensitive).
2. ``out_of_zone``: the appointment's postal code matches none of his ``zones`` (exact codes,
   prefix patterns such as ``"75*"``, ``"*"`` for everywhere). An empty zone list matches
   nothing; an unknown postal code (None) matches only ``"*"``.
3. ``outside_working_hours``: the appointment [start, end) is not inside one working window
   (buffers may spill outside the window; the appointment itself may not).
4. ``daily_limit_reached``: he already has ``max_appointments_per_day`` appointments starting on
   that local calendar date.
5. ``already_booked``: blocked intervals overlap. An appointment blocks
   [start - buffer_before, end + buffer_after), the new one with its service's buffers, each
   existing one with the buffers frozen on it.
6. ``busy_external``: the new blocked interval overlaps an external busy period.
7. ``travel_time_conflict``: the drive from the previous place does not fit in the gap before
   the new blocked interval, or the drive to the next appointment does not fit after it. The
   previous place is the previous appointment of the same local day, or else his ``home`` at
   the opening of his working window. A leg whose ends overlap is reported as
   ``already_booked`` only; a leg with an unknown location is not checked.

All times are compared in UTC; wall-clock questions go through ``hours``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from hub.scheduling.hours import covering_window, day_bounds, local_date
from hub.scheduling.model import (
    Booking,
    BusyPeriod,
    CheckResult,
    GeoPoint,
    Reason,
    SchedulingSettings,
    ServiceData,
    TechnicianData,
    ensure_aware,
)
from hub.scheduling.travel import TravelCache, TravelProvider, as_cache


def normalize_postal_code(postal_code: str | None) -> str | None:
    """Postal code without spaces, upper-cased (``"75 001"`` → ``"75001"``); None stays None."""
    if postal_code is None:
        return None
    code = "".join(postal_code.split()).upper()
    return code or None


def in_zone(postal_code: str | None, zones: Iterable[str]) -> bool:
    """Whether the postal code matches one of the zone patterns (exact or ``prefix*``)."""
    code = normalize_postal_code(postal_code)
    for raw in zones:
        pattern = "".join(raw.split()).upper()
        if pattern == "*":
            return True
        if pattern.endswith("*"):
            if code is not None and code.startswith(pattern[:-1]):
                return True
        elif code is not None and code == pattern:
            return True
    return False


def has_skills(technician: TechnicianData, service: ServiceData) -> bool:
    """Whether the technician has every skill the service requires (case-insensitive)."""
    have = {s.strip().casefold() for s in technician.skills}
    return all(s.strip().casefold() in have for s in service.required_skills)


def static_reasons(
    technician: TechnicianData, service: ServiceData, postal_code: str | None
) -> list[Reason]:
    """The reasons that do not depend on time: skills, then zone."""
    reasons: list[Reason] = []
    if not has_skills(technician, service):
        reasons.append(Reason.SKILL_MISMATCH)
    if not in_zone(postal_code, technician.zones):
        reasons.append(Reason.OUT_OF_ZONE)
    return reasons


class Timeline:
    """One technician's appointments and busy periods, sorted once, searched with bisect.

    Instants are stored as POSIX seconds (floats): comparing floats is many times cheaper than
    comparing aware datetimes, and a day of availability does thousands of comparisons. Blocked
    intervals are kept sorted by start with a running maximum of their ends, so "does anything
    overlap [a, b)?" is one bisect even if the stored data overlaps itself (e.g. a double
    booking imported from a calendar).
    """

    def __init__(
        self,
        bookings: Iterable[Booking] = (),
        busy: Iterable[BusyPeriod] = (),
        ignore_appointment_id: str | None = None,
    ) -> None:
        kept = [b for b in bookings if b.id != ignore_appointment_id]
        self.by_start: list[Booking] = sorted(kept, key=lambda b: (b.start, b.id))
        self.starts: list[float] = [b.start.timestamp() for b in self.by_start]
        self.free_at: list[float] = [b.blocked_end.timestamp() for b in self.by_start]
        self.ready_at: list[float] = [b.blocked_start.timestamp() for b in self.by_start]
        blocked = sorted(zip(self.ready_at, self.free_at, strict=True))
        self.blocked_starts: list[float] = [s for s, _ in blocked]
        self.blocked_max_ends: list[float] = list(accumulate((e for _, e in blocked), max))
        periods = sorted((p.start.timestamp(), p.end.timestamp()) for p in busy)
        self.busy_starts: list[float] = [s for s, _ in periods]
        self.busy_max_ends: list[float] = list(accumulate((e for _, e in periods), max))

    def overlaps_booking(self, start: float, end: float) -> bool:
        """Whether [start, end) (POSIX seconds) overlaps an appointment's blocked interval."""
        i = bisect_left(self.blocked_starts, end)
        return i > 0 and self.blocked_max_ends[i - 1] > start

    def overlaps_busy(self, start: float, end: float) -> bool:
        """Whether [start, end) (POSIX seconds) overlaps an external busy period."""
        i = bisect_left(self.busy_starts, end)
        return i > 0 and self.busy_max_ends[i - 1] > start

    def count_between(self, start: float, end: float) -> int:
        """How many appointments start in [start, end) (POSIX seconds)."""
        return bisect_left(self.starts, end) - bisect_left(self.starts, start)

    def neighbours(self, start: float, day_start: float, day_end: float) -> tuple[int, int]:
        """Indexes in ``by_start`` of the appointments around ``start`` that day (-1: none)."""
        i = bisect_right(self.starts, start)
        prev = i - 1 if i > 0 and self.starts[i - 1] >= day_start else -1
        nxt = i if i < len(self.starts) and self.starts[i] < day_end else -1
        return prev, nxt

    def bookings_between(self, start: datetime, end: datetime) -> list[Booking]:
        """Appointments starting in [start, end), in order."""
        lo = bisect_left(self.starts, start.timestamp())
        return self.by_start[lo : bisect_left(self.starts, end.timestamp())]


@dataclass(frozen=True, slots=True)
class Legs:
    """The places around a new appointment: where he comes from, where he goes next.

    ``origin_free_at`` is when he can leave the origin (POSIX seconds): the previous
    appointment's blocked end, or the opening of his window when he starts from home.
    """

    origin: GeoPoint | None
    origin_free_at: float | None
    origin_is_home: bool
    next_booking: Booking | None
    next_ready_at: float | None


def legs_for(
    technician: TechnicianData,
    timeline: Timeline,
    start: datetime,
    end: datetime,
    settings: SchedulingSettings,
) -> Legs:
    """Find the previous place (appointment of the day, or home at opening) and the next one."""
    tz = settings.tz
    day_start, day_end = day_bounds(local_date(start, tz), tz)
    window = covering_window(technician, start, end, tz)
    opening = window.open.timestamp() if window is not None else None
    return legs_at(
        technician, timeline, start.timestamp(), day_start.timestamp(), day_end.timestamp(), opening
    )


def legs_at(
    technician: TechnicianData,
    timeline: Timeline,
    start: float,
    day_start: float,
    day_end: float,
    opening: float | None,
) -> Legs:
    """``legs_for`` with the day and the window's opening already known (POSIX seconds)."""
    prev, nxt = timeline.neighbours(start, day_start, day_end)
    next_booking = timeline.by_start[nxt] if nxt >= 0 else None
    next_ready = timeline.ready_at[nxt] if nxt >= 0 else None
    if prev >= 0:
        previous = timeline.by_start[prev]
        return Legs(previous.location, timeline.free_at[prev], False, next_booking, next_ready)
    return Legs(technician.home, opening, True, next_booking, next_ready)


def timed_reasons(
    technician: TechnicianData,
    service: ServiceData,
    start: datetime,
    end: datetime,
    location: GeoPoint | None,
    timeline: Timeline,
    settings: SchedulingSettings,
    travel: TravelCache,
) -> tuple[list[Reason], int]:
    """Reasons 3-7 for [start, end) (UTC), plus the travel minutes from the previous place."""
    tz = settings.tz
    reasons: list[Reason] = []
    if covering_window(technician, start, end, tz) is None:
        reasons.append(Reason.OUTSIDE_WORKING_HOURS)
    limit = technician.max_appointments_per_day
    if limit is not None:
        day_start, day_end = day_bounds(local_date(start, tz), tz)
        if timeline.count_between(day_start.timestamp(), day_end.timestamp()) >= limit:
            reasons.append(Reason.DAILY_LIMIT_REACHED)
    blocked_start = start.timestamp() - service.buffer_before * 60.0
    blocked_end = end.timestamp() + service.buffer_after * 60.0
    if timeline.overlaps_booking(blocked_start, blocked_end):
        reasons.append(Reason.ALREADY_BOOKED)
    if timeline.overlaps_busy(blocked_start, blocked_end):
        reasons.append(Reason.BUSY_EXTERNAL)
    if location is None:
        return reasons, 0
    legs = legs_for(technician, timeline, start, end, settings)
    conflict, travel_in = travel_conflict(legs, blocked_start, blocked_end, location, travel)
    if conflict:
        reasons.append(Reason.TRAVEL_TIME_CONFLICT)
    return reasons, travel_in


def travel_conflict(
    legs: Legs,
    blocked_start: float,
    blocked_end: float,
    location: GeoPoint,
    travel: TravelCache,
) -> tuple[bool, int]:
    """Whether the drive in or out does not fit its gap; and the minutes of the drive in."""
    conflict = False
    travel_in = 0
    if legs.origin is not None:
        travel_in = travel.minutes(legs.origin, location)
        if legs.origin_free_at is not None:
            gap = (blocked_start - legs.origin_free_at) / 60.0
            # Between two appointments an overlap is already_booked, not a travel problem;
            # from home the day simply starts at opening time.
            checked = legs.origin_is_home or gap >= 0
            if checked and travel_in > 0 and travel_in > gap:
                conflict = True
    nxt = legs.next_booking
    if nxt is not None and nxt.location is not None and legs.next_ready_at is not None:
        gap = (legs.next_ready_at - blocked_end) / 60.0
        if gap >= 0 and travel.minutes(location, nxt.location) > gap:
            conflict = True
    return conflict, travel_in


def check(
    technician: TechnicianData,
    service: ServiceData,
    start: datetime,
    postal_code: str | None,
    location: GeoPoint | None,
    bookings: Iterable[Booking],
    busy: Iterable[BusyPeriod],
    settings: SchedulingSettings,
    travel: TravelProvider | TravelCache,
    ignore_appointment_id: str | None = None,
    duration: int | None = None,
) -> CheckResult:
    """Check one technician for an appointment starting at ``start`` (aware datetime).

    ``bookings``/``busy`` are the technician's (other technicians' rows are ignored); pass at
    least the day before and after. ``duration`` overrides the service's (the API lets a
    request set it). ``ignore_appointment_id`` leaves out the appointment being rescheduled.
    """
    start_utc = ensure_aware(start, "start")
    end_utc = start_utc + timedelta(minutes=service.duration if duration is None else duration)
    timeline = Timeline(
        (b for b in bookings if b.technician_id == technician.id),
        (p for p in busy if p.technician_id == technician.id),
        ignore_appointment_id,
    )
    cache = as_cache(travel)
    if location is not None:
        legs = legs_for(technician, timeline, start_utc, end_utc, settings)
        nxt = legs.next_booking
        origins = [p for p in (legs.origin, location) if p is not None]
        targets = [location] + ([nxt.location] if nxt is not None and nxt.location else [])
        cache.prefetch(origins, targets)  # one provider call for both legs
    reasons = static_reasons(technician, service, postal_code)
    timed, travel_in = timed_reasons(
        technician, service, start_utc, end_utc, location, timeline, settings, cache
    )
    reasons.extend(timed)
    return CheckResult(ok=not reasons, reasons=reasons, travel_time=travel_in)
