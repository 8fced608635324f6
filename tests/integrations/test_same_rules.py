"""A move made in a remote calendar is checked with the same travel times as through the API.

The worker has no Flask app context: the OSRM address reaches the booking rules through the
session's settings (hub.db.Database), and one pooled client per process serves them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.db import get_db
from hub.integrations import engine
from hub.integrations.runtime import SyncRuntime
from hub.models import Event
from hub.services.scheduling_data import osrm_client
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.support import PIERRE_EMAIL, at, book, dispatch, next_weekday
from tests.scheduling.fake_osrm import FakeOsrm
from tests.support import Api, Tenant, truncate_all

PIERRE = "second_technician_id"
FAR = {"address": "1 rue des Pyrénées", "city": "Paris", "postal_code": "75020"}


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    """Slow traffic: 2 m/s, where the great-circle estimate assumes a city car's speed."""
    fake = FakeOsrm(speed_mps=2.0).start()
    yield fake
    fake.stop()


@pytest.fixture
def app(base_config: dict[str, Any], osrm: FakeOsrm) -> Iterator[Flask]:
    """An application configured with the OSRM fake (replaces the suite's shared app)."""
    from hub import create_app

    application = create_app({**base_config, "osrm_url": osrm.base_url})
    yield application
    truncate_all(application)
    get_db(application).engine.dispose()


def _worker_sync(rt: SyncRuntime, connection_id: str) -> dict[str, Any]:
    """One sync run in a thread of its own, as the worker runs it: no app context."""
    result: dict[str, Any] = {}

    def run() -> None:
        stats = engine.sync_now(rt, connection_id)
        result.update(stats or {})

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    return result


def _event_of(fake: FakeGoogleCalendar, appointment_id: str) -> dict[str, Any]:
    for event in fake.events(PIERRE_EMAIL):
        private = event.get("extendedProperties", {}).get("private", {})
        if private.get("ivalid_appointment_id") == appointment_id:
            return event
    raise AssertionError(f"no event for {appointment_id}")


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_remote_move_sees_the_travel_times_the_api_sees(
    app: Flask,
    api: Api,
    tenant: Tenant,
    rt: SyncRuntime,
    connected: str,
    fake: FakeGoogleCalendar,
    osrm: FakeOsrm,
) -> None:
    day = next_weekday()
    first = book(
        api, tenant.ids, at(day, 10), technician=PIERRE
    )  # 75001, 10:00-12:00, 15 min buffers
    second = book(api, tenant.ids, at(day, 15), technician=PIERRE, location=FAR)
    assert first.status_code == 201 and second.status_code == 201, second.json
    dispatch(app)
    engine.sync_now(rt, connected)
    target = at(day, 12, 50)  # enough for the great-circle estimate, not at 2 m/s

    # Through the API: refused, because the OSRM fake says the drive takes ~40 minutes.
    asked = len(osrm.requests)
    check = api.post(
        "/v2/availability/check",
        {
            "service_id": tenant.ids["service_id"],
            "scheduled_at": _z(target),
            "technician_id": tenant.ids[PIERRE],
            "postal_code": "75020",
        },
    )
    assert check.status_code == 200 and check.json["available"] is False, check.json
    moved = api.post(
        f"/v2/appointments/{second.json['id']}/reschedule", {"scheduled_at": _z(target)}
    )
    assert moved.status_code == 409, moved.json
    api_code = moved.json["error"]["code"]
    assert len(osrm.requests) > asked

    # The same move made in Google Calendar, applied by the worker: refused the same way.
    event = _event_of(fake, second.json["id"])
    fake.user_move(event["id"], target, target + timedelta(minutes=120), calendar_id=PIERRE_EMAIL)
    asked = len(osrm.requests)
    stats = _worker_sync(rt, connected)
    assert stats.get("conflicts") == 1, stats
    assert len(osrm.requests) > asked, "the worker did not ask the OSRM server"
    assert api.get(f"/v2/appointments/{second.json['id']}").json["scheduled_at"] == _z(at(day, 15))
    with rt.db.session() as session:
        conflict = session.scalars(select(Event).where(Event.type == "integration.conflict")).one()
    assert conflict.data["reason"] == api_code


def test_one_pooled_travel_client_per_process(osrm: FakeOsrm) -> None:
    """Every booking of a process shares one OSRM client (and its keep-alive connections)."""
    assert osrm_client(osrm.base_url) is osrm_client(osrm.base_url)
