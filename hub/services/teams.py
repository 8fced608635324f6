"""Team and technician operations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.auth.guard import Principal
from hub.db import transaction
from hub.errors import ApiError, field_error
from hub.ids import new_id
from hub.models import Appointment, Team, Technician
from hub.models.appointment import ACTIVE_STATUSES
from hub.scheduling import in_zone
from hub.schemas.common import PageQuery
from hub.schemas.teams import (
    TeamCreate,
    TeamUpdate,
    TechnicianCreate,
    TechnicianQuery,
    TechnicianUpdate,
)
from hub.services.tenancy import get_owned, get_reference, paginate, paginate_list, scoped
from hub.timeutil import iso


def _team_rep(session: Session, t: Team) -> dict[str, Any]:
    ids = list(
        session.scalars(
            select(Technician.id).where(Technician.team_id == t.id).order_by(Technician.name)
        )
    )
    return rep.team(t, ids)


def create_team(session: Session, p: Principal, body: TeamCreate) -> dict[str, Any]:
    """Create a team."""
    with transaction(session):
        t = Team(
            id=new_id("team"),
            account_id=p.account_id,
            environment=p.environment,
            **body.model_dump(),
        )
        session.add(t)
        session.flush()
        return _team_rep(session, t)


def update_team(session: Session, p: Principal, team_id: str, body: TeamUpdate) -> dict[str, Any]:
    """Rename or describe a team."""
    with transaction(session):
        t = get_owned(session, Team, team_id, p, for_update=True)
        for field, value in body.model_dump(exclude_unset=True).items():
            if value is None and field == "name":
                continue
            setattr(t, field, value)
        session.flush()
        return _team_rep(session, t)


def get_team(session: Session, p: Principal, team_id: str) -> dict[str, Any]:
    """One team."""
    return _team_rep(session, get_owned(session, Team, team_id, p))


def list_teams(session: Session, p: Principal, q: PageQuery) -> dict[str, Any]:
    """A page of teams."""
    stmt = scoped(select(Team), Team, p).order_by(Team.name, Team.id)
    items, meta = paginate(session, stmt, q.page, q.per_page)
    return {"data": [_team_rep(session, t) for t in items], "meta": meta}


def _apply_technician(t: Technician, fields: dict[str, Any]) -> None:
    for field, value in fields.items():
        if field in ("current_location", "start_location"):
            prefix = "current" if field == "current_location" else "start"
            setattr(t, f"{prefix}_lat", value["lat"] if value else None)
            setattr(t, f"{prefix}_lng", value["lng"] if value else None)
        elif field == "working_hours":
            setattr(t, field, {k: v for k, v in (value or {}).items() if v is not None})
        elif field in ("skills", "zones"):
            setattr(t, field, list(dict.fromkeys(value or [])))
        elif field == "name" and value is None:
            continue
        else:
            setattr(t, field, value)


def create_technician(session: Session, p: Principal, body: TechnicianCreate) -> dict[str, Any]:
    """Create a technician."""
    with transaction(session):
        if body.team_id:
            get_reference(session, Team, body.team_id, p, "team_id")
        t = Technician(id=new_id("tech"), account_id=p.account_id, environment=p.environment)
        _apply_technician(t, body.model_dump(mode="json"))
        if t.email:
            t.email = t.email.lower()
        session.add(t)
        session.flush()
        return rep.technician(t)


def update_technician(
    session: Session, p: Principal, technician_id: str, body: TechnicianUpdate
) -> dict[str, Any]:
    """Change the fields sent (future bookings are checked against the new rules)."""
    with transaction(session):
        t = get_owned(session, Technician, technician_id, p, for_update=True)
        fields = body.model_dump(exclude_unset=True, mode="json")
        if fields.get("team_id"):
            get_reference(session, Team, fields["team_id"], p, "team_id")
        _apply_technician(t, fields)
        session.flush()
        return rep.technician(t)


def get_technician(session: Session, p: Principal, technician_id: str) -> dict[str, Any]:
    """One technician."""
    return rep.technician(get_owned(session, Technician, technician_id, p))


def list_technicians(session: Session, p: Principal, q: TechnicianQuery) -> dict[str, Any]:
    """A page of technicians, filtered by team, skill or zone."""
    stmt = scoped(select(Technician), Technician, p).order_by(Technician.name, Technician.id)
    if q.team_id:
        stmt = stmt.where(Technician.team_id == q.team_id)
    if q.skill or q.zone:
        rows = [
            t
            for t in session.scalars(stmt)
            if (not q.skill or q.skill in (t.skills or []))
            and (not q.zone or in_zone(q.zone, t.zones or []))
        ]
        page_rows, meta = paginate_list(rows, q.page, q.per_page)
        return {"data": [rep.technician(t) for t in page_rows], "meta": meta}
    items, meta = paginate(session, stmt, q.page, q.per_page)
    return {"data": [rep.technician(t) for t in items], "meta": meta}


def account_zone(session: Session, p: Principal) -> ZoneInfo:
    """The account's time zone (Europe/Paris by default), as its scheduling settings say."""
    from hub.services.scheduling_data import settings_for

    return settings_for(session, p).tz


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and ends (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time.min, tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tz)
    return start, end


def parse_day(text: str | None, tz: ZoneInfo) -> date:
    """A YYYY-MM-DD date, or today in the account's zone."""
    if not text:
        return datetime.now(tz).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            {"errors": [field_error("date", "date_parsing")]},
        ) from exc


def schedule(
    session: Session, p: Principal, technician_id: str, day_text: str | None
) -> dict[str, Any]:
    """One technician's day: appointments in time order, travel legs and free windows."""
    from hub.scheduling import TravelCache, day_plan
    from hub.services.scheduling_data import (
        load_snapshot,
        local_window,
        settings_for,
        technician_data,
        travel_provider,
    )

    t = get_owned(session, Technician, technician_id, p)
    settings = settings_for(session, p)
    tz = settings.tz
    day = parse_day(day_text, tz)
    start, end = local_day_bounds(day, tz)
    rows = session.scalars(
        select(Appointment)
        .where(
            Appointment.technician_id == t.id,
            Appointment.status.in_((*ACTIVE_STATUSES, "completed")),
            Appointment.scheduled_at < end,
            Appointment.ends_at > start,
        )
        .order_by(Appointment.scheduled_at)
    ).unique()
    tech = technician_data(t)
    snap = load_snapshot(session, [tech], local_window(day, day, tz, [tech]))
    plan = day_plan(
        tech,
        snap.bookings.get(t.id, []),
        day,
        settings,
        TravelCache(travel_provider(settings, session)),
        snap.busy.get(t.id, []),
    )
    return {
        "technician": {"id": t.id, "name": t.name},
        "date": day.isoformat(),
        "timezone": tz.key,
        "working_hours": (t.working_hours or {}).get(day.strftime("%A").lower()),
        "appointments": [rep.appointment(a) for a in rows],
        "travel": [leg.as_dict() for leg in plan.legs],
        "total_travel_time": plan.total_travel,
        "free_windows": [
            {
                "start": s.astimezone(tz).strftime("%H:%M"),
                "end": e.astimezone(tz).strftime("%H:%M"),
                "start_at": iso(s),
                "end_at": iso(e),
            }
            for s, e in plan.free_windows
        ],
    }
