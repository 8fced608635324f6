"""The booking guard: whether a technician can take an appointment, decided under his lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.errors import ApiError
from hub.models import Appointment, Service, Technician
from hub.models.appointment import ACTIVE_STATUSES
from hub.timeutil import iso


@dataclass(frozen=True)
class Request:
    """What is being booked: a service at a time and place, maybe for a given technician."""

    service: Service
    start: datetime
    duration: int
    postal_code: str | None
    lat: float | None
    lng: float | None
    technician_id: str | None
    ignore_appointment_id: str | None = None

    @property
    def end(self) -> datetime:
        """When the intervention ends."""
        return self.start + timedelta(minutes=self.duration)

    @property
    def block(self) -> tuple[datetime, datetime]:
        """The time the technician is taken, buffers included."""
        return (
            self.start - timedelta(minutes=self.service.buffer_before),
            self.end + timedelta(minutes=self.service.buffer_after),
        )


def lock_technician(session: Session, technician_id: str) -> None:
    """Serialise bookings of one technician (row lock on PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Technician.id).where(Technician.id == technician_id).with_for_update()
        )


def slot_not_available(req: Request, technician_id: str | None, reason: str,
                       suggestions: list[dict[str, str]] | None = None) -> ApiError:
    """409 SLOT_NOT_AVAILABLE exactly in the spec's format."""
    return ApiError(
        409,
        "SLOT_NOT_AVAILABLE",
        {"requested_slot": iso(req.start), "technician_id": technician_id, "reason": reason},
        suggestions=suggestions or [],
    )


def overlapping(session: Session, technician_id: str, req: Request) -> list[Appointment]:
    """Active appointments of the technician whose blocked time meets the request's."""
    block_start, block_end = req.block
    stmt = select(Appointment).where(
        Appointment.technician_id == technician_id,
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.block_start < block_end,
        Appointment.block_end > block_start,
    )
    if req.ignore_appointment_id:
        stmt = stmt.where(Appointment.id != req.ignore_appointment_id)
    return list(session.scalars(stmt).unique())


def assign(session: Session, p: Principal, req: Request) -> str:
    """Lock and check the requested technician, or choose one; raise 409 if none can take it."""
    if req.technician_id is not None:
        lock_technician(session, req.technician_id)
        if overlapping(session, req.technician_id, req):
            raise slot_not_available(req, req.technician_id, "already_booked")
        return req.technician_id
    raise slot_not_available(req, None, "already_booked")
