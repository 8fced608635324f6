"""The appointment ↔ Outlook event mapping (mappings/outlook.yaml), both directions."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import mappings
from mappings import FieldMapping, MappingError

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
    "location": {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"},
    "notes": "Code portail: 1234",
}


@pytest.fixture(scope="module")
def mapping() -> FieldMapping:
    """The built-in Outlook mapping."""
    return mappings.load("outlook")


def _apt(**changes: Any) -> dict[str, Any]:
    apt = copy.deepcopy(APPOINTMENT)
    apt.update(changes)
    return apt


def _as_graph_returns(event: dict[str, Any], zone: str = "UTC") -> dict[str, Any]:
    """What Graph hands back for a pushed event: times re-rendered (UTC by default, or the
    Prefer: outlook.timezone zone), 7 fractional digits, no offset; the text body stored as
    HTML; many more fields; our extended properties as the connector exposes them."""
    out = copy.deepcopy(event)
    for key in ("start", "end"):
        moment = datetime.fromisoformat(event[key]["dateTime"])
        local = moment.replace(tzinfo=ZoneInfo(event[key]["timeZone"])).astimezone(ZoneInfo(zone))
        out[key] = {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S") + ".0000000", "timeZone": zone}
    out["body"] = {"contentType": "html", "content": "<html><body>…</body></html>"}
    out.update(
        {
            "@odata.etag": 'W/"DwAAABYAAA"',
            "id": "AAMkAGevt=",
            "isCancelled": False,
            "isAllDay": False,
            "categories": [],
            "organizer": {"emailAddress": {"name": "Jean", "address": "jean@example.com"}},
            "lastModifiedDateTime": "2025-01-19T10:00:00.1234567Z",
        }
    )
    return out


def test_preview_of_the_documented_appointment(mapping: FieldMapping) -> None:
    """Every outbound field, for the appointment of the API documentation."""
    event = mappings.preview(mapping, APPOINTMENT)
    assert event["subject"] == "Installation Climatisation — Marie Dupont"
    assert event["body"] == {
        "contentType": "text",
        "content": "Code portail: 1234\n\nClient : Marie Dupont\nTél. : +33612345678\n"
        "Technicien : Jean Martin\nRéf. iValid : apt_1234567890",
    }
    assert event["location"] == {"displayName": "15 rue des Lilas, 75001 Paris"}
    assert event["start"] == {"dateTime": "2025-01-20T10:00:00", "timeZone": "Europe/Paris"}
    assert event["end"] == {"dateTime": "2025-01-20T12:00:00", "timeZone": "Europe/Paris"}
    assert event["showAs"] == "busy"
    props = event["extendedProperties"]
    assert props["ivalid_appointment_id"] == "apt_1234567890" and len(props["ivalid_hash"]) == 32
    assert len(event["transactionId"]) == 32
    assert set(event) == {
        "transactionId",
        "subject",
        "body",
        "location",
        "start",
        "end",
        "showAs",
        "extendedProperties",
    }


def test_transaction_id_is_stable_per_appointment(mapping: FieldMapping) -> None:
    """Same appointment → same transactionId (a retried create is de-duplicated)."""
    first = mappings.preview(mapping, APPOINTMENT)["transactionId"]
    assert mappings.preview(mapping, _apt(notes="changed"))["transactionId"] == first
    assert mappings.preview(mapping, _apt(id="apt_other"))["transactionId"] != first


@pytest.mark.parametrize(
    ("status", "show_as"),
    [("pending", "tentative"), ("confirmed", "busy"), ("completed", "busy"), ("cancelled", "free")],
)
def test_status_becomes_free_busy(mapping: FieldMapping, status: str, show_as: str) -> None:
    """Outlook's free/busy follows the appointment's status."""
    assert mappings.preview(mapping, _apt(status=status))["showAs"] == show_as


def test_missing_optional_values_leave_no_holes(mapping: FieldMapping) -> None:
    """No phone, notes, technician or address: no empty lines, no location."""
    apt = _apt(notes=None, technician=None, location=None)
    apt["customer"] = {"id": "c", "name": "Marie Dupont"}
    event = mappings.preview(mapping, apt)
    assert event["body"]["content"] == "Client : Marie Dupont\nRéf. iValid : apt_1234567890"
    assert "location" not in event


def test_duration_falls_back_to_the_service(mapping: FieldMapping) -> None:
    """An appointment without its own duration lasts as long as its service."""
    apt = _apt()
    del apt["duration"]
    assert mappings.preview(mapping, apt)["end"]["dateTime"] == "2025-01-20T12:00:00"


@pytest.mark.parametrize(
    ("scheduled_at", "duration", "start", "end"),
    [
        pytest.param(
            "2025-01-20T09:00:00Z",
            120,
            ("2025-01-20T10:00:00", "Europe/Paris"),
            ("2025-01-20T12:00:00", "Europe/Paris"),
            id="winter",
        ),
        pytest.param(
            "2025-07-01T07:30:00Z",
            60,
            ("2025-07-01T09:30:00", "Europe/Paris"),
            ("2025-07-01T10:30:00", "Europe/Paris"),
            id="summer",
        ),
        pytest.param(
            "2025-03-30T00:30:00Z",
            120,
            ("2025-03-30T01:30:00", "Europe/Paris"),
            ("2025-03-30T04:30:00", "Europe/Paris"),
            id="spring-forward",
        ),
        pytest.param(
            "2025-10-26T00:30:00Z",
            60,
            ("2025-10-26T02:30:00", "Europe/Paris"),
            ("2025-10-26T01:30:00", "UTC"),
            id="fall-back-repeated-hour-in-utc",
        ),
    ],
)
def test_times_across_dst(
    mapping: FieldMapping,
    scheduled_at: str,
    duration: int,
    start: tuple[str, str],
    end: tuple[str, str],
) -> None:
    """Wall-clock times without offset; the repeated hour of a fall-back is sent in UTC."""
    event = mappings.preview(mapping, _apt(scheduled_at=scheduled_at, duration=duration))
    assert (event["start"]["dateTime"], event["start"]["timeZone"]) == start
    assert (event["end"]["dateTime"], event["end"]["timeZone"]) == end
    back = mappings.apply(mapping, "inbound", _as_graph_returns(event))
    assert back["scheduled_at"] == scheduled_at and back["duration"] == duration


def test_connection_time_zone_wins(mapping: FieldMapping) -> None:
    """A company in New York gets New York wall-clock times."""
    event = mappings.preview(mapping, APPOINTMENT, {"time_zone": "America/New_York"})
    assert event["start"] == {"dateTime": "2025-01-20T04:00:00", "timeZone": "America/New_York"}


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Asia/Kolkata"])
def test_inbound_reads_graph_times_in_any_zone(mapping: FieldMapping, zone: str) -> None:
    """Graph's offset-less dateTime + timeZone (UTC, or a Prefer'd zone) → the same instant."""
    remote = _as_graph_returns(mappings.preview(mapping, APPOINTMENT), zone)
    assert mappings.apply(mapping, "inbound", remote) == {
        "id": "apt_1234567890",
        "title": "Installation Climatisation — Marie Dupont",
        "scheduled_at": "2025-01-20T09:00:00Z",
        "duration": 120,
    }


def test_cancelled_meeting_cancels_the_appointment(mapping: FieldMapping) -> None:
    """isCancelled true → cancelled; false says nothing about our status."""
    remote = _as_graph_returns(mappings.preview(mapping, APPOINTMENT))
    assert "status" not in mappings.apply(mapping, "inbound", remote)
    remote["isCancelled"] = True
    assert mappings.apply(mapping, "inbound", remote)["status"] == "cancelled"
    assert mappings.remote_deleted(mapping) == {"status": "cancelled"}


def test_foreign_event_maps_without_our_id(mapping: FieldMapping) -> None:
    """An event the user made in Outlook: no appointment id, only its time (a busy block)."""
    foreign = {
        "subject": "Dentist",
        "start": {"dateTime": "2025-01-21T08:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2025-01-21T09:30:00.0000000", "timeZone": "UTC"},
        "extendedProperties": {},
    }
    assert mappings.apply(mapping, "inbound", foreign) == {
        "title": "Dentist",
        "scheduled_at": "2025-01-21T08:00:00Z",
        "duration": 90,
    }
    assert not mappings.is_echo(mapping, foreign)


def test_echo_detection_survives_graph_reformatting(mapping: FieldMapping) -> None:
    """Our own write, as Graph returns it (UTC, HTML body, extra fields), is an echo."""
    pushed = mappings.preview(mapping, APPOINTMENT)
    assert mappings.is_echo(mapping, pushed)
    returned = _as_graph_returns(pushed)
    assert mappings.is_echo(mapping, returned)
    assert mappings.is_echo(mapping, _as_graph_returns(pushed, "Europe/Paris"))


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param({"subject": "Renamed"}, id="retitled"),
        pytest.param(
            {"start": {"dateTime": "2025-01-20T13:00:00.0000000", "timeZone": "UTC"}},
            id="moved",
        ),
        pytest.param({"isCancelled": True}, id="cancelled"),
    ],
)
def test_user_edits_are_not_echoes(mapping: FieldMapping, edit: dict[str, Any]) -> None:
    """A change the user made in Outlook keeps our marker but not our fingerprint."""
    returned = _as_graph_returns(mappings.preview(mapping, APPOINTMENT))
    returned.update(edit)
    assert not mappings.is_echo(mapping, returned)


def test_body_and_location_edits_are_ignored(mapping: FieldMapping) -> None:
    """Fields we do not read back (notes, location) do not make an echo look foreign."""
    returned = _as_graph_returns(mappings.preview(mapping, APPOINTMENT))
    returned["location"] = {"displayName": "Somewhere else"}
    returned["body"] = {"contentType": "html", "content": "<p>notes</p>"}
    assert mappings.is_echo(mapping, returned)


def test_override_is_validated_against_graph_fields(mapping: FieldMapping) -> None:
    """An account override naming a Google field (summary) is refused, with its place."""
    with pytest.raises(MappingError, match=r"unknown field 'summary' of outlook\.event"):
        mappings.with_override(
            mapping,
            {
                "rules": [
                    {
                        "direction": "outbound",
                        "target": "summary",
                        "transform": "copy",
                        "source": "title",
                    }
                ]
            },
        )
    custom = mappings.with_override(
        mapping,
        {
            "rules": [
                {
                    "direction": "outbound",
                    "target": "categories",
                    "transform": "constant",
                    "value": ["iValid"],
                }
            ]
        },
    )
    assert mappings.preview(custom, APPOINTMENT)["categories"] == ["iValid"]


def test_datetime_local_keeps_utc_microseconds_out() -> None:
    """Sub-second parts are dropped (Graph stores whole seconds from us)."""
    mapping = mappings.loads(
        """
name: t
local: appointment
remote: outlook.event
defaults: {time_zone: Europe/Paris}
rules:
  - {direction: outbound, target: start, transform: datetime_local, source: scheduled_at}
""",
        "t.yaml",
    )
    event = mappings.apply(mapping, "outbound", {"scheduled_at": "2025-01-20T09:00:00.5Z"})
    assert event["start"] == {"dateTime": "2025-01-20T10:00:00", "timeZone": "Europe/Paris"}
