"""Mapping + connector + fake together: push an appointment, pull it back, see user edits."""

from __future__ import annotations

import mappings
from connectors.google_calendar import GoogleCalendarConnector
from tests.connectors.google_calendar_scenarios import SAMPLE_APPOINTMENT
from tests.fakes.google_calendar import FakeGoogleCalendar


def test_push_pull_echo_then_user_edit(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """Our own write comes back as an echo; the user's move comes back as a change."""
    mapping = mappings.load("google_calendar")
    cursor = list(connector.read("events", None))[-1].next_cursor

    created = connector.create("events", mappings.preview(mapping, SAMPLE_APPOINTMENT))
    page = list(connector.read("events", cursor))[-1]
    assert [r.id for r in page.records] == [created.id]
    assert mappings.is_echo(mapping, page.records[0].data)

    fake.user_move(created.id, "2025-01-21T15:00:00+01:00", "2025-01-21T16:30:00+01:00")
    page = list(connector.read("events", page.next_cursor))[-1]
    event = page.records[0].data
    assert not mappings.is_echo(mapping, event)
    assert mappings.apply(mapping, "inbound", event) == {
        "id": "apt_1234567890",
        "title": "Installation Climatisation — Marie Dupont",
        "scheduled_at": "2025-01-21T14:00:00Z",
        "duration": 90,
    }

    fake.user_delete(created.id)
    page = list(connector.read("events", page.next_cursor))[-1]
    assert (
        page.deleted == [created.id] and mappings.remote_deleted(mapping)["status"] == "cancelled"
    )


def test_reschedule_push_uses_etag_and_keeps_foreign_fields(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """A patch from a rescheduled appointment leaves the user's own additions alone."""
    mapping = mappings.load("google_calendar")
    created = connector.create("events", mappings.preview(mapping, SAMPLE_APPOINTMENT))
    fake.user_edit(created.id, colorId="11")
    current = connector.get("events", created.id)
    moved = {**SAMPLE_APPOINTMENT, "scheduled_at": "2025-01-22T08:00:00Z"}
    updated = connector.update("events", created.id, mappings.preview(mapping, moved), current.etag)
    assert updated.data["colorId"] == "11"
    assert updated.data["start"]["dateTime"] == "2025-01-22T09:00:00+01:00"
    assert mappings.is_echo(mapping, updated.data)
