"""In-memory calendars and events of the Microsoft Graph fake: change keys, delta tokens.

Pure state, no HTTP: `FakeGraph` (graph.py) serves it over loopback. Every change gets the
next value of one monotonic sequence; a delta token is "changes after sequence N of calendar
C in window [s, e), generation G"; bumping a calendar's generation makes its tokens 410.
Deleted events stay as tombstones so incremental rounds can report them (`@removed`).
"""

from __future__ import annotations

import base64
import copy
import html
import json
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

# The zones Graph accepts in a dateTimeTimeZone: Windows names (CLDR's windowsZones table,
# as tzlocal ships it), and the one IANA name Graph lists per Windows zone (the CLDR
# "001" territory mapping: Europe/Paris for Romance Standard Time; Europe/Brussels, a
# zone of the same Windows name, is not listed and is refused).
WINDOWS_ZONES: dict[str, str] = {**win_tz, "UTC": "UTC"}
LISTED_IANA: frozenset[str] = frozenset(win_tz.values()) | {"UTC"}
DEFAULT_USER_ID = "00000000-0000-4000-8000-0000000a11ce"
# Recurrence: calendarView (and its delta) lists the occurrences of a series inside the
# window, never the master. The fake expands daily and weekly patterns (Graph has more).
RECURRENCE_TYPES = frozenset({"daily", "weekly"})
OCCURRENCE_MARK = "~occ"
_KEY_SCALE = 100_000  # delta keys: one event's change sequence, then its occurrence number
WRITABLE = frozenset(
    {
        "subject",
        "body",
        "start",
        "end",
        "location",
        "locations",
        "showAs",
        "categories",
        "sensitivity",
        "importance",
        "isReminderOn",
        "reminderMinutesBeforeStart",
        "attendees",
        "isAllDay",
        "isOnlineMeeting",
        "responseRequested",
        "allowNewTimeProposals",
        "hideAttendees",
        "recurrence",
        "transactionId",
        "singleValueExtendedProperties",
        "originalStartTimeZone",
        "originalEndTimeZone",
    }
)
READ_ONLY = frozenset(
    {
        "id",
        "@odata.etag",
        "@odata.context",
        "changeKey",
        "createdDateTime",
        "lastModifiedDateTime",
        "iCalUId",
        "webLink",
        "isCancelled",
        "isOrganizer",
        "organizer",
        "responseStatus",
        "type",
        "seriesMasterId",
        "bodyPreview",
        "hasAttachments",
        "onlineMeetingUrl",
        "isDraft",
    }
)
_PROP_ID = re.compile(r"^\s*String\s+(\{[0-9a-fA-F-]{36}\})\s+Name\s+(.+?)\s*$", re.IGNORECASE)
_EXPAND = re.compile(r"^singleValueExtendedProperties\(\$filter=(.*)\)$", re.IGNORECASE)
_ID_EQ = re.compile(r"id eq '((?:[^']|'')*)'", re.IGNORECASE)
_ANY = re.compile(
    r"^singleValueExtendedProperties/Any\(ep:\s*ep/id eq '((?:[^']|'')*)'\s+and\s+"
    r"ep/value eq '((?:[^']|'')*)'\)$",
    re.IGNORECASE,
)


class GraphError(Exception):
    """An error the fake answers with, in Graph's JSON error shape."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Remember what to answer."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self, now: datetime, request_id: str) -> dict[str, Any]:
        """Graph's error document."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": now.strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": request_id,
                },
            }
        }


def not_found(what: str = "The specified object was not found in the store.") -> GraphError:
    """Graph's 404 for an item."""
    return GraphError(404, "ErrorItemNotFound", what)


def canonical_property_id(prop_id: str) -> str:
    """ "String {GUID} Name X" normalised (GUID lower-case); 400 if malformed."""
    match = _PROP_ID.match(str(prop_id))
    if not match:
        raise GraphError(400, "ErrorInvalidProperty", f"Invalid extended property id '{prop_id}'.")
    return f"String {match.group(1).lower()} Name {match.group(2)}"


def parse_expand(expand: str | None) -> list[str] | None:
    """The extended property ids a `$expand=singleValueExtendedProperties($filter=...)` asks."""
    if not expand:
        return None
    match = _EXPAND.match(expand.strip())
    if not match:
        raise GraphError(400, "BadRequest", f"Parsing OData Select and Expand failed: {expand}")
    ids = [m.replace("''", "'") for m in _ID_EQ.findall(match.group(1))]
    if not ids:
        raise GraphError(400, "BadRequest", "An extended property $filter on id is required.")
    return [canonical_property_id(i) for i in ids]


def parse_property_filter(expression: str) -> tuple[str, str]:
    """(property id, value) of `singleValueExtendedProperties/Any(ep: ... and ep/value eq ...)`."""
    match = _ANY.match(expression.strip())
    if not match:
        raise GraphError(400, "BadRequest", f"Invalid filter clause: {expression}")
    return canonical_property_id(match.group(1).replace("''", "'")), match.group(2).replace(
        "''", "'"
    )


def zone_of(name: str) -> ZoneInfo:
    """A Windows or listed IANA zone name; 400 as Graph answers for any other."""
    try:
        if name in WINDOWS_ZONES:
            return ZoneInfo(WINDOWS_ZONES[name])
        if name not in LISTED_IANA:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise GraphError(
            400,
            "TimeZoneNotSupportedException",
            "A valid TimeZone value must be specified. The following TimeZone value is not "
            f"supported: '{name}'.",
        ) from None


def parse_when(when: Any, name: str) -> tuple[datetime, str]:
    """A dateTimeTimeZone as (UTC instant, zone name)."""
    if not isinstance(when, dict) or not when.get("dateTime"):
        raise GraphError(
            400, "ErrorInvalidRequest", f"Your request can't be completed. {name} is required."
        )
    zone_name = str(when.get("timeZone") or "UTC")
    zone = zone_of(zone_name)
    try:
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(400, "ErrorInvalidRequest", f"Invalid {name} dateTime.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC), zone_name


def render_when(moment: datetime, zone_name: str = "UTC") -> dict[str, str]:
    """Graph's rendering: local wall time with 7 fractional digits, no offset, and the zone."""
    local = moment.astimezone(zone_of(zone_name))
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond * 10:07d}"
    return {"dateTime": text, "timeZone": zone_name}


def graph_time(moment: datetime) -> str:
    """A DateTimeOffset as Graph renders it ("2025-01-20T09:00:00.1234567Z")."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond * 10:07d}Z"


def to_html(text: str) -> str:
    """How Exchange stores a text body set through Graph: as HTML."""
    inner = "<br>\r\n".join(html.escape(line) for line in text.split("\n"))
    return (
        '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"\r\n</head>\r\n<body>\r\n{inner}\r\n</body>\r\n</html>\r\n"
    )


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class StoredEvent:
    """An event and its bookkeeping."""

    id: str
    calendar_id: str
    fields: dict[str, Any]
    start: datetime
    end: datetime
    start_zone: str
    end_zone: str
    change_key: str
    created: datetime
    modified: datetime
    seq: int
    cseq: int
    transaction_id: str | None = None
    props: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    @property
    def etag(self) -> str:
        """W/"<changeKey>", as Graph's @odata.etag."""
        return f'W/"{self.change_key}"'


@dataclass
class FakeCalendar:
    """One calendar of the fake mailbox."""

    id: str
    name: str
    is_default: bool = False
    can_edit: bool = True
    generation: int = 0
    owner: tuple[str, str] | None = None  # (name, address) of a calendar shared with the user
    mailbox: str = DEFAULT_USER_ID  # the user (object id) whose mailbox holds it


class GraphStore:
    """The fake user's mailbox: calendars and events, with Graph's delta semantics."""

    def __init__(
        self,
        user_email: str,
        user_name: str,
        rng: random.Random,
        clock: Callable[[], float],
        user_id: str = DEFAULT_USER_ID,
    ) -> None:
        """Create the signed-in user's mailbox and its default calendar ("Calendar")."""
        self.user_email = user_email
        self.user_name = user_name
        self.user_id = user_id
        self.rng = rng
        self.clock = clock
        self.seq = 0
        # Ids as Graph renders them: immutable (Prefer: IdType="ImmutableId") or the default
        # REST ids, which differ (and change when an item moves). Set per request.
        self.immutable = True
        self.users: dict[str, tuple[str, str]] = {user_id: (user_name, user_email)}
        self.default_calendars: dict[str, str] = {}
        self.calendars: dict[str, FakeCalendar] = {}
        self.events: dict[str, StoredEvent] = {}
        self.default_calendar_id = self.add_calendar("Calendar", is_default=True)

    # -- mailboxes

    def add_user(self, name: str, email: str, user_id: str | None = None) -> str:
        """Another user of the tenant, with a mailbox and its default calendar; its id."""
        user_id = user_id or str(uuid.UUID(int=self.rng.getrandbits(128)))
        self.users[user_id] = (name, email)
        self.add_calendar("Calendar", is_default=True, mailbox=user_id)
        return user_id

    def user(self, key: str) -> str:
        """A user's id from its id or address (UPN/mail, case-insensitive); 404 otherwise."""
        if key in self.users:
            return key
        for user_id, (_, email) in self.users.items():
            if email.lower() == key.lower():
                return user_id
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")

    def user_json(self, user_id: str) -> dict[str, Any]:
        """The user resource ($select=id,displayName,mail,userPrincipalName)."""
        name, email = self.users[user_id]
        return {"id": user_id, "displayName": name, "mail": email, "userPrincipalName": email}

    # -- ids

    def rest_id(self, event_id: str) -> str:
        """The id Graph renders without the immutable-id preference (another string)."""
        return "AAMkAGrst" + event_id[len("AAMkAGevt") :]

    def shown_id(self, event_id: str) -> str:
        """An event id as this request sees it."""
        return event_id if self.immutable else self.rest_id(event_id)

    def stored_id(self, shown: str) -> str:
        """The stored id behind an id of either form."""
        if shown.startswith("AAMkAGrst"):
            return "AAMkAGevt" + shown[len("AAMkAGrst") :]
        return shown

    def now(self) -> datetime:
        """The fake's current time."""
        return datetime.fromtimestamp(self.clock(), UTC)

    def _id(self, prefix: str, size: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(size))

    # -- calendars

    def add_calendar(
        self,
        name: str,
        *,
        is_default: bool = False,
        can_edit: bool = True,
        owner: tuple[str, str] | None = None,
        mailbox: str | None = None,
    ) -> str:
        """Add a calendar (`owner`: another user's, shared with this one); returns its id."""
        calendar_id = self._id("AAMkAGcal", 40) + "="
        mailbox = mailbox or self.user_id
        self.calendars[calendar_id] = FakeCalendar(
            calendar_id, name, is_default, can_edit, owner=owner, mailbox=mailbox
        )
        if is_default:
            self.default_calendars[mailbox] = calendar_id
        return calendar_id

    def calendar(self, calendar_id: str | None, mailbox: str | None = None) -> FakeCalendar:
        """A calendar by id (None: the mailbox's default one); 404 outside the mailbox.

        Without `mailbox` (test helpers), any calendar by id; the signed-in user's default.
        """
        default = self.default_calendars[mailbox or self.user_id]
        calendar = self.calendars.get(calendar_id or default)
        if calendar is None or (mailbox is not None and calendar.mailbox != mailbox):
            raise not_found()
        return calendar

    def calendar_json(self, calendar: FakeCalendar) -> dict[str, Any]:
        """The calendar resource."""
        return {
            "id": calendar.id,
            "name": calendar.name,
            "color": "auto",
            "hexColor": "",
            "isDefaultCalendar": calendar.is_default,
            "changeKey": f"cal{calendar.generation}",
            "canShare": calendar.is_default,
            "canViewPrivateItems": True,
            "canEdit": calendar.can_edit,
            "allowedOnlineMeetingProviders": ["teamsForBusiness"],
            "defaultOnlineMeetingProvider": "teamsForBusiness",
            "isTallyingResponses": True,
            "isRemovable": not calendar.is_default,
            "owner": {
                "name": calendar.owner[0] if calendar.owner else self.users[calendar.mailbox][0],
                "address": calendar.owner[1] if calendar.owner else self.users[calendar.mailbox][1],
            },
        }

    # -- events

    def render(
        self,
        stored: StoredEvent,
        zone: str | None = None,
        expand: list[str] | None = None,
    ) -> dict[str, Any]:
        """The event resource (times in UTC, or `zone` from Prefer: outlook.timezone)."""
        organizer = self.users[self.calendars[stored.calendar_id].mailbox]
        data: dict[str, Any] = {
            "@odata.etag": stored.etag,
            "id": self.shown_id(stored.id),
            "createdDateTime": graph_time(stored.created),
            "lastModifiedDateTime": graph_time(stored.modified),
            "changeKey": stored.change_key,
            "categories": [],
            "transactionId": stored.transaction_id,
            "originalStartTimeZone": stored.start_zone,
            "originalEndTimeZone": stored.end_zone,
            "iCalUId": "040000008200E00074C5B7101A82E008" + stored.id[-24:],
            "reminderMinutesBeforeStart": 15,
            "isReminderOn": True,
            "hasAttachments": False,
            "subject": "",
            "bodyPreview": "",
            "importance": "normal",
            "sensitivity": "normal",
            "isAllDay": False,
            "isCancelled": False,
            "isOrganizer": True,
            "responseRequested": True,
            "seriesMasterId": None,
            "showAs": "busy",
            "type": "singleInstance",
            "webLink": f"https://outlook.office365.com/owa/?itemid={stored.id}&exvsurl=1",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": False,
            "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
            "body": {"contentType": "html", "content": ""},
            "location": {
                "displayName": "",
                "locationType": "default",
                "uniqueIdType": "unknown",
                "address": {},
                "coordinates": {},
            },
            "locations": [],
            "recurrence": None,
            "attendees": [],
            "organizer": {"emailAddress": {"name": organizer[0], "address": organizer[1]}},
        }
        data.update(copy.deepcopy(stored.fields))
        if data.get("isAllDay"):
            # An all-day event keeps its midnight-to-midnight wall times (in its own zone).
            data["start"] = render_when(stored.start, stored.start_zone)
            data["end"] = render_when(stored.end, stored.end_zone)
        else:
            data["start"] = render_when(stored.start, zone or "UTC")
            data["end"] = render_when(stored.end, zone or "UTC")
        if expand is not None:
            data["singleValueExtendedProperties"] = [
                {"id": prop_id, "value": stored.props[prop_id]}
                for prop_id in expand
                if prop_id in stored.props
            ]
        return data

    def get(self, event_id: str, mailbox: str | None = None) -> StoredEvent:
        """A live event of the mailbox (None: any); 404 otherwise (an occurrence: its series)."""
        stored = self.events.get(self.stored_id(event_id).split(OCCURRENCE_MARK)[0])
        if stored is None or stored.deleted:
            raise not_found()
        if mailbox is not None and self.calendars[stored.calendar_id].mailbox != mailbox:
            raise not_found()
        return stored

    def _bump(self, stored: StoredEvent) -> None:
        self.seq += 1
        stored.seq = self.seq
        stored.change_key = self._id("DwAAABYAAA", 22)
        stored.modified = self.now()

    def _apply(self, stored: StoredEvent, body: Mapping[str, Any], *, create: bool) -> None:
        for key, value in body.items():
            if key in READ_ONLY:
                continue
            if key not in WRITABLE:
                raise GraphError(
                    400,
                    "RequestBodyRead",
                    f"The property '{key}' does not exist on type 'microsoft.graph.event'. "
                    "Make sure to only use property names that are defined by the type or "
                    "mark the type as open type.",
                )
            if key == "recurrence" and value:
                pattern = (value or {}).get("pattern") or {}
                if str(pattern.get("type")) not in RECURRENCE_TYPES:
                    raise GraphError(
                        400, "ErrorInvalidRequest", "The fake expands daily and weekly patterns."
                    )
                stored.fields[key] = copy.deepcopy(value)
            elif key == "transactionId":
                if not create and value != stored.transaction_id:
                    raise GraphError(400, "ErrorInvalidRequest", "transactionId is immutable.")
                stored.transaction_id = value
            elif key == "singleValueExtendedProperties":
                for prop in value or []:
                    stored.props[canonical_property_id(prop.get("id", ""))] = str(prop["value"])
            elif key == "start":
                stored.start, stored.start_zone = parse_when(value, "Start")
            elif key == "end":
                stored.end, stored.end_zone = parse_when(value, "End")
            elif key == "body":
                content = str((value or {}).get("content", ""))
                if str((value or {}).get("contentType", "text")).lower() == "text":
                    stored.fields["bodyPreview"] = content.replace("\n", "\r\n")[:255]
                    content = to_html(content)
                stored.fields["body"] = {"contentType": "html", "content": content}
            elif key == "location":
                location = {
                    "locationType": "default",
                    "uniqueIdType": "private",
                    "address": {},
                    "coordinates": {},
                    **dict(value or {}),
                }
                location["uniqueId"] = location.get("displayName", "")
                stored.fields["location"] = location
                stored.fields["locations"] = [location] if location.get("displayName") else []
            else:
                stored.fields[key] = copy.deepcopy(value)
        if stored.end < stored.start:
            raise GraphError(400, "ErrorInvalidRequest", "The end time is before the start time.")
        if stored.fields.get("isAllDay"):
            for moment, zone_name in (
                (stored.start, stored.start_zone),
                (stored.end, stored.end_zone),
            ):
                local = moment.astimezone(zone_of(zone_name))
                if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
                    raise GraphError(
                        400,
                        "ErrorInvalidRequest",
                        "Your request can't be completed. The start and end of an all-day "
                        "event must be at midnight, in the event's time zone.",
                    )
            if stored.end <= stored.start:
                raise GraphError(400, "ErrorInvalidRequest", "An all-day event lasts whole days.")

    def create(
        self, calendar_id: str | None, body: Mapping[str, Any], mailbox: str | None = None
    ) -> tuple[StoredEvent, bool]:
        """POST events; a transactionId already used by a live event returns that event.

        (created?, event): Graph de-duplicates retried creates by transactionId.
        """
        calendar = self.calendar(calendar_id, mailbox)
        transaction_id = body.get("transactionId")
        if transaction_id:
            for stored in self.events.values():
                if stored.transaction_id == transaction_id and not stored.deleted:
                    return stored, False
        for required in ("start", "end"):
            if required not in body:
                parse_when(None, required.capitalize())
        now = self.now()
        self.seq += 1
        stored = StoredEvent(
            id=self._id("AAMkAGevt", 100) + "=",
            calendar_id=calendar.id,
            fields={},
            start=now,
            end=now,
            start_zone="UTC",
            end_zone="UTC",
            change_key="",
            created=now,
            modified=now,
            seq=0,
            cseq=self.seq,
        )
        self._apply(stored, body, create=True)
        self.events[stored.id] = stored
        self._bump(stored)
        return stored, True

    def _check_etag(self, stored: StoredEvent, if_match: str | None) -> None:
        if if_match and if_match != "*" and if_match != stored.etag:
            raise GraphError(
                412,
                "ErrorIrresolvableConflict",
                "The send or update operation could not be performed because the change key "
                "passed in the request does not match the current change key for the item.",
            )

    def patch(
        self,
        event_id: str,
        body: Mapping[str, Any],
        if_match: str | None = None,
        mailbox: str | None = None,
    ) -> StoredEvent:
        """PATCH an event, honouring If-Match (412 on a stale change key)."""
        stored = self.get(event_id, mailbox)
        self._check_etag(stored, if_match)
        backup = copy.deepcopy(stored)
        try:
            self._apply(stored, body, create=False)
        except GraphError:
            self.events[stored.id] = backup
            raise
        self._bump(stored)
        return stored

    def delete(
        self, event_id: str, if_match: str | None = None, mailbox: str | None = None
    ) -> StoredEvent:
        """DELETE an event (kept as a tombstone for delta), honouring If-Match."""
        stored = self.get(event_id, mailbox)
        self._check_etag(stored, if_match)
        stored.deleted = True
        self._bump(stored)
        return stored

    def find(self, prop_id: str, value: str, mailbox: str | None = None) -> list[StoredEvent]:
        """Live events of a mailbox whose extended property `prop_id` equals `value`."""
        mailbox = mailbox or self.user_id
        return [
            s
            for s in sorted(self.events.values(), key=lambda e: e.cseq)
            if not s.deleted
            and self.calendars[s.calendar_id].mailbox == mailbox
            and s.props.get(prop_id, "").lower() == value.lower()
        ]

    # -- recurrence

    def occurrences(
        self, stored: StoredEvent, window: tuple[datetime, datetime]
    ) -> list[tuple[int, datetime, datetime]]:
        """(number, start, end) of a series' occurrences overlapping `window`."""
        recurrence = stored.fields.get("recurrence") or {}
        pattern, range_ = recurrence.get("pattern") or {}, recurrence.get("range") or {}
        kind, interval = str(pattern.get("type")), max(1, int(pattern.get("interval") or 1))
        zone = zone_of(stored.start_zone)
        local = stored.start.astimezone(zone)
        duration = stored.end - stored.start
        first = date.fromisoformat(str(range_.get("startDate") or local.date().isoformat()))
        last = (
            date.fromisoformat(str(range_["endDate"]))
            if range_.get("type") == "endDate"
            else window[1].astimezone(zone).date()
        )
        count = (
            int(range_.get("numberOfOccurrences") or 0) if range_.get("type") == "numbered" else 0
        )
        days = {str(d).lower() for d in pattern.get("daysOfWeek") or []} or {
            local.strftime("%A").lower()
        }
        out: list[tuple[int, datetime, datetime]] = []
        number, day = 0, first
        monday = first - timedelta(days=first.weekday())
        while day <= min(last, window[1].astimezone(zone).date()) and (not count or number < count):
            if kind == "daily":
                hit = (day - first).days % interval == 0
            else:
                hit = ((day - monday).days // 7) % interval == 0 and (
                    day.strftime("%A").lower() in days
                )
            if hit:
                number += 1
                start = datetime.combine(day, local.time(), zone).astimezone(UTC)
                if start < window[1] and start + duration > window[0]:
                    out.append((number, start, start + duration))
            day += timedelta(days=1)
        return out

    def render_occurrence(
        self,
        stored: StoredEvent,
        number: int,
        start: datetime,
        end: datetime,
        zone: str | None = None,
    ) -> dict[str, Any]:
        """One occurrence of a series, as calendarView lists it."""
        data = self.render(stored, zone)
        master = self.shown_id(stored.id)
        data.update(
            {
                "id": f"{master}{OCCURRENCE_MARK}{number:05d}",
                "type": "occurrence",
                "seriesMasterId": master,
                "recurrence": None,
                "start": render_when(
                    start, stored.start_zone if data["isAllDay"] else zone or "UTC"
                ),
                "end": render_when(end, stored.end_zone if data["isAllDay"] else zone or "UTC"),
            }
        )
        return data

    def render_id(
        self,
        event_id: str,
        mailbox: str | None,
        zone: str | None = None,
        expand: list[str] | None = None,
    ) -> dict[str, Any]:
        """GET events/{id}: an event, or one occurrence of a series; 404 otherwise."""
        stored = self.get(event_id, mailbox)
        if OCCURRENCE_MARK not in event_id:
            return self.render(stored, zone, expand)
        number = int(event_id.split(OCCURRENCE_MARK)[1] or 0)
        span = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
        for occurrence in self.occurrences(stored, span):
            if occurrence[0] == number:
                data = self.render_occurrence(stored, *occurrence, zone=zone)
                if expand is not None:
                    data["singleValueExtendedProperties"] = []
                return data
        raise not_found()

    # -- delta

    def invalidate(self, calendar_id: str | None = None) -> None:
        """Delta and skip tokens of one (or every) calendar now answer 410."""
        targets = [self.calendar(calendar_id)] if calendar_id else list(self.calendars.values())
        for calendar in targets:
            calendar.generation += 1

    def delta(
        self,
        calendar_id: str | None,
        args: Mapping[str, str],
        page_size: int,
        link_base: str,
        zone: str | None = None,
        mailbox: str | None = None,
    ) -> dict[str, Any]:
        """One page of calendarView/delta with Graph's full/incremental round semantics."""
        calendar = self.calendar(calendar_id, mailbox)
        lower = {k.lower(): v for k, v in args.items()}
        token = lower.get("$skiptoken") or lower.get("$deltatoken")
        if token:
            state = _unb64(token)
            if state is None or state.get("c") != calendar.id:
                raise GraphError(400, "syncStateInvalid", "The sync state is invalid.")
            if "$deltatoken" in lower:
                state = {**state, "m": "inc", "snap": calendar_last_seq(self, calendar), "after": 0}
        else:
            if "startdatetime" not in lower or "enddatetime" not in lower:
                raise GraphError(
                    400,
                    "ErrorInvalidParameter",
                    "This request requires a time window specified by the query string "
                    "parameters StartDateTime and EndDateTime.",
                )
            start, _ = parse_when({"dateTime": lower["startdatetime"]}, "startDateTime")
            end, _ = parse_when({"dateTime": lower["enddatetime"]}, "endDateTime")
            state = {
                "c": calendar.id,
                "s": start.isoformat(),
                "e": end.isoformat(),
                "g": calendar.generation,
                "m": "full",
                "since": 0,
                "snap": calendar_last_seq(self, calendar),
                "after": 0,
            }
        if state["g"] != calendar.generation:
            raise GraphError(
                410,
                "syncStateNotFound",
                "The sync state is no longer available: start a new round of delta queries.",
            )
        window = (datetime.fromisoformat(state["s"]), datetime.fromisoformat(state["e"]))
        # (key, event, occurrence or None); a series lists its occurrences in the window
        rows: list[tuple[int, StoredEvent, tuple[int, datetime, datetime] | None]] = []
        for stored in self.events.values():
            if stored.calendar_id != calendar.id or stored.seq > state["snap"]:
                continue
            full = state["m"] == "full"
            if not full and stored.seq <= state["since"]:
                continue
            base = (stored.cseq if full else stored.seq) * _KEY_SCALE
            if stored.fields.get("recurrence"):
                if full and stored.deleted:
                    continue
                for occurrence in self.occurrences(stored, window):
                    rows.append((base + occurrence[0], stored, occurrence))
                continue
            inside = stored.start < window[1] and stored.end > window[0]
            if not full or (not stored.deleted and inside):
                rows.append((base, stored, None))
        rows.sort(key=lambda row: row[0])
        rows = [row for row in rows if row[0] > state["after"]]
        page, rest = rows[:page_size], rows[page_size:]
        items: list[dict[str, Any]] = []
        for _, stored, occurrence in page:
            if occurrence is not None:
                shown = self.render_occurrence(stored, *occurrence, zone=zone)
                if stored.deleted:
                    shown = {"@odata.type": "#microsoft.graph.event", "id": shown["id"]}
                    shown["@removed"] = {"reason": "deleted"}
                items.append(shown)
                continue
            inside = stored.start < window[1] and stored.end > window[0]
            if stored.deleted or not inside:
                items.append(
                    {
                        "@odata.type": "#microsoft.graph.event",
                        "id": self.shown_id(stored.id),
                        "@removed": {"reason": "deleted"},
                    }
                )
            else:
                items.append(self.render(stored, zone))
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
            "value": items,
        }
        if rest:
            body["@odata.nextLink"] = (
                f"{link_base}?$skiptoken={_b64({**state, 'after': page[-1][0]})}"
            )
        else:
            done = {k: state[k] for k in ("c", "s", "e", "g")}
            body["@odata.deltaLink"] = (
                f"{link_base}?$deltatoken={_b64({**done, 'since': state['snap']})}"
            )
        return body


def calendar_last_seq(store: GraphStore, calendar: FakeCalendar) -> int:
    """The highest change sequence of a calendar (the snapshot a round starts from)."""
    return max((e.seq for e in store.events.values() if e.calendar_id == calendar.id), default=0)
