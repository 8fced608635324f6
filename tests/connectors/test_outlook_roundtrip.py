"""Mapping + connector + fake together: push an appointment, pull it back, see user edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import mappings
from connectors.outlook import OutlookConnector
from tests.fakes.graph import FakeGraph

pytest_plugins = ["tests.connectors.outlook_fixtures"]

START = (datetime.now(UTC) + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)


def _appointment(**changes: Any) -> dict[str, Any]:
    apt: dict[str, Any] = {
        "id": "apt_1234567890",
        "customer": {"id": "cust_abc123", "name": "Marie Dupont", "phone": "+33612345678"},
        "service": {
            "id": "srv_installation",
            "name": "Installation Climatisation",
            "duration": 120,
        },
        "technician": {"id": "tech_xyz789", "name": "Jean Martin"},
        "scheduled_at": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": 120,
        "status": "confirmed",
        "location": {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"},
        "notes": "Code portail: 1234",
    }
    apt.update(changes)
    return apt


def test_push_pull_echo_then_user_edit(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """Our own write comes back as an echo; the user's move comes back as a change."""
    mapping = mappings.load("outlook")
    cursor = list(outlook.read("events", None))[-1].next_cursor

    created = outlook.create("events", mappings.preview(mapping, _appointment()))
    assert mappings.is_echo(mapping, created.data)
    page = list(outlook.read("events", cursor))[-1]
    assert [r.id for r in page.records] == [created.id]
    assert page.records[0].etag == created.etag  # the engine's other echo signal
    assert mappings.is_echo(mapping, page.records[0].data)

    moved_to = START + timedelta(days=1, hours=6)
    graph.user_move(created.id, moved_to, moved_to + timedelta(minutes=90))
    page = list(outlook.read("events", page.next_cursor))[-1]
    event = page.records[0].data
    assert not mappings.is_echo(mapping, event)
    assert mappings.apply(mapping, "inbound", event) == {
        "id": "apt_1234567890",
        "title": "Installation Climatisation — Marie Dupont",
        "scheduled_at": moved_to.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": 90,
    }

    graph.user_delete(created.id)
    page = list(outlook.read("events", page.next_cursor))[-1]
    assert page.deleted == [created.id] and page.records == []
    assert mappings.remote_deleted(mapping)["status"] == "cancelled"


def test_reschedule_push_uses_etag_and_keeps_foreign_fields(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """A patch from a rescheduled appointment leaves the user's own additions alone."""
    mapping = mappings.load("outlook")
    created = outlook.create("events", mappings.preview(mapping, _appointment()))
    graph.user_edit(created.id, categories=["Red category"])
    current = outlook.get("events", created.id)
    later = START + timedelta(days=2)
    moved = _appointment(scheduled_at=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    updated = outlook.update("events", created.id, mappings.preview(mapping, moved), current.etag)
    assert updated.data["categories"] == ["Red category"]
    assert updated.data["start"]["dateTime"].startswith(later.strftime("%Y-%m-%dT%H:%M:%S"))
    assert mappings.is_echo(mapping, updated.data)
    assert mappings.is_echo(mapping, outlook.get("events", created.id).data)
    assert graph.writes == {"events.create": 1, "events.update": 1}


def test_foreign_event_is_a_busy_block(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """An event the user created in Outlook has no appointment id: it only blocks time."""
    mapping = mappings.load("outlook")
    graph.user_create(
        "Dentist", START, START + timedelta(hours=1), zone="Europe/Paris", showAs="busy"
    )
    (record,) = list(outlook.read("events", None))[-1].records
    inbound = mappings.apply(mapping, "inbound", record.data)
    assert "id" not in inbound and inbound["duration"] == 60
    assert record.data["showAs"] == "busy" and record.data["extendedProperties"] == {}
