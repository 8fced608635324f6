"""Teams and technicians: skills, zones, working hours, daily limit, location."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from hub.schemas.common import Coordinates, DayText, Id, Meta, Out, PageQuery, Phone, Strict

Zone = Annotated[str, StringConstraints(pattern=r"^([0-9]{5}|[0-9]{1,4}\*)$")]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DayHours(Strict):
    """One day's working hours, local time of the account."""

    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _start_before_end(self) -> DayHours:
        if self.start >= self.end:
            raise PydanticCustomError("hours_order", "start must be before end")
        return self


class WorkingHours(Strict):
    """Working hours per weekday; a missing day is a day off."""

    monday: DayHours | None = None
    tuesday: DayHours | None = None
    wednesday: DayHours | None = None
    thursday: DayHours | None = None
    friday: DayHours | None = None
    saturday: DayHours | None = None
    sunday: DayHours | None = None


class TeamCreate(Strict):
    """POST /v2/teams."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)


class TeamUpdate(Strict):
    """PUT /v2/teams/:id (partial)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)


class TeamOut(Out):
    """A team with its technicians' ids."""

    id: str
    name: str
    description: str | None
    technician_ids: list[str]
    created_at: datetime
    updated_at: datetime


class TeamList(Out):
    """A page of teams."""

    data: list[TeamOut]
    meta: Meta


class TechnicianCreate(Strict):
    """POST /v2/technicians."""

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: Phone | None = None
    team_id: Id | None = None
    skills: list[str] = Field(default_factory=list, max_length=50)
    zones: list[Zone] = Field(default_factory=list, max_length=500)
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    max_appointments_per_day: int | None = Field(default=None, ge=1, le=100)
    current_location: Coordinates | None = None
    start_location: Coordinates | None = None


class TechnicianUpdate(Strict):
    """PUT /v2/technicians/:id (partial)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: Phone | None = None
    team_id: Id | None = None
    skills: list[str] | None = Field(default=None, max_length=50)
    zones: list[Zone] | None = Field(default=None, max_length=500)
    working_hours: WorkingHours | None = None
    max_appointments_per_day: int | None = Field(default=None, ge=1, le=100)
    current_location: Coordinates | None = None
    start_location: Coordinates | None = None


class TechnicianQuery(PageQuery):
    """Filters of GET /v2/technicians."""

    team_id: str | None = None
    skill: str | None = None
    zone: str | None = None


class TechnicianOut(Out):
    """A technician, as the spec's example."""

    id: str
    name: str
    email: str | None
    phone: str | None
    team_id: str | None
    skills: list[str]
    zones: list[str]
    working_hours: dict[str, Any]
    max_appointments_per_day: int | None
    current_location: dict[str, float] | None
    start_location: dict[str, float] | None
    created_at: datetime
    updated_at: datetime


class TechnicianList(Out):
    """A page of technicians."""

    data: list[TechnicianOut]
    meta: Meta


class ScheduleQuery(Strict):
    """GET /v2/technicians/:id/schedule?date=YYYY-MM-DD (default: today)."""

    date: DayText | None = None
