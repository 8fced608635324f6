"""Google Calendar as the real service constrains it, through the hub: the bounded full sync
and recurring series, event types, private titles, access roles and data owners, the batch
export of a newly linked calendar, and channels stopped with a fresh token on disconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub.integrations import channels, engine
from hub.integrations.runtime import SyncRuntime
from hub.models import ExternalBusy, IntegrationConnection, IntegrationStream, Technician
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import connection_id
from tests.integrations.support import (
    JEAN_EMAIL,
    NAME,
    PARIS,
    MovingClock,
    at,
    book,
    connect,
    next_weekday,
)
from tests.support import Api, Tenant

BASE = f"/v2/integrations/{NAME}"


def _busy(rt: SyncRuntime) -> list[ExternalBusy]:
    with rt.db.session() as session:
        rows = list(session.scalars(select(ExternalBusy).order_by(ExternalBusy.starts_at)))
        session.expunge_all()
        return rows


def test_a_weekly_series_blocks_each_week_within_the_window_only(
    api: Api, tenant: Tenant, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """A weekly series without an end on Jean's calendar: every instance of the window is a
    busy period (30 days back, 365 ahead: ~56 rows, not decades of them), and a booking on
    a later week's occurrence is refused."""
    day = next_weekday()
    start = datetime.combine(day.date() - timedelta(weeks=10), datetime.min.time(), PARIS)
    fake.user_create(
        "Cours du soir",
        start.replace(hour=10),
        start.replace(hour=12),
        calendar_id=JEAN_EMAIL,
        time_zone="Europe/Paris",
        recurrence=["RRULE:FREQ=WEEKLY"],
    )
    engine.sync_now(rt, connected)
    rows = _busy(rt)
    assert 54 <= len(rows) <= 57
    assert rows[-1].starts_at < rt.clock.now() + timedelta(days=365)
    lists = [r for r in fake.requests if r.endpoint == "events.list" and JEAN_EMAIL in r.path]
    assert lists and all("timeMax" in r.query for r in lists)
    later = day + timedelta(weeks=3)
    assert any(r.starts_at == at(later, 10) for r in rows)
    refused = book(api, tenant.ids, at(later, 10))
    assert refused.status_code == 409, refused.json
    assert book(api, tenant.ids, at(later + timedelta(days=1), 10)).status_code == 201


def test_event_types_and_private_titles(
    api: Api, tenant: Tenant, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """workingLocation and birthday never block; outOfOffice does; a busy row keeps the times
    and nothing of the title or description (a private event stays private)."""
    day = next_weekday(1)
    fake.user_create(
        "Bureau de Lyon",
        at(day, 8),
        at(day, 18),
        calendar_id=JEAN_EMAIL,
        eventType="workingLocation",
        workingLocationProperties={"type": "officeLocation"},
        visibility="public",
    )
    fake.user_create(
        "Anniversaire de Léa",
        day.date().isoformat(),
        (day + timedelta(days=1)).date().isoformat(),
        calendar_id=JEAN_EMAIL,
        eventType="birthday",
        visibility="private",
        transparency="transparent",
        recurrence=["RRULE:FREQ=YEARLY"],
    )
    away = fake.user_create(
        "Rendez-vous médical",
        at(day, 14),
        at(day, 16),
        calendar_id=JEAN_EMAIL,
        eventType="outOfOffice",
        visibility="private",
        description="Cardiologue, Dr Martin",
    )
    engine.sync_now(rt, connected)
    rows = _busy(rt)
    assert [(r.external_id, r.starts_at, r.ends_at) for r in rows] == [
        (away["id"], at(day, 14), at(day, 16))
    ]
    assert rows[0].summary is None
    assert book(api, tenant.ids, at(day, 9)).status_code == 201  # working location: free
    assert book(api, tenant.ids, at(day, 14)).status_code == 409  # out of office
    listing = api.get(f"{BASE}/links/technicians").get_data(as_text=True)
    assert "médical" not in listing and "Cardiologue" not in listing


def test_read_only_calendars_are_refused_and_data_owners_matched(
    api: Api, tenant: Tenant, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """Linking a calendar the account may only read is a 422 CALENDAR_NOT_WRITABLE; a
    secondary calendar whose dataOwner is a technician's e-mail links him automatically."""
    fake.add_calendar("boss@company.com", "Direction", access_role="reader")
    fake.add_calendar("busy@company.com", "Dispo", access_role="freeBusyReader")
    truck = "camion2x0@group.calendar.google.com"
    fake.add_calendar(truck, "Camion 2", data_owner="luc.petit@company.com")
    with rt.db.session() as session, session.begin():
        session.execute(
            update(Technician)
            .where(Technician.id == tenant.ids["second_technician_id"])
            .values(email="luc.petit@company.com")
        )
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.technician_id == tenant.ids["second_technician_id"])
            .values(technician_id=None, stream="unlinked")
        )
    api.post(f"{BASE}/sync")  # refreshes the calendar list
    engine.sync_now(rt, connected)
    engine.sync_now(rt, connected)
    links = {r["technician_id"]: r for r in api.get(f"{BASE}/links/technicians").json["data"]}
    assert links[tenant.ids["second_technician_id"]]["calendar_id"] == truck
    tech = tenant.ids["technician_id"]
    for calendar, role in (("boss@company.com", "reader"), ("busy@company.com", "freeBusyReader")):
        resp = api.put(f"{BASE}/links/technicians/{tech}", {"calendar_id": calendar})
        assert resp.status_code == 422, resp.json
        assert resp.json["error"]["code"] == "CALENDAR_NOT_WRITABLE"
        assert resp.json["error"]["details"]["access_role"] == role
    assert links[tech]["calendar_id"] == JEAN_EMAIL  # unchanged


def test_a_newly_linked_calendar_is_exported_in_batches(
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
) -> None:
    """Twelve appointments booked before connecting: the first run sends them in one batch
    call (each part still one events.insert, as Google counts it), not twelve requests."""
    for i in range(12):
        resp = book(api, tenant.ids, at(next_weekday(i + 1), 13))
        assert resp.status_code == 201, resp.json
    assert connect(api, client, fake).status_code == 200
    fake.reset_counters()
    stats = engine.sync_now(rt, connection_id(rt, tenant))
    jean = len(fake.events(JEAN_EMAIL))
    assert jean == 13  # and the demo appointment
    assert stats is not None and stats["batched_creates"] >= 13
    assert fake.calls["batch"] == 1  # Pierre's calendar: a single event, sent on its own
    assert fake.calls["events.insert"] == stats["pushed_creates"]
    fake.reset_counters()
    engine.sync_now(rt, connection_id(rt, tenant))
    assert fake.calls["events.insert"] == 0 and fake.calls["batch"] == 0  # nothing twice


def test_a_disconnect_an_hour_later_stops_the_channels(
    api: Api, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str, clock: MovingClock
) -> None:
    """The stored access token is an hour old (Google answers 401 to it): disconnecting
    refreshes it first, so channels.stop succeeds and Google stops posting."""
    engine.sync_now(rt, connected)
    assert channels.renew_due(rt) == 1 and len(fake.channels) == 2
    clock.advance(timedelta(hours=1))
    fake.oauth.expire_access_tokens()  # what an hour does to a Google access token
    with rt.db.session() as session, session.begin():
        session.execute(
            update(IntegrationConnection)
            .where(IntegrationConnection.id == connected)
            .values(token_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    fake.reset_counters()
    resp = api.delete(BASE)
    assert resp.status_code == 200 and resp.json["revoked"] is True
    assert fake.channels == {}
    assert fake.calls["channels.stop"] == 2 and fake.calls["oauth.token"] == 1
    stops = [r for r in fake.requests if r.endpoint == "channels.stop"]
    assert len(stops) == 2
