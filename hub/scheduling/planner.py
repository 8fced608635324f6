"""``Planner``: free slots of a day, the next date with one, suggestions, best technician.

A planner is worth keeping for a whole request: the slots of the day *and* the next available
date share its per-technician indexes and its travel cache.

Cost: each technician's appointments are sorted once (``Timeline``); each candidate start is
then a handful of bisects, so a day over 50 technicians with thousands of appointments stays in
the milliseconds. Travel times are prefetched per day in two matrix calls (every place of the
day → the customer, the customer → every place of the day) and memoised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hub.scheduling.hours import Window, day_bounds, day_window, slot_grid
from hub.scheduling.hours import local_date as to_local_date
from hub.scheduling.model import (
    REASON_PRIORITY,
    Booking,
    BusyPeriod,
    CheckResult,
    GeoPoint,
    Reason,
    SchedulingSettings,
    ServiceData,
    Slot,
    TechnicianData,
    ensure_aware,
)
from hub.scheduling.rules import (
    Timeline,
    legs_at,
    legs_for,
    static_reasons,
    timed_reasons,
    travel_conflict,
)
from hub.scheduling.travel import TravelCache, TravelProvider, as_cache


@dataclass(frozen=True)
class Assignment:
    """Result of ``choose_technician``: the chosen technician, or why nobody fits.

    ``reasons`` is empty when a technician was chosen; otherwise it holds the reasons of the
    technician who came closest (whose first reason ranks latest in ``Reason``), so the API can
    answer 422 SKILL_MISMATCH when nobody has the skills and 409 with the real obstacle otherwise.
    """

    technician: TechnicianData | None
    travel_time: int = 0
    added_travel: int = 0
    reasons: list[Reason] = field(default_factory=list)
    checks: Mapping[str, CheckResult] = field(default_factory=dict)


class Planner:
    """Availability computations for one service, place and set of technicians."""

    def __init__(
        self,
        technicians: Iterable[TechnicianData],
        service: ServiceData,
        postal_code: str | None,
        location: GeoPoint | None,
        bookings_by_tech: Mapping[str, Sequence[Booking]],
        busy_by_tech: Mapping[str, Sequence[BusyPeriod]],
        settings: SchedulingSettings,
        travel: TravelProvider | TravelCache,
        ignore_appointment_id: str | None = None,
        duration: int | None = None,
    ) -> None:
        self.technicians = sorted(technicians, key=lambda t: t.id)
        self.service = service
        self.postal_code = postal_code
        self.location = location
        self.settings = settings
        self.travel = as_cache(travel)
        self.ignore_appointment_id = ignore_appointment_id
        self.duration = timedelta(minutes=service.duration if duration is None else duration)
        self._bookings_by_tech = bookings_by_tech
        self._busy_by_tech = busy_by_tech
        self._timelines: dict[str, Timeline] = {}
        self._prefetched: set[date] = set()
        self.static = {t.id: static_reasons(t, service, postal_code) for t in self.technicians}
        self.eligible = [t for t in self.technicians if not self.static[t.id]]

    def timeline(self, technician: TechnicianData) -> Timeline:
        """The technician's indexed appointments and busy periods (built on first use)."""
        found = self._timelines.get(technician.id)
        if found is None:
            found = Timeline(
                self._bookings_by_tech.get(technician.id, ()),
                self._busy_by_tech.get(technician.id, ()),
                self.ignore_appointment_id,
            )
            self._timelines[technician.id] = found
        return found

    def _prefetch_day(self, day: date, windows: Sequence[tuple[TechnicianData, Window]]) -> None:
        location = self.location
        if location is None or day in self._prefetched:
            return
        self._prefetched.add(day)
        day_start, day_end = day_bounds(day, self.settings.tz)
        until = max([day_end, *(w.close for _, w in windows)])
        stops: dict[GeoPoint, None] = {}
        origins: dict[GeoPoint, None] = {}
        for technician, _ in windows:
            if technician.home is not None:
                origins[technician.home] = None
            for booking in self.timeline(technician).bookings_between(day_start, until):
                if booking.location is not None:
                    stops[booking.location] = None
        origins.update(stops)
        self.travel.prefetch(origins, (location,))
        self.travel.prefetch((location,), stops)

    def slots(
        self, day: date, earliest: datetime | None = None, first_only: bool = False
    ) -> list[Slot]:
        """Every feasible slot whose working window opens on local ``day``, by start then id."""
        tz = self.settings.tz
        floor = ensure_aware(earliest, "earliest") if earliest is not None else None
        day_start, day_end = day_bounds(day, tz)
        windows: list[tuple[TechnicianData, Window]] = []
        for technician in self.eligible:
            window = day_window(technician, day, tz)
            if window is None or (floor is not None and window.close <= floor):
                continue
            limit = technician.max_appointments_per_day
            if (
                limit is not None
                and window.close <= day_end
                and self.timeline(technician).count_between(
                    day_start.timestamp(), day_end.timestamp()
                )
                >= limit
            ):
                continue
            windows.append((technician, window))
        if not windows:
            return []
        self._prefetch_day(day, windows)
        found: list[Slot] = []
        for technician, window in windows:
            for start, travel_in in self._free_starts(
                technician, window, day_start, day_end, floor
            ):
                end = start + self.duration
                found.append(Slot(technician.id, technician.name, start, end, travel_in))
                if first_only:
                    return found
        found.sort(key=lambda s: (s.start, s.technician_id))
        return found

    def _free_starts(
        self,
        technician: TechnicianData,
        window: Window,
        day_start: datetime,
        day_end: datetime,
        floor: datetime | None,
    ) -> Iterator[tuple[datetime, int]]:
        """Free grid starts of one window with their travel-in minutes.

        Same rules as ``timed_reasons``, with what is constant over the window hoisted out:
        the grid lies inside the window (working hours hold), and before midnight every start
        shares the local day (one daily count, one set of day bounds). Starts after midnight in
        an overnight window take the general path.
        """
        settings, service, location = self.settings, self.service, self.location
        timeline = self.timeline(technician)
        minutes = int(self.duration.total_seconds() // 60)
        ds, de = day_start.timestamp(), day_end.timestamp()
        opening = window.open.timestamp()
        limit = technician.max_appointments_per_day
        full = limit is not None and timeline.count_between(ds, de) >= limit
        before, after = service.buffer_before * 60.0, service.buffer_after * 60.0
        length = self.duration.total_seconds()
        for start in slot_grid(window, settings.slot_step_minutes, minutes, settings.tz):
            if floor is not None and start < floor:
                continue
            st = start.timestamp()
            if st >= de:
                reasons, travel_in = timed_reasons(
                    technician,
                    service,
                    start,
                    start + self.duration,
                    location,
                    timeline,
                    settings,
                    self.travel,
                )
                if not reasons:
                    yield start, travel_in
                continue
            if full:
                continue
            blocked_start, blocked_end = st - before, st + length + after
            if timeline.overlaps_booking(blocked_start, blocked_end):
                continue
            if timeline.overlaps_busy(blocked_start, blocked_end):
                continue
            travel_in = 0
            if location is not None:
                legs = legs_at(technician, timeline, st, ds, de, opening)
                conflict, travel_in = travel_conflict(
                    legs, blocked_start, blocked_end, location, self.travel
                )
                if conflict:
                    continue
            yield start, travel_in

    def next_available_date(self, after: date, earliest: datetime | None = None) -> date | None:
        """The first local date after ``after`` with a free slot, within ``search_days``."""
        for offset in range(1, self.settings.search_days + 1):
            day = after + timedelta(days=offset)
            if self.slots(day, earliest, first_only=True):
                return day
        return None

    def suggestions(
        self,
        requested_start: datetime,
        preferred_technician_id: str | None = None,
        limit: int = 3,
        earliest: datetime | None = None,
    ) -> list[Slot]:
        """The ``limit`` best alternatives to ``requested_start``.

        Days are explored outwards from the requested day (D, D+1, D-1, D+2, ...; days wholly
        before ``earliest`` skipped) until at least ``limit`` free slots are known; they are then
        ranked by: the preferred technician first, then nearness to the requested time, then
        start and technician id.
        """
        requested = ensure_aware(requested_start, "requested_start")
        if limit <= 0:
            return []
        floor = ensure_aware(earliest, "earliest") if earliest is not None else None
        tz = self.settings.tz
        origin_day = to_local_date(requested, tz)
        found: list[Slot] = []
        for ring in range(self.settings.search_days + 1):
            days = [origin_day + timedelta(days=ring)]
            if ring:
                days.append(origin_day - timedelta(days=ring))
            for day in days:
                if floor is not None and day_bounds(day, tz)[1] <= floor:
                    continue
                found.extend(self.slots(day, floor))
            if len(found) >= limit:
                break

        def rank(slot: Slot) -> tuple[bool, float, datetime, str]:
            """Preferred technician first, then nearness, start and id."""
            distance = abs((slot.start - requested).total_seconds())
            return (
                slot.technician_id != preferred_technician_id,
                distance,
                slot.start,
                slot.technician_id,
            )

        return sorted(found, key=rank)[:limit]

    def choose_technician(self, start: datetime) -> Assignment:
        """Among the technicians able to take [start, start+duration), the least added travel."""
        start_utc = ensure_aware(start, "start")
        end_utc = start_utc + self.duration
        location = self.location
        if location is not None:
            self._prefetch_choice(start_utc, end_utc, location)
        checks: dict[str, CheckResult] = {}
        best: tuple[int, str, TechnicianData, int] | None = None
        for technician in self.technicians:
            reasons = list(self.static[technician.id])
            timeline = self.timeline(technician)
            timed, travel_in = timed_reasons(
                technician,
                self.service,
                start_utc,
                end_utc,
                location,
                timeline,
                self.settings,
                self.travel,
            )
            reasons.extend(timed)
            checks[technician.id] = CheckResult(not reasons, reasons, travel_in)
            if reasons:
                continue
            added = self._added_travel(technician, timeline, start_utc, end_utc)
            candidate = (added, technician.id, technician, travel_in)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        if best is not None:
            added, _, chosen, travel_in = best
            return Assignment(chosen, travel_in, added, [], checks)
        return Assignment(None, 0, 0, _closest_reasons(checks), checks)

    def _prefetch_choice(self, start: datetime, end: datetime, location: GeoPoint) -> None:
        origins: dict[GeoPoint, None] = {}
        nexts: dict[GeoPoint, None] = {}
        for technician in self.eligible:
            legs = legs_for(technician, self.timeline(technician), start, end, self.settings)
            if legs.origin is not None:
                origins[legs.origin] = None
            if legs.next_booking is not None and legs.next_booking.location is not None:
                nexts[legs.next_booking.location] = None
        self.travel.prefetch([*origins, location], [location, *nexts])

    def _added_travel(
        self, technician: TechnicianData, timeline: Timeline, start: datetime, end: datetime
    ) -> int:
        location = self.location
        if location is None:
            return 0
        legs = legs_for(technician, timeline, start, end, self.settings)
        nxt = legs.next_booking.location if legs.next_booking is not None else None
        added = 0
        if legs.origin is not None:
            added += self.travel.minutes(legs.origin, location)
        if nxt is not None:
            added += self.travel.minutes(location, nxt)
            if legs.origin is not None:
                added -= self.travel.minutes(legs.origin, nxt)
        return added


def _closest_reasons(checks: Mapping[str, CheckResult]) -> list[Reason]:
    """Reasons of the technician who failed furthest down the rule list (ties: fewer, then id)."""
    if not checks:
        return []

    def progress(item: tuple[str, CheckResult]) -> tuple[int, int, str]:
        """Furthest first reason first, then fewer reasons, then id."""
        tech_id, result = item
        first = REASON_PRIORITY.index(result.reasons[0]) if result.reasons else len(REASON_PRIORITY)
        return (-first, len(result.reasons), tech_id)

    return list(min(checks.items(), key=progress)[1].reasons)
