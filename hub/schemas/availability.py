"""Availability: the spec's query and response shapes, a range of days, and a slot check."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from hub.schemas.appointments import Location
from hub.schemas.common import Day, Id, LocalDatetime, Out, PostalCode, Strict


class AvailabilityQuery(Strict):
    """GET /v2/availability?service_id&date&postal_code[&technician_id]."""

    service_id: Id
    date: Day
    postal_code: PostalCode
    technician_id: Id | None = None
    duration: int | None = Field(default=None, ge=5, le=24 * 60)


class SlotsQuery(Strict):
    """GET /v2/availability/slots?service_id&date_from&date_to&postal_code[&technician_id]."""

    service_id: Id
    date_from: Day
    date_to: Day
    postal_code: PostalCode
    technician_id: Id | None = None
    duration: int | None = Field(default=None, ge=5, le=24 * 60)

    @model_validator(mode="after")
    def _range(self) -> SlotsQuery:
        span = (self.date_to - self.date_from).days
        if span < 0:
            raise PydanticCustomError("date_range_inverted", "date_to must not be before date_from")
        if span > 30:
            raise PydanticCustomError(
                "date_range_too_long", "the range is at most {max_days} days", {"max_days": 31}
            )
        return self


class CheckBody(Strict):
    """POST /v2/availability/check: is this slot free, and if not why and what instead."""

    service_id: Id
    scheduled_at: LocalDatetime
    postal_code: PostalCode | None = None
    location: Location | None = None
    technician_id: Id | None = None
    duration: int | None = Field(default=None, ge=5, le=24 * 60)

    @model_validator(mode="after")
    def _where(self) -> CheckBody:
        if self.postal_code is None and self.location is None:
            raise PydanticCustomError("location_required", "postal_code or location is required")
        return self


class SlotOut(Out):
    """A free slot: local "HH:MM" times as the spec, plus full ISO instants."""

    start: str
    end: str
    technician_id: str
    technician_name: str
    travel_time: int
    start_at: str
    end_at: str


class AvailabilityOut(Out):
    """The spec's availability response."""

    date: str
    slots: list[SlotOut]
    next_available_date: str | None


class DaySlots(Out):
    """The slots of one day."""

    date: str
    slots: list[SlotOut]


class SlotsOut(Out):
    """Slots over a range, grouped by date."""

    date_from: str
    date_to: str
    days: list[DaySlots]


class CheckOut(Out):
    """Verdict of POST /v2/availability/check."""

    available: bool
    technician_id: str | None
    travel_time: int | None
    reasons: list[str]
    suggestions: list[dict[str, Any]]
