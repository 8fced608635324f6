"""Google Calendar's sync spec: what the integration engine needs to know, as data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.spec import StreamSpec, SyncSpec

from . import const
from .schema import EVENT_FIELDS

APPOINTMENT_EVENTS = frozenset(
    {
        "appointment.created",
        "appointment.updated",
        "appointment.confirmed",
        "appointment.cancelled",
        "appointment.completed",
    }
)


def is_free(data: Mapping[str, Any]) -> bool:
    """Google: "Show as: available" (transparent), an invitation the user declined, or an
    event type that says nothing of availability (working location, birthday)."""
    if data.get("eventType") in const.FREE_EVENT_TYPES:
        return True
    if data.get("transparency") == "transparent":
        return True
    for attendee in data.get("attendees") or ():
        if isinstance(attendee, dict) and attendee.get("self"):
            return attendee.get("responseStatus") == "declined"
    return False


SPEC = SyncSpec(
    auth="oauth2",
    env_prefix="GOOGLE",
    token_store="tokens",
    streams=(
        StreamSpec(
            name=const.STREAM_EVENTS,
            local_type="appointment",
            direction="both",
            push_on=APPOINTMENT_EVENTS,
            inbound="calendar",
            busy=is_free,
            mapping="google_calendar",
            remote_schema="google_calendar.event",
            remote_fields=EVENT_FIELDS,
            per_technician=True,
        ),
    ),
)
