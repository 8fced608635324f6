"""Mapping override and preview, technician calendar links — through the API."""

from __future__ import annotations

from flask import Flask

from hub.integrations import engine
from hub.integrations.runtime import SyncRuntime
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.support import (
    JEAN_EMAIL,
    NAME,
    PIERRE_EMAIL,
    at,
    book,
    dispatch,
    next_weekday,
)
from tests.support import Api, Tenant

BASE = f"/v2/integrations/{NAME}"


def _apt(api: Api) -> str:
    return str(api.get("/v2/appointments").json["data"][0]["id"])


def test_preview_renders_the_appointment(api: Api, tenant: Tenant, rt: SyncRuntime) -> None:
    """What the demo appointment becomes in Google Calendar, with our markers."""
    apt = _apt(api)
    resp = api.post(f"{BASE}/mapping/preview", {"appointment_id": apt})
    assert resp.status_code == 200, resp.json
    payload = resp.json["payload"]
    assert payload["summary"] == "Installation Climatisation — Marie Dupont"
    assert payload["start"]["timeZone"] == "Europe/Paris"
    assert payload["extendedProperties"]["private"]["ivalid_appointment_id"] == apt
    assert payload["extendedProperties"]["private"]["ivalid_hash"]


def test_mapping_override_is_validated_stored_and_used(
    app: Flask, api: Api, tenant: Tenant, rt: SyncRuntime
) -> None:
    """PUT …/mapping: a good override changes the preview; GET shows it; {} resets it."""
    override = {
        "rules": [
            {
                "direction": "outbound",
                "target": "summary",
                "transform": "template",
                "template": "RDV {customer.name}",
            }
        ],
        "remove": [{"direction": "outbound", "target": "location"}],
    }
    resp = api.put(f"{BASE}/mapping", override)
    assert resp.status_code == 200, resp.json
    assert resp.json["override"] == override
    assert api.get(f"{BASE}/mapping").json["override"] == override
    preview = api.post(f"{BASE}/mapping/preview", {"appointment_id": _apt(api)}).json["payload"]
    assert preview["summary"] == "RDV Marie Dupont" and "location" not in preview
    assert api.get(BASE).json["mapping_overridden"] is True
    assert api.put(f"{BASE}/mapping", {}).json["override"] is None


def test_bad_mapping_gets_the_engine_message(api: Api, rt: SyncRuntime) -> None:
    """422 MAPPING_INVALID carries the engine's message and path; nothing is stored."""
    bad = {
        "rules": [
            {"direction": "outbound", "target": "summary", "transform": "tempalte", "template": "x"}
        ]
    }
    resp = api.put(f"{BASE}/mapping", bad)
    assert resp.status_code == 422
    error = resp.json["error"]
    assert error["code"] == "MAPPING_INVALID"
    assert "unknown transform 'tempalte'" in error["details"]["message"]
    assert error["details"]["path"] == "rules[0].transform"
    for body in (
        {"rules": [{"direction": "sideways"}]},
        {"rules": "x"},
        {"nope": 1},
        {"remove": [{"direction": "outbound", "target": "colorId"}]},
        {"defaults": {"time_zone": "Mars/Olympus"}},
    ):
        resp = api.put(f"{BASE}/mapping", body)
        assert resp.status_code == 422, (body, resp.json)
    assert api.get(f"{BASE}/mapping").json["override"] is None
    draft = api.post(f"{BASE}/mapping/preview", {"appointment_id": "apt_nope", "mapping": bad})
    assert draft.status_code == 422


def test_preview_of_unknown_appointment_is_404(api: Api, rt: SyncRuntime) -> None:
    """An appointment that is not ours."""
    resp = api.post(f"{BASE}/mapping/preview", {"appointment_id": "apt_doesnotexist"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "NOT_FOUND"


def test_relinking_moves_the_events(
    app: Flask,
    api: Api,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
) -> None:
    """Jean's calendar → another calendar: his events move there; unlinking removes them."""
    fake.add_calendar("team@company.com", "Équipe")
    engine.sync_now(rt, connected)
    assert len(fake.events(JEAN_EMAIL)) == 1
    api.post(f"{BASE}/sync")
    engine.sync_now(rt, connected)  # "sync now" also refreshes the calendar list
    tech = tenant.ids["technician_id"]
    resp = api.put(f"{BASE}/links/technicians/{tech}", {"calendar_id": "team@company.com"})
    assert resp.status_code == 200, resp.json
    assert resp.json["calendar_id"] == "team@company.com" and resp.json["linked_by"] == "manual"
    engine.sync_now(rt, connected)
    assert fake.events(JEAN_EMAIL) == [] and len(fake.events("team@company.com")) == 1
    resp = api.put(f"{BASE}/links/technicians/{tech}", {"calendar_id": None})
    assert resp.status_code == 200 and resp.json["calendar_id"] is None
    engine.sync_now(rt, connected)
    engine.sync_now(rt, connected)
    assert fake.events("team@company.com") == []
    assert fake.events(JEAN_EMAIL) == []  # unlinked on purpose: not linked again by e-mail


def test_link_errors(api: Api, tenant: Tenant, rt: SyncRuntime, connected: str) -> None:
    """Unknown calendar 422, a calendar taken by another technician 409, bad ids 404/422."""
    tech = tenant.ids["technician_id"]
    resp = api.put(f"{BASE}/links/technicians/{tech}", {"calendar_id": "nope@x.com"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "UNKNOWN_CALENDAR"
    resp = api.put(f"{BASE}/links/technicians/{tech}", {"calendar_id": PIERRE_EMAIL})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "CALENDAR_ALREADY_LINKED"
    resp = api.put(f"{BASE}/links/technicians/tech_unknown", {"calendar_id": JEAN_EMAIL})
    assert resp.status_code == 404
    assert api.put(f"{BASE}/links/technicians/{tech}", {}).status_code == 422
    assert api.put(f"{BASE}/links/technicians/{tech}", {"calendar_id": ""}).status_code == 422


def test_link_needs_a_connection(api: Api, tenant: Tenant, rt: SyncRuntime) -> None:
    """Choosing a calendar before connecting is a 409."""
    resp = api.put(
        f"{BASE}/links/technicians/{tenant.ids['technician_id']}", {"calendar_id": JEAN_EMAIL}
    )
    assert resp.status_code == 409 and resp.json["error"]["code"] == "INTEGRATION_NOT_CONNECTED"


def test_mapping_change_is_pushed(
    app: Flask,
    api: Api,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
) -> None:
    """A new override re-renders every linked event (one PATCH each, none when unchanged)."""
    day = next_weekday()
    assert book(api, tenant.ids, at(day, 10)).status_code == 201
    dispatch(app)
    engine.sync_now(rt, connected)
    fake.reset_counters()
    api.put(
        f"{BASE}/mapping",
        {
            "rules": [
                {
                    "direction": "outbound",
                    "target": "colorId",
                    "transform": "constant",
                    "value": "5",
                }
            ]
        },
    )
    engine.sync_now(rt, connected)
    assert fake.calls["events.patch"] == 2
    assert {e["colorId"] for e in fake.events(JEAN_EMAIL)} == {"5"}
    fake.reset_counters()
    api.put(
        f"{BASE}/mapping",
        {
            "rules": [
                {
                    "direction": "outbound",
                    "target": "colorId",
                    "transform": "constant",
                    "value": "5",
                }
            ]
        },
    )
    engine.sync_now(rt, connected)
    assert fake.calls["events.patch"] == 0


def test_preview_reads_a_remote_event_as_the_sync_would(api: Api, rt: SyncRuntime) -> None:
    """Remote → local: what a Google event means for the appointment it mirrors."""
    remote = {
        "summary": "Pose chez Marie",
        "start": {"dateTime": "2030-03-04T09:00:00+01:00"},
        "end": {"dateTime": "2030-03-04T11:30:00+01:00"},
        "status": "confirmed",
        "extendedProperties": {"private": {"ivalid_appointment_id": "apt_x"}},
    }
    resp = api.post(f"{BASE}/mapping/preview", {"remote": remote})
    assert resp.status_code == 200, resp.json
    assert resp.json["direction"] == "inbound" and resp.json["appointment_id"] is None
    meaning = resp.json["payload"]
    assert meaning["scheduled_at"] == "2030-03-04T08:00:00Z"
    assert meaning["duration"] == 150 and meaning["title"] == "Pose chez Marie"
    both = api.post(f"{BASE}/mapping/preview", {"remote": remote, "appointment_id": "apt_x"})
    assert both.status_code == 422
    neither = api.post(f"{BASE}/mapping/preview", {})
    assert neither.status_code == 422
