"""The fields of a Microsoft Graph event that mappings may name."""

from __future__ import annotations

from typing import Any

# Microsoft Graph event (v1.0). `extendedProperties` is virtual: the Outlook connector turns
# it into / reads it back from `singleValueExtendedProperties` entries of iValid's property
# set ("String {guid} Name <key>"), since Graph keeps those as a list of {id, value}.
_GRAPH_WHEN = {"dateTime": None, "timeZone": None}
_GRAPH_EMAIL = {"emailAddress": {"name": None, "address": None}}

EVENT_FIELDS: dict[str, Any] = {
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
