"""Availability: free slots of a day or a range, the next date with one, and slot checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.models import Service, Technician
from hub.scheduling import GeoPoint, Planner, SchedulingSettings, Slot, TechnicianData, TravelCache
from hub.schemas.availability import AvailabilityQuery, CheckBody, SlotsQuery
from hub.services import booking
from hub.services.scheduling_data import (
    load_snapshot,
    load_technicians,
    local_window,
    locate,
    service_data,
    settings_for,
    travel_provider,
)
from hub.services.tenancy import get_reference
from hub.timeutil import iso, utcnow


def _slot(s: Slot, settings: SchedulingSettings) -> dict[str, Any]:
    tz = settings.tz
    return {
        "start": s.start.astimezone(tz).strftime("%H:%M"),
        "end": s.end.astimezone(tz).strftime("%H:%M"),
        "technician_id": s.technician_id,
        "technician_name": s.technician_name,
        "travel_time": s.travel_time,
        "start_at": iso(s.start),
        "end_at": iso(s.end),
    }


class _Search:
    """The technicians, place and settings of one availability request."""

    def __init__(
        self,
        session: Session,
        p: Principal,
        service_id: str,
        postal_code: str,
        technician_id: str | None,
        duration: int | None,
        location: GeoPoint | None = None,
    ) -> None:
        self.session = session
        self.service = service_data(get_reference(session, Service, service_id, p, "service_id"))
        if technician_id:
            get_reference(session, Technician, technician_id, p, "technician_id")
        self.technicians: list[TechnicianData] = load_technicians(
            session, p, [technician_id] if technician_id else None
        )
        self.settings = settings_for(session, p)
        self.postal_code = postal_code
        self.location = location or locate(postal_code, None, None)
        self.duration = duration
        self.travel = TravelCache(travel_provider(self.settings, session))

    def planner(
        self,
        first: date,
        last: date,
        search_days: int | None = None,
        loaded: tuple[date, date] | None = None,
    ) -> Planner:
        """A planner over local days [first, last] (bookings of `loaded` days, default those)."""
        lo, hi = loaded or (first, last)
        snap = load_snapshot(
            self.session, self.technicians, local_window(lo, hi, self.settings.tz, self.technicians)
        )
        settings = (
            self.settings
            if search_days is None
            else replace(self.settings, search_days=search_days)
        )
        return Planner(
            self.technicians,
            self.service,
            self.postal_code,
            self.location,
            snap.bookings,
            snap.busy,
            settings,
            self.travel,
            None,
            self.duration,
        )

    def next_available_date(self, after: date, planner: Planner | None) -> date | None:
        """The first date after `after` with a slot: tomorrow (with `planner`, whose bookings
        cover it), then the rest of the horizon, loaded only if tomorrow is full."""
        now = utcnow()
        tomorrow = after + timedelta(days=1)
        if (
            planner is not None
            and self.settings.search_days >= 1
            and planner.slots(tomorrow, now, first_only=True)
        ):
            return tomorrow
        if self.settings.search_days <= 1:
            return None
        horizon = after + timedelta(days=self.settings.search_days)
        return self.planner(
            tomorrow + timedelta(days=1), horizon, self.settings.search_days - 1
        ).next_available_date(tomorrow, now)


def day(session: Session, p: Principal, q: AvailabilityQuery) -> dict[str, Any]:
    """GET /v2/availability: the day's free slots and the next date with one."""
    search = _Search(session, p, q.service_id, q.postal_code, q.technician_id, q.duration)
    # One load covers the day and the next one, the usual answer for next_available_date.
    planner = search.planner(q.date, q.date, loaded=(q.date, q.date + timedelta(days=1)))
    slots = planner.slots(q.date, utcnow())
    following = search.next_available_date(q.date, planner)
    return {
        "date": q.date.isoformat(),
        "slots": [_slot(s, search.settings) for s in slots],
        "next_available_date": following.isoformat() if following else None,
    }


def range_(session: Session, p: Principal, q: SlotsQuery) -> dict[str, Any]:
    """GET /v2/availability/slots: free slots over up to 31 days, grouped by date."""
    search = _Search(session, p, q.service_id, q.postal_code, q.technician_id, q.duration)
    planner = search.planner(q.date_from, q.date_to)
    now = utcnow()
    days = []
    current = q.date_from
    while current <= q.date_to:
        days.append(
            {
                "date": current.isoformat(),
                "slots": [_slot(s, search.settings) for s in planner.slots(current, now)],
            }
        )
        current += timedelta(days=1)
    return {"date_from": q.date_from.isoformat(), "date_to": q.date_to.isoformat(), "days": days}


def check_slot(session: Session, p: Principal, body: CheckBody) -> dict[str, Any]:
    """POST /v2/availability/check: the same rules as a booking, without booking."""
    service = get_reference(session, Service, body.service_id, p, "service_id")
    if body.technician_id:
        get_reference(session, Technician, body.technician_id, p, "technician_id")
    loc = body.location
    postal = loc.postal_code if loc is not None else body.postal_code
    coords = loc.coordinates if loc is not None else None
    req = booking.Request(
        service=service,
        start=body.scheduled_at,
        duration=body.duration or service.duration,
        postal_code=postal,
        lat=coords.lat if coords else None,
        lng=coords.lng if coords else None,
        technician_id=body.technician_id,
    )
    booker = booking.Booker(session, p, req)
    if body.technician_id:
        technician = load_technicians(session, p, [body.technician_id])[0]
        reasons = [str(r) for r in booker.check(technician)]
        chosen: str | None = technician.id
        travel = None
    else:
        technicians = load_technicians(session, p)
        snap = booker.snapshot_day(technicians)
        planner = Planner(
            technicians,
            booker.service,
            postal,
            booker.location,
            snap.bookings,
            snap.busy,
            booker.settings,
            booker.travel,
            None,
            req.duration,
        )
        choice = planner.choose_technician(req.start)
        chosen = choice.technician.id if choice.technician else None
        reasons = [str(r) for r in choice.reasons]
        travel = choice.travel_time if choice.technician else None
    available = not reasons
    suggestions = [] if available else booking.format_suggestions(booker.suggestions(chosen))
    return {
        "available": available,
        "technician_id": chosen,
        "travel_time": travel,
        "reasons": reasons,
        "suggestions": suggestions,
    }
