"""Plain data the scheduling engine works on: frozen dataclasses, no ORM, no Flask.

Every datetime handed to the engine is timezone-aware; the engine works in UTC and converts to
the account's zone only where the wall clock matters (working hours, "the day" of the daily
limit, slot grids).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


class Reason(StrEnum):
    """Why a technician cannot take an appointment.

    The declaration order IS the priority order: when several rules fail, the reasons are
    reported in this order and the API puts the first one in ``details.reason``. The order goes
    from "this technician can never do this job" (skills, zone), through "not on this day"
    (hours, daily limit), to "not at this exact time" (overlaps, calendar, travel), so the first
    reason is always the most fundamental one.
    """

    SKILL_MISMATCH = "skill_mismatch"
    OUT_OF_ZONE = "out_of_zone"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    ALREADY_BOOKED = "already_booked"
    BUSY_EXTERNAL = "busy_external"
    TRAVEL_TIME_CONFLICT = "travel_time_conflict"


REASON_PRIORITY: tuple[Reason, ...] = tuple(Reason)


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS 84 position in decimal degrees."""

    lat: float
    lng: float


def parse_hhmm(value: str) -> time:
    """Parse ``"08:00"`` (or ``"8:00"``, ``"08:00:00"``) into a time; ``"24:00"`` is midnight."""
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"invalid time of day: {value!r}")
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) == 3 else 0
    if hour == 24 and minute == 0 and second == 0:
        return time(0, 0)
    return time(hour, minute, second)


def parse_working_hours(raw: Mapping[str, Mapping[str, str]]) -> dict[str, tuple[time, time]]:
    """Turn the API's ``{"monday": {"start": "08:00", "end": "18:00"}}`` into time pairs.

    Day names are case-insensitive; unknown day names raise ``ValueError``. An ``end`` that is
    not after ``start`` (``"22:00"``-``"06:00"``, or ``"24:00"``) means the shift ends the next
    calendar day.
    """
    hours: dict[str, tuple[time, time]] = {}
    for day, span in raw.items():
        key = day.strip().lower()
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday: {day!r}")
        hours[key] = (parse_hhmm(span["start"]), parse_hhmm(span["end"]))
    return hours


@dataclass(frozen=True)
class TechnicianData:
    """What the engine needs to know about one technician.

    ``zones`` holds exact postal codes (``"75001"``) and prefix patterns ending with ``*``
    (``"75*"``; a lone ``"*"`` matches everywhere). ``home`` is where his day starts: the API's
    ``current_location`` or his depot; ``None`` disables the first-leg travel check.
    """

    id: str
    name: str
    skills: frozenset[str] = frozenset()
    zones: tuple[str, ...] = ()
    working_hours: Mapping[str, tuple[time, time]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    max_appointments_per_day: int | None = None
    home: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class ServiceData:
    """A bookable service: duration and buffers in minutes, skills required to perform it."""

    id: str
    duration: int
    buffer_before: int = 0
    buffer_after: int = 0
    required_skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Booking:
    """An existing appointment of a technician (only the ones that still occupy him).

    ``start``/``end`` are aware datetimes; ``buffer_before``/``buffer_after`` are the minutes of
    the booked service's buffers, frozen at booking time.
    """

    id: str
    technician_id: str
    start: datetime
    end: datetime
    buffer_before: int = 0
    buffer_after: int = 0
    location: GeoPoint | None = None
    postal_code: str | None = None

    @property
    def blocked_start(self) -> datetime:
        """Start of the interval this booking keeps the technician busy (buffer included)."""
        return self.start - timedelta(minutes=self.buffer_before)

    @property
    def blocked_end(self) -> datetime:
        """End (exclusive) of the interval this booking keeps the technician busy."""
        return self.end + timedelta(minutes=self.buffer_after)


@dataclass(frozen=True, slots=True)
class BusyPeriod:
    """Time the technician is busy outside iValid (e.g. an event of his Google Calendar)."""

    technician_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class SchedulingSettings:
    """Account-level knobs of the engine.

    Defaults: ``slot_step_minutes=30`` is the grid customers expect on a booking page.
    ``road_factor=1.3`` and ``average_speed_kmh=40`` turn a great-circle distance into a driving
    time when no routing server is configured: road distance in French cities and their suburbs
    is typically 1.2-1.4 times the straight line, and 40 km/h is a door-to-door average for a
    van mixing urban streets and ring roads (Paris intra-muros is slower, rural trips faster).
    ``search_days=60`` bounds the search for the next free date.
    """

    timezone: str = "Europe/Paris"
    slot_step_minutes: int = 30
    road_factor: float = 1.3
    average_speed_kmh: float = 40.0
    search_days: int = 60

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # fail fast on an unknown zone
        if self.slot_step_minutes <= 0:
            raise ValueError("slot_step_minutes must be positive")
        if self.road_factor <= 0 or self.average_speed_kmh <= 0:
            raise ValueError("road_factor and average_speed_kmh must be positive")
        if self.search_days < 0:
            raise ValueError("search_days must not be negative")

    @cached_property
    def tz(self) -> ZoneInfo:
        """The account's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Slot:
    """A free slot: ``start``/``end`` in UTC, ``travel_time`` minutes from the previous place."""

    technician_id: str
    technician_name: str
    start: datetime
    end: datetime
    travel_time: int

    def local_start(self, tz: ZoneInfo) -> datetime:
        """The slot's start on the account's wall clock."""
        return self.start.astimezone(tz)

    def local_end(self, tz: ZoneInfo) -> datetime:
        """The slot's end on the account's wall clock."""
        return self.end.astimezone(tz)


@dataclass(frozen=True)
class CheckResult:
    """Outcome of checking one technician for one time: ``reasons`` in priority order."""

    ok: bool
    reasons: list[Reason]
    travel_time: int

    @property
    def reason(self) -> Reason | None:
        """The reason the API reports (the first one), or None when the slot is free."""
        return self.reasons[0] if self.reasons else None


def ensure_aware(value: datetime, name: str = "datetime") -> datetime:
    """Reject naive datetimes (their meaning depends on the server's zone) and return UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)
