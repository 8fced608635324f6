"""Loading what the scheduling engine needs from the database, as its plain dataclasses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.config import Settings
from hub.errors import ApiError
from hub.models import Account, Appointment, ExternalBusy, Service, Technician
from hub.models.appointment import ACTIVE_STATUSES
from hub.scheduling import (
    Booking,
    BusyPeriod,
    GeoPoint,
    HaversineTravel,
    OsrmTravel,
    SchedulingSettings,
    ServiceData,
    TechnicianData,
    TravelProvider,
    centroid,
    parse_working_hours,
)

SETTING_KEYS = ("slot_step_minutes", "road_factor", "average_speed_kmh", "search_days")


def settings_for(session: Session, p: Principal) -> SchedulingSettings:
    """The account's scheduling settings (time zone, slot step, travel speed)."""
    account = session.get(Account, p.account_id)
    tz = account.timezone if account else "Europe/Paris"
    extra = {
        k: v for k, v in ((account.settings or {}) if account else {}).items() if k in SETTING_KEYS
    }
    return SchedulingSettings(timezone=tz, **extra)


def hub_settings(session: Session) -> Settings | None:
    """The process's settings, as the Database put them on every session."""
    settings = session.info.get("settings")
    return settings if isinstance(settings, Settings) else None


@lru_cache(maxsize=8)
def osrm_client(base_url: str) -> OsrmTravel:
    """The one pooled OSRM client of this process for `base_url` (keep-alive connections)."""
    return OsrmTravel(base_url)


def travel_provider(settings: SchedulingSettings, session: Session) -> TravelProvider:
    """OSRM when IVALID_OSRM_URL is set, otherwise the great-circle estimate.

    The URL comes from the session's settings (see `hub.db.Database`), never from a Flask app
    context: the API and the worker decide with the same travel times.
    """
    config = hub_settings(session)
    if config is not None and config.osrm_url:
        return osrm_client(config.osrm_url)
    return HaversineTravel.from_settings(settings)


def service_data(s: Service) -> ServiceData:
    """A Service row as the engine's ServiceData."""
    return ServiceData(
        id=s.id,
        duration=s.duration,
        buffer_before=s.buffer_before,
        buffer_after=s.buffer_after,
        required_skills=frozenset(s.required_skills or ()),
    )


def technician_data(t: Technician) -> TechnicianData:
    """A Technician row as the engine's TechnicianData (home: start, else current location)."""
    home = None
    if t.start_lat is not None and t.start_lng is not None:
        home = GeoPoint(t.start_lat, t.start_lng)
    elif t.current_lat is not None and t.current_lng is not None:
        home = GeoPoint(t.current_lat, t.current_lng)
    return TechnicianData(
        id=t.id,
        name=t.name,
        skills=frozenset(t.skills or ()),
        zones=tuple(t.zones or ()),
        working_hours=parse_working_hours(t.working_hours or {}),
        max_appointments_per_day=t.max_appointments_per_day,
        home=home,
    )


def locate(postal_code: str | None, lat: float | None, lng: float | None) -> GeoPoint:
    """Where an intervention is: its coordinates, else its postal code's centroid, else 422."""
    if lat is not None and lng is not None:
        return GeoPoint(lat, lng)
    point = centroid(postal_code) if postal_code else None
    if point is None:
        raise ApiError(422, "UNKNOWN_POSTAL_CODE", {"postal_code": postal_code})
    return point


# How far around the days of interest bookings are loaded. The first appointment of a day
# starts from home, so only neighbours whose buffered time reaches into the day matter: six
# hours covers them. A technician whose shift crosses midnight needs the whole next day.
# (Loading rows is most of an availability request's cost: no more than needed.)
MARGIN = timedelta(hours=6)
OVERNIGHT_MARGIN = timedelta(hours=24)


def local_window(
    day_from: date,
    day_to: date,
    tz: ZoneInfo,
    technicians: Iterable[TechnicianData] = (),
    margin_days: int = 0,
) -> tuple[datetime, datetime]:
    """UTC bounds of local days [day_from, day_to] plus a margin fitted to the shifts."""
    overnight = any(end <= start for t in technicians for start, end in t.working_hours.values())
    margin = OVERNIGHT_MARGIN if overnight else MARGIN
    start = datetime.combine(day_from - timedelta(days=margin_days), time.min, tz) - margin
    end = datetime.combine(day_to + timedelta(days=margin_days + 1), time.min, tz) + margin
    return start, end


@dataclass
class Snapshot:
    """Technicians with their bookings and busy periods over a time window."""

    technicians: list[TechnicianData]
    bookings: dict[str, list[Booking]]
    busy: dict[str, list[BusyPeriod]]
    window: tuple[datetime, datetime]


_TECHNICIAN_CACHE: dict[tuple[str, datetime], TechnicianData] = {}


def load_technicians(
    session: Session, p: Principal, ids: Iterable[str] | None = None
) -> list[TechnicianData]:
    """The account's technicians (or the given ones) as engine data.

    Parsed technicians are kept per (id, updated_at): rows change rarely and parsing working
    hours for every technician on every availability request was a tenth of its cost.
    """
    stmt = select(Technician).where(
        Technician.account_id == p.account_id, Technician.environment == p.environment
    )
    if ids is not None:
        stmt = stmt.where(Technician.id.in_(list(ids)))
    out = []
    for t in session.scalars(stmt):
        key = (t.id, t.updated_at)
        data = _TECHNICIAN_CACHE.get(key)
        if data is None:
            if len(_TECHNICIAN_CACHE) > 50_000:
                _TECHNICIAN_CACHE.clear()
            data = _TECHNICIAN_CACHE[key] = technician_data(t)
        out.append(data)
    return out


def load_snapshot(
    session: Session,
    technicians: list[TechnicianData],
    window: tuple[datetime, datetime],
) -> Snapshot:
    """Active appointments and busy periods of `technicians` meeting `window` (Core)."""
    ids = [t.id for t in technicians]
    bookings: dict[str, list[Booking]] = defaultdict(list)
    busy: dict[str, list[BusyPeriod]] = defaultdict(list)
    if ids:
        rows: Any = session.execute(
            select(
                Appointment.id,
                Appointment.technician_id,
                Appointment.scheduled_at,
                Appointment.ends_at,
                Appointment.buffer_before,
                Appointment.buffer_after,
                Appointment.lat,
                Appointment.lng,
                Appointment.postal_code,
            )
            .where(
                Appointment.technician_id.in_(ids),
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.block_end > window[0],
                Appointment.block_start < window[1],
            )
            .order_by(Appointment.scheduled_at)
        )
        points: dict[tuple[float, float], GeoPoint] = {}
        for rid, tech, start, end, before, after, lat, lng, postal in rows.tuples():
            loc = None
            if lat is not None and lng is not None:
                loc = points.get((lat, lng))
                if loc is None:
                    loc = points[(lat, lng)] = GeoPoint(lat, lng)
            bookings[tech].append(Booking(rid, tech, start, end, before, after, loc, postal))
        for b in session.execute(
            select(ExternalBusy.technician_id, ExternalBusy.starts_at, ExternalBusy.ends_at).where(
                ExternalBusy.technician_id.in_(ids),
                ExternalBusy.ends_at > window[0],
                ExternalBusy.starts_at < window[1],
            )
        ):
            busy[b.technician_id].append(BusyPeriod(b.technician_id, b.starts_at, b.ends_at))
    return Snapshot(technicians, dict(bookings), dict(busy), window)
