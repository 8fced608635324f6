"""Builders shared by the scheduling tests: technicians, services, bookings, scripted travel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from hub.scheduling import (
    Booking,
    BusyPeriod,
    GeoPoint,
    SchedulingSettings,
    ServiceData,
    TechnicianData,
)

PARIS = ZoneInfo("Europe/Paris")
SETTINGS = SchedulingSettings()

WEEKDAYS_8_18: Mapping[str, tuple[time, time]] = MappingProxyType(
    {day: (time(8), time(18)) for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}
)
EVERY_DAY_8_18: Mapping[str, tuple[time, time]] = MappingProxyType(
    {
        day: (time(8), time(18))
        for day in (
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        )
    }
)

# Places with scripted travel times (see TableTravel); far apart so nothing is 0 by accident.
A = GeoPoint(48.8600, 2.3400)
B = GeoPoint(48.8700, 2.3500)
C = GeoPoint(48.8800, 2.3600)
D = GeoPoint(48.8900, 2.3700)
HOME = GeoPoint(48.8000, 2.3000)


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    """An aware datetime on the Paris wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS, fold=fold)


def technician(
    tech_id: str = "tech_1",
    *,
    skills: Iterable[str] = ("plomberie", "electricite"),
    zones: Iterable[str] = ("75001", "92*"),
    hours: Mapping[str, tuple[time, time]] = WEEKDAYS_8_18,
    max_per_day: int | None = None,
    home: GeoPoint | None = None,
    name: str | None = None,
) -> TechnicianData:
    """A technician with sensible defaults (Mon-Fri 08:00-18:00, zones 75001 and 92*)."""
    return TechnicianData(
        id=tech_id,
        name=name or f"Tech {tech_id}",
        skills=frozenset(skills),
        zones=tuple(zones),
        working_hours=hours,
        max_appointments_per_day=max_per_day,
        home=home,
    )


def service(
    duration: int = 60,
    before: int = 0,
    after: int = 0,
    skills: Iterable[str] = ("plomberie",),
) -> ServiceData:
    """A service (minutes)."""
    return ServiceData("srv_1", duration, before, after, frozenset(skills))


def booking(
    booking_id: str,
    start: datetime,
    minutes: int = 60,
    *,
    tech_id: str = "tech_1",
    before: int = 0,
    after: int = 0,
    location: GeoPoint | None = None,
) -> Booking:
    """An existing appointment of ``tech_id``."""
    return Booking(
        booking_id,
        tech_id,
        start,
        start + timedelta(minutes=minutes),
        before,
        after,
        location,
        None,
    )


def busy(start: datetime, end: datetime, tech_id: str = "tech_1") -> BusyPeriod:
    """An external busy period."""
    return BusyPeriod(tech_id, start, end)


class TableTravel:
    """A travel provider answering from a table of minutes (symmetric), with a default."""

    def __init__(
        self, minutes: Mapping[tuple[GeoPoint, GeoPoint], int] | None = None, default: int = 10
    ) -> None:
        self.table = dict(minutes or {})
        self.default = default
        self.calls: list[tuple[int, int]] = []

    def minutes(self, a: GeoPoint, b: GeoPoint) -> int:
        """Scripted minutes from a to b."""
        if a == b:
            return 0
        found = self.table.get((a, b), self.table.get((b, a)))
        return self.default if found is None else found

    def matrix(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        """Record the call and answer from the table."""
        self.calls.append((len(origins), len(destinations)))
        return [[self.minutes(o, d) for d in destinations] for o in origins]
