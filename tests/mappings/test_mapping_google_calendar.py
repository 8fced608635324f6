"""The appointment ↔ Google Calendar event mapping (mappings/google_calendar.yaml)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import mappings
from mappings import FieldMapping

APPOINTMENT: dict[str, Any] = {
    "id": "apt_1234567890",
    "customer": {
        "id": "cust_abc123",
        "name": "Marie Dupont",
        "email": "marie@example.com",
        "phone": "+33612345678",
    },
    "service": {
        "id": "srv_installation",
        "name": "Installation Climatisation",
        "duration": 120,
        "price": 150.0,
    },
    "technician": {"id": "tech_xyz789", "name": "Jean Martin"},
    "scheduled_at": "2025-01-20T09:00:00Z",
    "duration": 120,
    "status": "confirmed",
    "location": {
        "address": "15 rue des Lilas",
        "city": "Paris",
        "postal_code": "75001",
        "coordinates": {"lat": 48.8566, "lng": 2.3522},
    },
    "notes": "Code portail: 1234",
}


@pytest.fixture(scope="module")
def mapping() -> FieldMapping:
    """The built-in Google Calendar mapping."""
    return mappings.load("google_calendar")


def _apt(**changes: Any) -> dict[str, Any]:
    apt = copy.deepcopy(APPOINTMENT)
    apt.update(changes)
    return apt


def test_preview_of_the_documented_appointment(mapping: FieldMapping) -> None:
    """Every outbound field, for the appointment of the API documentation."""
    event = mappings.preview(mapping, APPOINTMENT)
    assert event["summary"] == "Installation Climatisation — Marie Dupont"
    assert event["description"] == (
        "Code portail: 1234\n\nClient : Marie Dupont\nTél. : +33612345678\n"
        "Technicien : Jean Martin\nRéf. iValid : apt_1234567890"
    )
    assert event["location"] == "15 rue des Lilas, 75001 Paris"
    assert event["start"] == {"dateTime": "2025-01-20T10:00:00+01:00", "timeZone": "Europe/Paris"}
    assert event["end"] == {"dateTime": "2025-01-20T12:00:00+01:00", "timeZone": "Europe/Paris"}
    assert event["status"] == "confirmed"
    private = event["extendedProperties"]["private"]
    assert private["ivalid_appointment_id"] == "apt_1234567890"
    assert len(private["ivalid_hash"]) == 32
    assert set(event["id"]) <= set("0123456789abcdefghijklmnopqrstuv") and len(event["id"]) == 32


def test_event_id_is_stable_and_distinct(mapping: FieldMapping) -> None:
    """Same appointment → same Google id (idempotent insert); another one → another id."""
    first = mappings.preview(mapping, APPOINTMENT)["id"]
    assert mappings.preview(mapping, _apt(notes="changed"))["id"] == first
    assert mappings.preview(mapping, _apt(id="apt_other"))["id"] != first


def test_missing_optional_values_leave_no_holes(mapping: FieldMapping) -> None:
    """No phone, no notes, no technician: no empty lines or dangling labels."""
    apt = _apt(notes=None, technician=None)
    apt["customer"] = {"id": "c", "name": "Marie Dupont"}
    event = mappings.preview(mapping, apt)
    assert event["description"] == "Client : Marie Dupont\nRéf. iValid : apt_1234567890"


def test_duration_falls_back_to_the_service(mapping: FieldMapping) -> None:
    """An appointment without its own duration lasts as long as its service."""
    apt = _apt()
    del apt["duration"]
    assert mappings.preview(mapping, apt)["end"]["dateTime"] == "2025-01-20T12:00:00+01:00"


@pytest.mark.parametrize(
    ("scheduled_at", "duration", "start", "end"),
    [
        pytest.param(
            "2025-01-20T09:00:00Z",
            120,
            "2025-01-20T10:00:00+01:00",
            "2025-01-20T12:00:00+01:00",
            id="winter",
        ),
        pytest.param(
            "2025-07-01T07:30:00Z",
            60,
            "2025-07-01T09:30:00+02:00",
            "2025-07-01T10:30:00+02:00",
            id="summer",
        ),
        pytest.param(
            "2025-03-30T00:30:00Z",
            120,
            "2025-03-30T01:30:00+01:00",
            "2025-03-30T04:30:00+02:00",
            id="spring-forward",
        ),
        pytest.param(
            "2025-10-26T00:30:00Z",
            60,
            "2025-10-26T02:30:00+02:00",
            "2025-10-26T02:30:00+01:00",
            id="fall-back",
        ),
        pytest.param(
            "2025-12-31T22:30:00Z",
            90,
            "2025-12-31T23:30:00+01:00",
            "2026-01-01T01:00:00+01:00",
            id="new-year",
        ),
    ],
)
def test_europe_paris_times_and_dst(
    mapping: FieldMapping, scheduled_at: str, duration: int, start: str, end: str
) -> None:
    """UTC + duration → local wall time with the right offset, across DST; and back again."""
    event = mappings.preview(mapping, _apt(scheduled_at=scheduled_at, duration=duration))
    assert event["start"]["dateTime"] == start and event["end"]["dateTime"] == end
    back = mappings.apply(mapping, "inbound", event)
    assert back["scheduled_at"] == scheduled_at and back["duration"] == duration


def test_context_time_zone_wins(mapping: FieldMapping) -> None:
    """The connection's calendar time zone (context) overrides the mapping default."""
    event = mappings.preview(mapping, APPOINTMENT, {"time_zone": "America/Montreal"})
    assert event["start"] == {
        "dateTime": "2025-01-20T04:00:00-05:00",
        "timeZone": "America/Montreal",
    }


@pytest.mark.parametrize(
    ("ours", "google"),
    [
        ("pending", "tentative"),
        ("confirmed", "confirmed"),
        ("completed", "confirmed"),
        ("cancelled", "cancelled"),
    ],
)
def test_status_outbound(mapping: FieldMapping, ours: str, google: str) -> None:
    """Our statuses as Google's three."""
    assert mappings.preview(mapping, _apt(status=ours))["status"] == google


@pytest.mark.parametrize(
    ("google", "ours"), [("cancelled", "cancelled"), ("confirmed", None), ("tentative", None)]
)
def test_status_inbound_only_cancels(mapping: FieldMapping, google: str, ours: str | None) -> None:
    """Google never downgrades a completed appointment; cancelling there cancels here."""
    local = mappings.apply(mapping, "inbound", {"status": google})
    assert local.get("status") == ours


def test_inbound_from_a_foreign_event(mapping: FieldMapping) -> None:
    """An event the user made in Google (no markers) maps to title, time and duration only."""
    event = {
        "id": "abc123def",
        "status": "confirmed",
        "summary": "Dentist",
        "start": {"dateTime": "2025-02-03T14:00:00+01:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2025-02-03T14:45:00+01:00", "timeZone": "Europe/Paris"},
    }
    assert mappings.apply(mapping, "inbound", event) == {
        "title": "Dentist",
        "scheduled_at": "2025-02-03T13:00:00Z",
        "duration": 45,
    }
    assert not mappings.is_echo(mapping, event)


def test_inbound_all_day_event(mapping: FieldMapping) -> None:
    """All-day events (date, end exclusive) start at local midnight and last whole days."""
    event = {"start": {"date": "2025-03-30"}, "end": {"date": "2025-03-31"}}
    local = mappings.apply(mapping, "inbound", event)
    assert local == {"scheduled_at": "2025-03-29T23:00:00Z", "duration": 23 * 60}


def test_remote_deletion_cancels(mapping: FieldMapping) -> None:
    """A deleted Google event cancels the appointment."""
    assert mappings.remote_deleted(mapping) == {"status": "cancelled"}


def test_our_echo_is_recognised_after_google_reformats_it(mapping: FieldMapping) -> None:
    """Google returns our push with other formatting and extra fields: still our echo."""
    pushed = mappings.preview(mapping, APPOINTMENT)
    pulled = copy.deepcopy(pushed)
    pulled.update(
        etag='"3400000000002000"',
        kind="calendar#event",
        htmlLink="https://www.google.com/calendar/event?eid=x",
        reminders={"useDefault": True},
        description=pushed["description"] + " (edited in Google: not mapped inbound)",
    )
    pulled["start"] = {"dateTime": "2025-01-20T09:00:00Z", "timeZone": "Europe/Paris"}
    assert mappings.is_echo(mapping, pulled)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda e: e.update(summary="Renamed"), id="retitled"),
        pytest.param(
            lambda e: e.update(start={"dateTime": "2025-01-20T11:00:00+01:00"}), id="moved"
        ),
        pytest.param(lambda e: e.update(status="cancelled"), id="cancelled"),
        pytest.param(
            lambda e: e["extendedProperties"]["private"].pop("ivalid_hash"), id="no-marker"
        ),
    ],
)
def test_a_real_change_is_not_an_echo(mapping: FieldMapping, edit: Any) -> None:
    """Anything that changes what the event means for us is applied."""
    event = mappings.preview(mapping, APPOINTMENT)
    edit(event)
    assert not mappings.is_echo(mapping, event)
