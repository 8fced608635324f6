"""The booking guard: whether a technician can take an appointment, decided under his lock.

Every path that books or moves an appointment (API create/update/reschedule/confirm, remote
calendar edits) comes here, so the same scheduling rules (`hub/scheduling`) apply to all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.errors import ApiError
from hub.models import Service, Technician
from hub.scheduling import (
    GeoPoint,
    Planner,
    Reason,
    SchedulingSettings,
    Slot,
    TechnicianData,
    TravelCache,
    check,
)
from hub.services.scheduling_data import (
    load_snapshot,
    load_technicians,
    local_window,
    locate,
    service_data,
    settings_for,
    travel_provider,
)
from hub.timeutil import iso, utcnow

# A few attempts when auto-assignment races another booking for the chosen technician.
ASSIGN_ATTEMPTS = 3


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


def lock_technician(session: Session, technician_id: str) -> None:
    """Serialise bookings of one technician (row lock on PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Technician.id).where(Technician.id == technician_id).with_for_update()
        )


def format_suggestions(slots: list[Slot]) -> list[dict[str, str]]:
    """Slots as the spec's `suggestions` entries."""
    return [{"slot": iso(s.start) or "", "technician_id": s.technician_id} for s in slots]


def slot_not_available(
    req: Request,
    technician_id: str | None,
    reason: str,
    suggestions: list[dict[str, str]] | None = None,
) -> ApiError:
    """409 SLOT_NOT_AVAILABLE exactly in the spec's format."""
    return ApiError(
        409,
        "SLOT_NOT_AVAILABLE",
        {"requested_slot": iso(req.start), "technician_id": technician_id, "reason": reason},
        suggestions=suggestions or [],
    )


def skill_mismatch(req: Request, technician: TechnicianData | None) -> ApiError:
    """422 SKILL_MISMATCH: a qualification problem, not a conflict."""
    required = sorted(req.service.required_skills or [])
    details: dict[str, Any] = {"required_skills": required}
    if technician is not None:
        details["technician_id"] = technician.id
        details["missing_skills"] = sorted(set(required) - technician.skills)
    return ApiError(422, "SKILL_MISMATCH", details)


class Booker:
    """One booking decision: settings, location and travel computed once per request."""

    def __init__(self, session: Session, p: Principal, req: Request) -> None:
        self.session = session
        self.p = p
        self.req = req
        self.settings: SchedulingSettings = settings_for(session, p)
        self.location: GeoPoint = locate(req.postal_code, req.lat, req.lng)
        self.travel = TravelCache(travel_provider(self.settings, session))
        self.service = service_data(req.service)

    def snapshot_day(self, technicians: list[TechnicianData], margin_days: int = 0) -> Any:
        """Bookings of the requested local day (± `margin_days`) for `technicians`."""
        day = self.req.start.astimezone(self.settings.tz).date()
        window = local_window(day, day, self.settings.tz, technicians, margin_days)
        return load_snapshot(self.session, technicians, window)

    def check(self, technician: TechnicianData) -> list[Reason]:
        """The rules' verdict for one technician (reads his current bookings)."""
        snap = self.snapshot_day([technician])
        result = check(
            technician,
            self.service,
            self.req.start,
            self.req.postal_code,
            self.location,
            snap.bookings.get(technician.id, ()),
            snap.busy.get(technician.id, ()),
            self.settings,
            self.travel,
            ignore_appointment_id=self.req.ignore_appointment_id,
            duration=self.req.duration,
        )
        return list(result.reasons)

    def suggestions(self, preferred: str | None, limit: int = 3) -> list[Slot]:
        """The nearest feasible slots, widening the loaded window only when needed."""
        technicians = load_technicians(self.session, self.p)
        for days in (1, 7, self.settings.search_days):
            snap = self.snapshot_day(technicians, margin_days=days + 1)
            planner = Planner(
                technicians,
                self.service,
                self.req.postal_code,
                self.location,
                snap.bookings,
                snap.busy,
                _with_search_days(self.settings, days),
                self.travel,
                self.req.ignore_appointment_id,
                self.req.duration,
            )
            found = planner.suggestions(self.req.start, preferred, limit, earliest=utcnow())
            if len(found) >= limit or days == self.settings.search_days:
                return found
        return []

    def refuse(self, reasons: list[Reason], technician: TechnicianData | None) -> ApiError:
        """The error for a refused booking: 422 for skills, 409 with suggestions otherwise."""
        if reasons and reasons[0] == Reason.SKILL_MISMATCH:
            return skill_mismatch(self.req, technician)
        preferred = technician.id if technician else None
        return slot_not_available(
            self.req,
            preferred,
            str(reasons[0]) if reasons else "already_booked",
            format_suggestions(self.suggestions(preferred)),
        )


def _with_search_days(settings: SchedulingSettings, days: int) -> SchedulingSettings:
    from dataclasses import replace

    return replace(settings, search_days=days)


def assign(session: Session, p: Principal, req: Request) -> str:
    """Check the requested technician, or choose one; raise 409/422 if it cannot be booked."""
    booker = Booker(session, p, req)
    if req.technician_id is not None:
        lock_technician(session, req.technician_id)
        technician = load_technicians(session, p, [req.technician_id])[0]
        reasons = booker.check(technician)
        if reasons:
            raise booker.refuse(reasons, technician)
        return req.technician_id
    for _ in range(ASSIGN_ATTEMPTS):
        technicians = load_technicians(session, p)
        snap = booker.snapshot_day(technicians)
        planner = Planner(
            technicians,
            booker.service,
            req.postal_code,
            booker.location,
            snap.bookings,
            snap.busy,
            booker.settings,
            booker.travel,
            req.ignore_appointment_id,
            req.duration,
        )
        choice = planner.choose_technician(req.start)
        if choice.technician is None:
            raise booker.refuse(choice.reasons or [Reason.ALREADY_BOOKED], None)
        # Lock the chosen technician, then check again: a concurrent booking may have taken
        # him between our read and the lock (PostgreSQL; SQLite already serialises writers).
        lock_technician(session, choice.technician.id)
        if not booker.check(choice.technician):
            return choice.technician.id
    raise booker.refuse([Reason.ALREADY_BOOKED], None)
