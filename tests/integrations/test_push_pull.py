"""Push (outbox → insert / PATCH If-Match / delete) and pull (remote edits → services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.integrations import engine
from hub.integrations.runtime import SyncRuntime
from hub.models import Event, ExternalBusy
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.support import JEAN_EMAIL, at, book, dispatch, next_weekday
from tests.support import Api, Tenant

WRITES = ("events.insert", "events.patch", "events.delete")


def _writes(fake: FakeGoogleCalendar) -> int:
    return sum(fake.calls[name] for name in WRITES)


def _event_of(
    fake: FakeGoogleCalendar, appointment_id: str, calendar: str = JEAN_EMAIL
) -> dict[str, Any]:
    for event in fake.events(calendar, include_deleted=True):
        private = event.get("extendedProperties", {}).get("private", {})
        if private.get("ivalid_appointment_id") == appointment_id:
            return event
    raise AssertionError(f"no event for {appointment_id}")


@pytest.fixture
def booked(
    app: Flask, api: Api, tenant: Tenant, rt: SyncRuntime, connected: str, fake: FakeGoogleCalendar
) -> dict[str, Any]:
    """An appointment of Jean's, pushed to his calendar; counters reset."""
    resp = book(api, tenant.ids, at(next_weekday(), 10))
    assert resp.status_code == 201, resp.json
    dispatch(app)
    engine.sync_now(rt, connected)
    fake.reset_counters()
    return dict(resp.json)


def _sync(app: Flask, rt: SyncRuntime, connected: str) -> dict[str, Any]:
    dispatch(app)
    stats = engine.sync_now(rt, connected)
    assert stats is not None
    return stats


def test_created_appointment_is_inserted_with_our_id(
    booked: dict[str, Any], fake: FakeGoogleCalendar
) -> None:
    """The event carries our id (extendedProperties) and the appointment's times."""
    event = _event_of(fake, booked["id"])
    assert event["summary"] == "Installation Climatisation — Marie Dupont"
    assert event["start"]["dateTime"].startswith(booked["scheduled_at"][:10])
    assert event["status"] == "tentative"


def test_local_change_is_one_conditional_patch_and_no_echo(
    app: Flask,
    api: Api,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """A reschedule is one PATCH with If-Match; pulling it back applies nothing."""
    before = _event_of(fake, booked["id"])
    new_start = at(next_weekday(), 14).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        api.post(
            f"/v2/appointments/{booked['id']}/reschedule", {"scheduled_at": new_start}
        ).status_code
        == 200
    )
    stats = _sync(app, rt, connected)
    patch = [r for r in fake.requests if r.endpoint == "events.patch"]
    assert len(patch) == 1 and patch[0].if_match == before["etag"]
    assert stats["echoes"] >= 1 and "applied_moves" not in stats
    fake.reset_counters()
    _sync(app, rt, connected)
    assert _writes(fake) == 0


def test_cancel_deletes_with_if_match(
    app: Flask,
    api: Api,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """Cancelled in iValid → deleted in Google (conditionally); the deletion's echo is ignored."""
    etag = _event_of(fake, booked["id"])["etag"]
    assert api.post(f"/v2/appointments/{booked['id']}/cancel").status_code == 200
    _sync(app, rt, connected)
    deletes = [r for r in fake.requests if r.endpoint == "events.delete"]
    assert len(deletes) == 1 and deletes[0].if_match == etag
    assert _event_of(fake, booked["id"])["status"] == "cancelled"
    fake.reset_counters()
    _sync(app, rt, connected)
    assert _writes(fake) == 0


def test_remote_move_reschedules_through_the_rules(
    app: Flask,
    api: Api,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """Dragged in Google to a free slot: the appointment moves; nothing is written back."""
    event = _event_of(fake, booked["id"])
    start = at(next_weekday(), 15)
    fake.user_move(event["id"], start, start + timedelta(minutes=120), calendar_id=JEAN_EMAIL)
    stats = _sync(app, rt, connected)
    assert stats["applied_moves"] == 1
    moved = api.get(f"/v2/appointments/{booked['id']}").json
    assert moved["scheduled_at"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    _sync(app, rt, connected)  # the appointment.updated event reaches the push: skipped
    assert _writes(fake) == 0


def test_remote_move_into_a_conflict_is_put_back(
    app: Flask,
    api: Api,
    tenant: Tenant,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """Dragged onto another appointment: refused by the booking rules, the event is put back,
    and `integration.conflict` says what happened."""
    other = book(api, tenant.ids, at(next_weekday(), 14))
    assert other.status_code == 201
    _sync(app, rt, connected)
    fake.reset_counters()
    event = _event_of(fake, booked["id"])
    start = at(next_weekday(), 14)
    fake.user_move(event["id"], start, start + timedelta(minutes=120), calendar_id=JEAN_EMAIL)
    stats = _sync(app, rt, connected)
    assert stats["conflicts"] == 1 and fake.calls["events.patch"] == 1
    put_back = _event_of(fake, booked["id"])
    assert put_back["start"]["dateTime"] == event["start"]["dateTime"]
    assert (
        api.get(f"/v2/appointments/{booked['id']}").json["scheduled_at"] == booked["scheduled_at"]
    )
    with rt.db.session() as session:
        conflict = session.scalars(select(Event).where(Event.type == "integration.conflict")).one()
    assert conflict.data["appointment_id"] == booked["id"]
    assert conflict.data["reason"] == "SLOT_NOT_AVAILABLE"
    assert conflict.data["action"] == "reverted"
    fake.reset_counters()
    _sync(app, rt, connected)
    assert _writes(fake) == 0  # no ping-pong after the put-back


def test_remote_delete_cancels(
    app: Flask,
    api: Api,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """Deleted in Google → cancelled in iValid (appointment.cancelled for the webhooks)."""
    fake.user_delete(_event_of(fake, booked["id"])["id"], calendar_id=JEAN_EMAIL)
    stats = _sync(app, rt, connected)
    assert stats["applied_cancels"] == 1
    assert api.get(f"/v2/appointments/{booked['id']}").json["status"] == "cancelled"
    _sync(app, rt, connected)
    assert _writes(fake) == 0


def test_retitle_is_kept_on_later_pushes(
    app: Flask,
    api: Api,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """Renamed in Google: no write back; a later change in iValid keeps the new title."""
    event = _event_of(fake, booked["id"])
    fake.user_retitle(event["id"], "Chantier Dupont — prévoir l'échelle", calendar_id=JEAN_EMAIL)
    stats = _sync(app, rt, connected)
    assert stats["retitled"] == 1 and _writes(fake) == 0
    api.put(f"/v2/appointments/{booked['id']}", {"notes": "Code portail 4321"})
    _sync(app, rt, connected)
    event = _event_of(fake, booked["id"])
    assert event["summary"] == "Chantier Dupont — prévoir l'échelle"
    assert "Code portail 4321" in event["description"]


def test_concurrent_edits_ivalid_wins_and_keeps_the_remote_title(
    app: Flask,
    api: Api,
    booked: dict[str, Any],
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """Moved in Google and in iValid before a sync: the PATCH gets 412, re-reads, and pushes
    iValid's time over it, keeping the title the user typed."""
    event = _event_of(fake, booked["id"])
    remote_start = at(next_weekday(), 15)
    fake.user_edit(
        event["id"],
        JEAN_EMAIL,
        summary="Renommé",
        start={"dateTime": remote_start.isoformat()},
        end={"dateTime": (remote_start + timedelta(hours=2)).isoformat()},
    )
    local = at(next_weekday(), 13).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        api.post(f"/v2/appointments/{booked['id']}/reschedule", {"scheduled_at": local}).status_code
        == 200
    )
    stats = _sync(app, rt, connected)
    assert stats["push_conflicts"] == 1
    event = _event_of(fake, booked["id"])
    assert event["summary"] == "Renommé"
    assert api.get(f"/v2/appointments/{booked['id']}").json["scheduled_at"] == local
    assert event["start"]["dateTime"].startswith(local[:10])
    fake.reset_counters()
    _sync(app, rt, connected)
    assert _writes(fake) == 0


def test_foreign_events_become_busy_periods(
    app: Flask,
    api: Api,
    tenant: Tenant,
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
) -> None:
    """The technician's own events block his time (source google-calendar); a "free" one
    does not; deleting them frees the time."""
    day = next_weekday()
    dentist = fake.user_create("Dentiste", at(day, 11), at(day, 12), calendar_id=JEAN_EMAIL)
    fake.user_create(
        "Disponible", at(day, 15), at(day, 16), calendar_id=JEAN_EMAIL, transparency="transparent"
    )
    engine.sync_now(rt, connected)
    with rt.db.session() as session:
        busy = session.scalars(select(ExternalBusy)).all()
    assert [(b.source, b.external_id, b.summary) for b in busy] == [
        ("google-calendar", dentist["id"], None)  # times only: never the private title
    ]
    assert busy[0].technician_id == tenant.ids["technician_id"]
    refused = book(api, tenant.ids, at(day, 11))
    assert refused.status_code == 409, refused.json
    fake.user_delete(dentist["id"], calendar_id=JEAN_EMAIL)
    api.post("/v2/integrations/google-calendar/sync")
    engine.sync_now(rt, connected)
    with rt.db.session() as session:
        assert session.scalars(select(ExternalBusy)).all() == []
    assert book(api, tenant.ids, at(day, 11)).status_code == 201
