"""Appointments: the spec's create body, updates, transitions, filters and representation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from hub.schemas.common import (
    ChangesQuery,
    Coordinates,
    DateBound,
    Id,
    LocalDatetime,
    Meta,
    Out,
    PostalCode,
    Strict,
)
from hub.schemas.payments import PaymentOut

Status = Literal["pending", "confirmed", "completed", "cancelled"]


class Location(Strict):
    """Where the intervention takes place; coordinates are filled from the postal code if absent."""

    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    postal_code: PostalCode
    coordinates: Coordinates | None = None


class AppointmentCreate(Strict):
    """POST /v2/appointments, exactly the spec's body (plus an optional initial status)."""

    customer_id: Id
    service_id: Id
    scheduled_at: LocalDatetime
    technician_id: Id | None = None
    duration: int | None = Field(default=None, ge=5, le=24 * 60)
    location: Location | None = None
    notes: str | None = Field(default=None, max_length=5000)
    notify_customer: bool = False
    reminder_sms: bool = False
    reminder_email: bool = False
    status: Literal["pending", "confirmed"] = "pending"


class AppointmentUpdate(Strict):
    """PUT /v2/appointments/:id: only the fields sent change; `status` obeys the status machine."""

    customer_id: Id | None = None
    service_id: Id | None = None
    scheduled_at: LocalDatetime | None = None
    technician_id: Id | None = None
    duration: int | None = Field(default=None, ge=5, le=24 * 60)
    location: Location | None = None
    notes: str | None = Field(default=None, max_length=5000)
    notify_customer: bool | None = None
    reminder_sms: bool | None = None
    reminder_email: bool | None = None
    status: Status | None = None


class Reschedule(Strict):
    """POST /v2/appointments/:id/reschedule."""

    scheduled_at: LocalDatetime
    technician_id: Id | None = None


class Transition(Strict):
    """Optional body of confirm / complete / cancel."""

    reason: str | None = Field(default=None, max_length=500)


class AppointmentQuery(ChangesQuery):
    """The spec's filters of GET /v2/appointments, plus `sort` and `updated_since`.

    Without `sort` the list is in time order (`scheduled_at`, then `id`).
    """

    status: Status | None = None
    technician_id: str | None = None
    customer_id: str | None = None
    date_from: DateBound | None = None
    date_to: DateBound | None = None
    postal_code: str | None = None


class AppointmentOut(Out):
    """An appointment, exactly as the spec's response."""

    id: str
    customer: dict[str, Any]
    service: dict[str, Any]
    technician: dict[str, Any] | None
    scheduled_at: datetime
    ends_at: datetime
    duration: int
    status: Status
    location: dict[str, Any] | None
    notes: str | None
    notify_customer: bool
    reminder_sms: bool
    reminder_email: bool
    created_at: datetime
    updated_at: datetime
    # Additive: the online payment (Stripe), when the service asks for one.
    payment: PaymentOut | None = None


class AppointmentList(Out):
    """A page of appointments."""

    data: list[AppointmentOut]
    meta: Meta
