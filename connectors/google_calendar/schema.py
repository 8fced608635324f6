"""The fields of a Google Calendar event (Calendar API v3) that mappings may name."""

from __future__ import annotations

from typing import Any

_WHEN = {"dateTime": None, "date": None, "timeZone": None}

EVENT_FIELDS: dict[str, Any] = {
    "id": None,
    "etag": None,
    "status": None,
    "summary": None,
    "description": None,
    "location": None,
    "colorId": None,
    "start": _WHEN,
    "end": _WHEN,
    "transparency": None,
    "visibility": None,
    "attendees": None,
    "reminders": {"useDefault": None, "overrides": None},
    "extendedProperties": {"private": {"*": None}, "shared": {"*": None}},
    "source": {"title": None, "url": None},
    "created": None,
    "updated": None,
    "htmlLink": None,
    "iCalUID": None,
    "sequence": None,
    "creator": {"email": None, "displayName": None, "self": None},
    "organizer": {"email": None, "displayName": None, "self": None},
}
