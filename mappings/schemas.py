"""The fields each side of a mapping has, so a mapping naming an unknown field is refused.

A schema is a tree of dicts: a leaf is None, and a "*" key accepts any name below it (free-form
maps such as Google's extendedProperties.private). Connectors add their sides with
`register_schema`.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_PERSON = {"id": None, "name": None, "email": None, "phone": None}

APPOINTMENT: Schema = {
    "id": None,
    "title": None,
    "customer": _PERSON,
    "service": {"id": None, "name": None, "duration": None, "price": None},
    "technician": {"id": None, "name": None},
    "scheduled_at": None,
    "duration": None,
    "status": None,
    "location": {
        "address": None,
        "city": None,
        "postal_code": None,
        "coordinates": {"lat": None, "lng": None},
    },
    "notes": None,
}

CUSTOMER: Schema = {
    "id": None,
    "first_name": None,
    "last_name": None,
    "name": None,
    "email": None,
    "phone": None,
    "address": {
        "street": None,
        "address": None,
        "city": None,
        "postal_code": None,
        "country": None,
    },
    "preferences": {"*": None},
    "tags": None,
    "custom_fields": {"*": None},
    "created_at": None,
    "updated_at": None,
}

PAYMENT: Schema = {
    "id": None,
    "appointment_id": None,
    "customer_id": None,
    "status": None,
    "amount": None,
    "currency": None,
    "url": None,
    "paid_at": None,
    "refunded_amount": None,
}

_WHEN = {"dateTime": None, "date": None, "timeZone": None}

GOOGLE_CALENDAR_EVENT: Schema = {
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

SCHEMAS: dict[str, Schema] = {
    "appointment": APPOINTMENT,
    "customer": CUSTOMER,
    "payment": PAYMENT,
    "google_calendar.event": GOOGLE_CALENDAR_EVENT,
}


def register_schema(name: str, schema: Schema) -> None:
    """Declare the fields of a new side (e.g. "outlook.event")."""
    SCHEMAS[name] = schema


def has_path(schema: Schema, path: str) -> bool:
    """True if the dotted `path` names a field (leaf or object) of `schema`."""
    node: Any = schema
    for part in path.split("."):
        if not part or not isinstance(node, dict):
            return False
        if part in node:
            node = node[part]
        elif "*" in node:
            node = node["*"]
        else:
            return False
    return True


def leaf_paths(schema: Schema, prefix: str = "") -> list[str]:
    """Every dotted path of a schema (for "did you mean" messages)."""
    out: list[str] = []
    for key, sub in schema.items():
        path = f"{prefix}{key}"
        out.append(path)
        if isinstance(sub, dict):
            out.extend(leaf_paths(sub, path + "."))
    return out


# Microsoft Graph event (v1.0). `extendedProperties` is virtual: the Outlook connector turns
# it into / reads it back from `singleValueExtendedProperties` entries of iValid's property
# set ("String {guid} Name <key>"), since Graph keeps those as a list of {id, value}.
_GRAPH_WHEN = {"dateTime": None, "timeZone": None}
_GRAPH_EMAIL = {"emailAddress": {"name": None, "address": None}}

OUTLOOK_EVENT: Schema = {
    "id": None,
    "changeKey": None,
    "transactionId": None,
    "subject": None,
    "body": {"contentType": None, "content": None},
    "bodyPreview": None,
    "start": _GRAPH_WHEN,
    "end": _GRAPH_WHEN,
    "originalStartTimeZone": None,
    "originalEndTimeZone": None,
    "isAllDay": None,
    "isCancelled": None,
    "showAs": None,
    "sensitivity": None,
    "importance": None,
    "categories": None,
    "isReminderOn": None,
    "reminderMinutesBeforeStart": None,
    "location": {
        "displayName": None,
        "locationType": None,
        "address": {
            "street": None,
            "city": None,
            "postalCode": None,
            "state": None,
            "countryOrRegion": None,
        },
        "coordinates": {"latitude": None, "longitude": None},
    },
    "attendees": None,
    "organizer": _GRAPH_EMAIL,
    "responseStatus": {"response": None, "time": None},
    "type": None,
    "seriesMasterId": None,
    "iCalUId": None,
    "webLink": None,
    "createdDateTime": None,
    "lastModifiedDateTime": None,
    "extendedProperties": {"*": None},
}

register_schema("outlook.event", OUTLOOK_EVENT)
