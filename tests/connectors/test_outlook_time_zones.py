"""Time zones as Graph accepts them (Windows names from CLDR's table) and all-day events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from connectors.base import InvalidRequest
from connectors.outlook import OutlookConnector
from connectors.outlook.records import iana_zone, to_record, windows_zone, write_body
from tests.dates import workday
from tests.fakes.graph import FakeGraph

pytest_plugins = ["tests.connectors.outlook_fixtures"]


@pytest.mark.parametrize(
    ("iana", "windows"),
    [
        ("Europe/Brussels", "Romance Standard Time"),  # not a name Graph lists
        ("Europe/Paris", "Romance Standard Time"),
        ("Europe/Berlin", "W. Europe Standard Time"),
        ("Europe/London", "GMT Standard Time"),
        ("America/New_York", "Eastern Standard Time"),
        ("Asia/Tokyo", "Tokyo Standard Time"),
        ("UTC", "UTC"),
        ("Romance Standard Time", "Romance Standard Time"),  # already Windows
    ],
)
def test_zones_are_sent_by_their_windows_name(iana: str, windows: str) -> None:
    """CLDR's windowsZones (from tzlocal), never a hand table; back again on the way in."""
    assert windows_zone(iana) == windows
    body = write_body({"start": {"dateTime": "2030-05-06T09:00:00", "timeZone": iana}}, create=True)
    assert body["start"] == {"dateTime": "2030-05-06T09:00:00", "timeZone": windows}
    assert windows_zone(iana_zone(windows)) == windows


def test_an_unknown_zone_is_refused_clearly() -> None:
    """A zone neither CLDR nor zoneinfo knows: InvalidRequest, not a 400 from Graph."""
    with pytest.raises(InvalidRequest) as info:
        write_body(
            {"start": {"dateTime": "2030-05-06T09:00:00", "timeZone": "Mars/Base"}}, create=True
        )
    assert info.value.reason == "invalid_time_zone"


def _raw_create(graph: FakeGraph, zone: str) -> requests.Response:
    when = {"dateTime": "2030-05-06T09:00:00", "timeZone": zone}
    return requests.post(
        f"{graph.api_base_url}/me/events",
        json={"subject": "raw", "start": when, "end": when},
        headers={"Authorization": f"Bearer {graph.issue_access_token()}"},
        timeout=5,
    )


@pytest.mark.parametrize(
    ("zone", "status"),
    [("Europe/Brussels", 400), ("Romance Standard Time", 201), ("Europe/Paris", 201)],
)
def test_the_fake_refuses_zones_graph_does_not_list(
    graph: FakeGraph, zone: str, status: int
) -> None:
    """Like Graph: Windows names and the one IANA name listed per Windows zone."""
    resp = _raw_create(graph, zone)
    assert resp.status_code == status, resp.text
    if status == 400:
        assert resp.json()["error"]["code"] == "TimeZoneNotSupportedException"


def test_brussels_appointments_land_at_the_right_wall_time(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """An account in Europe/Brussels: sent as Romance Standard Time, 09:00 local = 07:00Z."""
    payload = {
        "subject": "Entretien",
        "start": {"dateTime": "2030-07-01T09:00:00", "timeZone": "Europe/Brussels"},
        "end": {"dateTime": "2030-07-01T10:00:00", "timeZone": "Europe/Brussels"},
    }
    created = outlook.create("events", payload)
    sent = next(r for r in graph.requests if r.endpoint == "events.create")
    assert sent.body["start"]["timeZone"] == "Romance Standard Time"
    assert created.data["start"] == {"dateTime": "2030-07-01T07:00:00.0000000", "timeZone": "UTC"}


def test_all_day_events_both_ways(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """Out: midnight to midnight in the event's zone (Graph refuses anything else). In: the
    local dates only, so the whole day is blocked in the technician's zone."""
    day = workday(3)
    payload: dict[str, Any] = {
        "subject": "Congé",
        "isAllDay": True,
        "start": {"dateTime": f"{day}T10:30:00", "timeZone": "Europe/Brussels"},
        "end": {"dateTime": f"{day + timedelta(days=1)}T10:30:00", "timeZone": "Europe/Brussels"},
    }
    created = outlook.create("events", payload)
    sent = next(r for r in graph.requests if r.endpoint == "events.create")
    assert sent.body["start"] == {
        "dateTime": f"{day}T00:00:00",
        "timeZone": "Romance Standard Time",
    }
    assert created.data["start"] == {"date": str(day)}
    assert created.data["end"] == {"date": str(day + timedelta(days=1))}
    # Made in Outlook, in another zone: read back as dates too.
    graph.user_create(
        "Formation",
        f"{day}T00:00:00",
        f"{day + timedelta(days=2)}T00:00:00",
        zone="Eastern Standard Time",
        isAllDay=True,
    )
    records = [r for p in outlook.read("events", None) for r in p.records]
    formation = next(r for r in records if r.data["subject"] == "Formation")
    assert formation.data["start"] == {"date": str(day)}
    assert formation.data["end"] == {"date": str(day + timedelta(days=2))}


def test_the_fake_refuses_an_all_day_event_not_at_midnight(graph: FakeGraph) -> None:
    """Graph's rule the connector's rounding exists for."""
    when = {"dateTime": "2030-05-06T09:00:00", "timeZone": "UTC"}
    end = {"dateTime": "2030-05-07T09:00:00", "timeZone": "UTC"}
    resp = requests.post(
        f"{graph.api_base_url}/me/events",
        json={"subject": "x", "isAllDay": True, "start": when, "end": end},
        headers={"Authorization": f"Bearer {graph.issue_access_token()}"},
        timeout=5,
    )
    assert resp.status_code == 400 and "midnight" in resp.json()["error"]["message"]


def test_windows_zones_in_answers_become_iana() -> None:
    """Prefer: outlook.timezone (or a zone Graph picked) answers Windows names: mapped back."""
    record = to_record(
        {
            "id": "e1",
            "start": {"dateTime": "2030-05-06T09:00:00.0000000", "timeZone": "Tokyo Standard Time"},
            "end": {"dateTime": "2030-05-06T10:00:00.0000000", "timeZone": "Tokyo Standard Time"},
        }
    )
    assert record.data["start"]["timeZone"] == "Asia/Tokyo"
