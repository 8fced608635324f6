"""In-memory calendars and events of the Google Calendar fake: versions, etags, sync tokens.

Pure state, no HTTP: `FakeGoogleCalendar` (google_calendar.py) serves it over loopback. Every
change gets the next value of one monotonic sequence; a sync token is "changes after sequence N
of calendar C in generation G", and bumping a calendar's generation makes its old tokens 410.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

READ_ONLY_FIELDS = frozenset(
    {"kind", "etag", "htmlLink", "created", "updated", "creator", "organizer", "iCalUID"}
)
SYNC_RESTRICTED = frozenset(
    {
        "iCalUID",
        "orderBy",
        "privateExtendedProperty",
        "q",
        "sharedExtendedProperty",
        "timeMin",
        "timeMax",
        "updatedMin",
    }
)
EVENT_TYPES = frozenset(
    {"default", "birthday", "focusTime", "fromGmail", "outOfOffice", "workingLocation"}
)
STATUS_EVENT_TYPES = frozenset({"focusTime", "outOfOffice", "workingLocation"})
# Secondary calendars have such ids; a user's primary calendar has the user's e-mail as id.
SECONDARY_SUFFIX = "@group.calendar.google.com"
# How far ahead singleEvents=true expands a series without an end when the request sets no
# timeMax (a daily series without an end is reported to list 730 instances: about two years).
UNBOUNDED_HORIZON = timedelta(days=730)
EVENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


class ApiError(Exception):
    """An error the fake answers with, in Google's JSON error shape."""

    def __init__(
        self, status: int, reason: str, message: str, domain: str = "global", **extra: Any
    ) -> None:
        """Remember what to answer."""
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """Google's error document."""
        error: dict[str, Any] = {"domain": self.domain, "reason": self.reason}
        error["message"] = self.message
        error.update(self.extra)
        return {"error": {"errors": [error], "code": self.status, "message": self.message}}


@dataclass
class StoredEvent:
    """An event and its bookkeeping (last change sequence, creation order)."""

    data: dict[str, Any]
    seq: int
    cseq: int


@dataclass
class FakeCalendar:
    """One calendar of the fake user."""

    id: str
    summary: str
    time_zone: str
    primary: bool = False
    access_role: str = "owner"
    data_owner: str | None = None  # Google sets dataOwner only for secondary calendars
    generation: int = 0
    last_seq: int = 0
    events: dict[str, StoredEvent] = field(default_factory=dict)

    def entry(self) -> dict[str, Any]:
        """The calendarList entry."""
        entry: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{1700000000000000 + self.last_seq}"',
            "id": self.id,
            "summary": self.summary,
            "timeZone": self.time_zone,
            "colorId": "14",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": self.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}],
        }
        if self.primary:
            entry["primary"] = True
        return entry

    def resource(self) -> dict[str, Any]:
        """The Calendars resource (calendars.get): dataOwner for secondary calendars only."""
        body: dict[str, Any] = {
            "kind": "calendar#calendar",
            "etag": f'"c{self.last_seq}"',
            "id": self.id,
            "summary": self.summary,
            "timeZone": self.time_zone,
        }
        if self.data_owner and not self.primary:
            body["dataOwner"] = self.data_owner
        return body


def rfc3339(moment: datetime) -> str:
    """Google's timestamp format: UTC, milliseconds, Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _unb64(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def parse_when(when: dict[str, Any], default_tz: str) -> datetime:
    """An event's start/end ({dateTime[, timeZone]} or {date}) as an aware datetime."""
    if "dateTime" in when:
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(when.get("timeZone") or default_tz))
        return moment
    if "date" in when:
        day = date.fromisoformat(str(when["date"]))
        return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(default_tz))
    raise ApiError(400, "required", "Missing time.")


def normalize_when(when: Any, default_tz: str, name: str) -> dict[str, Any]:
    """What Google stores for a start/end: dateTime rendered with the zone's UTC offset."""
    if not isinstance(when, dict) or not ({"dateTime", "date"} & set(when)):
        raise ApiError(400, "required", f"Missing {name} time.")
    out = dict(when)
    if "dateTime" in when:
        tz_name = when.get("timeZone") or default_tz
        try:
            zone = ZoneInfo(tz_name)
        except (KeyError, ValueError) as err:
            raise ApiError(
                400, "timeZone", f"Invalid time zone definition for {name} time."
            ) from err
        try:
            moment = parse_when(when, tz_name)
        except ValueError as err:
            raise ApiError(400, "invalid", f"Invalid {name} time.") from err
        out["dateTime"] = moment.astimezone(zone).isoformat()
    return out


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Google's patch semantics: objects merge, arrays and scalars replace, null clears."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class CalendarStore:
    """All calendars of the fake user, with Google's sync semantics."""

    def __init__(
        self, user_email: str, time_zone: str, rng: random.Random, clock: Callable[[], float]
    ) -> None:
        """Create the user's primary calendar (its id is the user's email)."""
        self.user_email = user_email
        self.rng = rng
        self.clock = clock
        self.seq = 0
        self.instances_listed = 0  # instances of recurring events returned by events.list
        self.calendars: dict[str, FakeCalendar] = {}
        self.add_calendar(user_email, user_email, time_zone, primary=True)

    # -- calendars

    def add_calendar(
        self,
        calendar_id: str,
        summary: str,
        time_zone: str,
        primary: bool = False,
        access_role: str = "owner",
        data_owner: str | None = None,
    ) -> FakeCalendar:
        """Add a calendar the user can see, with the user's access role on it."""
        calendar = FakeCalendar(
            calendar_id,
            summary,
            time_zone,
            primary=primary,
            access_role=access_role,
            data_owner=data_owner,
        )
        self.calendars[calendar_id] = calendar
        return calendar

    def calendar(self, calendar_id: str) -> FakeCalendar:
        """A calendar by id, "primary" included; 404 otherwise."""
        if calendar_id == "primary":
            calendar_id = self.user_email
        try:
            return self.calendars[calendar_id]
        except KeyError:
            raise ApiError(404, "notFound", "Not Found") from None

    def writable(self, calendar_id: str) -> FakeCalendar:
        """A calendar the user may write to (writer or owner role); 403 otherwise."""
        calendar = self.calendar(calendar_id)
        if calendar.access_role not in ("writer", "owner"):
            raise ApiError(
                403, "requiredAccessLevel", "You need to have writer access to this calendar."
            )
        return calendar

    def event(self, calendar_id: str, event_id: str) -> StoredEvent:
        """A stored event (cancelled ones too); 404 otherwise."""
        stored = self.calendar(calendar_id).events.get(event_id)
        if stored is None:
            raise ApiError(404, "notFound", "Not Found")
        return stored

    # -- changes

    def _bump(self, calendar: FakeCalendar, stored: StoredEvent) -> None:
        self.seq += 1
        stored.seq = self.seq
        calendar.last_seq = self.seq
        now = datetime.fromtimestamp(self.clock(), UTC)
        stored.data["etag"] = f'"{3400000000000000 + self.seq * 1000}"'
        stored.data["updated"] = rfc3339(now)

    def new_event_id(self) -> str:
        """A 26-character base32hex id, like Google's."""
        return "".join(self.rng.choice(BASE32HEX) for _ in range(26))

    def _check_times(self, calendar: FakeCalendar, data: dict[str, Any]) -> None:
        data["start"] = normalize_when(data.get("start"), calendar.time_zone, "start")
        data["end"] = normalize_when(data.get("end"), calendar.time_zone, "end")
        start = parse_when(data["start"], calendar.time_zone).astimezone(UTC)
        if parse_when(data["end"], calendar.time_zone).astimezone(UTC) < start:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        if data.get("recurrence"):
            parse_rrule(list(data["recurrence"]))
            if "dateTime" in data["start"] and not data["start"].get("timeZone"):
                raise ApiError(400, "required", "Missing time zone definition for start time.")

    def _check_type(self, calendar: FakeCalendar, data: dict[str, Any]) -> None:
        """Google's rules per eventType (event-types guide): status events only on primary
        calendars (not on secondary ones, whose ids are group.calendar.google.com addresses),
        birthdays all-day, private, transparent and yearly; fromGmail not insertable."""
        kind = data.get("eventType", "default")
        if kind not in EVENT_TYPES or kind == "fromGmail":
            raise ApiError(400, "invalid", f"Invalid event type: {kind}")
        if kind in STATUS_EVENT_TYPES and calendar.id.endswith(SECONDARY_SUFFIX):
            raise ApiError(400, "invalid", f"{kind} events can only be set on primary calendars.")
        if kind == "birthday" and (
            "date" not in data["start"]
            or data.get("visibility") != "private"
            or data.get("transparency") != "transparent"
            or not any(str(r).startswith("RRULE:FREQ=YEARLY") for r in data.get("recurrence", []))
        ):
            raise ApiError(400, "invalid", "Invalid birthday event.")

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """events.insert; a client-chosen id must be valid base32hex and unused (409)."""
        calendar = self.writable(calendar_id)
        event_id = body.get("id")
        if event_id is not None:
            if not EVENT_ID_RE.match(str(event_id)):
                raise ApiError(400, "invalid", "Invalid resource id value.")
            if event_id in calendar.events:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
        else:
            event_id = self.new_event_id()
        now = datetime.fromtimestamp(self.clock(), UTC)
        data: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": "",
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": rfc3339(now),
            "updated": rfc3339(now),
            "creator": {"email": self.user_email, "self": True},
            "organizer": {"email": calendar.id, "self": True},
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        for key, value in body.items():
            if key not in READ_ONLY_FIELDS and key != "id":
                data[key] = copy.deepcopy(value)
        self._check_times(calendar, data)
        self._check_type(calendar, data)
        self.seq += 1
        stored = StoredEvent(data, seq=0, cseq=self.seq)
        calendar.events[event_id] = stored
        self._bump(calendar, stored)
        return copy.deepcopy(data)

    def _check_etag(self, stored: StoredEvent, if_match: str | None) -> None:
        if if_match and if_match != "*" and if_match != stored.data["etag"]:
            raise ApiError(
                412,
                "conditionNotMet",
                "Precondition Failed",
                location="If-Match",
                locationType="header",
            )

    def patch(
        self,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        if_match: str | None = None,
        *,
        replace: bool = False,
    ) -> dict[str, Any]:
        """events.patch (replace=False) or events.update (replace=True), honouring If-Match."""
        calendar = self.writable(calendar_id)
        stored = self.event(calendar_id, event_id)
        self._check_etag(stored, if_match)
        data = copy.deepcopy(stored.data)
        writable = {k: v for k, v in body.items() if k not in READ_ONLY_FIELDS and k != "id"}
        if replace:
            for key in [
                k for k in data if k not in READ_ONLY_FIELDS and k not in ("id", "sequence")
            ]:
                del data[key]
            data.update(copy.deepcopy(writable))
            data.setdefault("status", "confirmed")
        else:
            merge_patch(data, writable)
        self._check_times(calendar, data)
        data["sequence"] = int(data.get("sequence", 0)) + 1
        stored.data = data
        self._bump(calendar, stored)
        return copy.deepcopy(data)

    def delete(self, calendar_id: str, event_id: str, if_match: str | None = None) -> None:
        """events.delete: the event stays as `cancelled` (410 if it already is)."""
        calendar = self.writable(calendar_id)
        stored = self.event(calendar_id, event_id)
        if stored.data.get("status") == "cancelled":
            raise ApiError(410, "deleted", "Resource has been deleted")
        self._check_etag(stored, if_match)
        stored.data["status"] = "cancelled"
        self._bump(calendar, stored)

    # -- listing

    def sync_token(self, calendar: FakeCalendar) -> str:
        """The token for "everything up to now" on this calendar."""
        return _b64({"c": calendar.id, "s": calendar.last_seq, "g": calendar.generation})

    def invalidate(self, calendar_id: str | None = None) -> None:
        """Make the sync tokens (and page tokens) of one or all calendars answer 410."""
        targets = [self.calendar(calendar_id)] if calendar_id else list(self.calendars.values())
        for calendar in targets:
            calendar.generation += 1

    def list_events(self, calendar_id: str, args: dict[str, str]) -> dict[str, Any]:
        """events.list with Google's full/incremental sync and paging semantics.

        `singleEvents=true` expands recurring events into their instances: within
        [timeMin, timeMax) when given, else up to `UNBOUNDED_HORIZON` ahead of now (an endless
        series then lists hundreds of instances; `instances_listed` counts them).
        """
        calendar = self.calendar(calendar_id)
        max_results = max(1, min(int(args.get("maxResults", "250")), 2500))
        show_deleted = args.get("showDeleted") == "true"
        single = args.get("singleEvents") == "true"
        restricted = SYNC_RESTRICTED & set(args) or args.get("showDeleted") == "false"
        if args.get("syncToken") and restricted:
            raise ApiError(
                400, "invalid", "Sync token cannot be used with other request restrictions."
            )
        bounds = [_bound(args.get(name), name) for name in ("timeMin", "timeMax")]
        if bounds[0] and bounds[1] and bounds[1] <= bounds[0]:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        if args.get("pageToken"):
            state = _unb64(args["pageToken"])
            if state is None or state.get("c") != calendar.id:
                raise ApiError(400, "invalid", "Invalid page token value.")
        elif args.get("syncToken"):
            token = _unb64(args["syncToken"])
            if token is None or token.get("c") != calendar.id:
                raise ApiError(400, "invalid", "Invalid sync token value.")
            state = {
                "c": calendar.id,
                "m": "inc",
                "since": token["s"],
                "snap": calendar.last_seq,
                "after": [0, 0],
                "g": token["g"],
            }
        else:
            state = {
                "c": calendar.id,
                "m": "full",
                "snap": calendar.last_seq,
                "after": [0, 0],
                "g": calendar.generation,
                "tm": args.get("timeMin"),
                "tx": args.get("timeMax"),
                "now": self.clock(),
            }
        if state["g"] != calendar.generation:
            raise ApiError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        incremental = state["m"] == "inc"
        time_min = _bound(state.get("tm"), "timeMin")
        time_max = _bound(state.get("tx"), "timeMax")
        horizon = datetime.fromtimestamp(state.get("now") or self.clock(), UTC) + UNBOUNDED_HORIZON
        rows: list[tuple[tuple[int, int], dict[str, Any]]] = []
        for stored in calendar.events.values():
            if stored.seq > state["snap"]:
                continue
            cancelled = stored.data.get("status") == "cancelled"
            if incremental:
                if stored.seq <= state["since"]:
                    continue
            elif cancelled and not show_deleted:
                continue
            order = stored.seq if incremental else stored.cseq
            if single and stored.data.get("recurrence"):
                lo = None if incremental else time_min
                hi = time_max if time_max and not incremental else horizon
                for n, instance in enumerate(self.instances(calendar, stored.data, lo, hi)):
                    rows.append(((order, n), instance))
                continue
            if not incremental and not cancelled:
                start = parse_when(stored.data["start"], calendar.time_zone)
                end = parse_when(stored.data["end"], calendar.time_zone)
                if (time_min and end <= time_min) or (time_max and start >= time_max):
                    continue
            rows.append(((order, 0), stored.data))
        rows.sort(key=lambda row: row[0])
        after = tuple(state["after"])
        rows = [row for row in rows if row[0] > after]
        page, rest = rows[:max_results], rows[max_results:]
        self.instances_listed += sum(1 for _, data in page if data.get("recurringEventId"))
        now = datetime.fromtimestamp(self.clock(), UTC)
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"p{calendar.last_seq:016d}"',
            "summary": calendar.summary,
            "description": "",
            "updated": rfc3339(now),
            "timeZone": calendar.time_zone,
            "accessRole": calendar.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}],
            "items": [copy.deepcopy(data) for _, data in page],
        }
        if rest:
            body["nextPageToken"] = _b64({**state, "after": list(page[-1][0])})
        else:
            snap = {"c": calendar.id, "s": state["snap"], "g": calendar.generation}
            body["nextSyncToken"] = _b64(snap)
        return body

    def instances(
        self,
        calendar: FakeCalendar,
        master: dict[str, Any],
        lo: datetime | None,
        hi: datetime,
    ) -> Iterator[dict[str, Any]]:
        """The instances of a recurring event that end after `lo` and start before `hi`."""
        rule = parse_rrule(master.get("recurrence") or [])
        all_day = "date" in master["start"]
        zone = ZoneInfo(master["start"].get("timeZone") or calendar.time_zone)
        first = parse_when(master["start"], calendar.time_zone).astimezone(zone)
        length = parse_when(master["end"], calendar.time_zone) - first
        for number, start in enumerate(_occurrences(first, rule)):
            if rule.count is not None and number >= rule.count:
                return
            if rule.until is not None and start > rule.until:
                return
            if start >= hi:
                return
            end = start + length
            if lo is not None and end <= lo:
                continue
            instance = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
            if all_day:
                instance["id"] = f"{master['id']}_{start:%Y%m%d}"
                instance["start"] = {"date": start.date().isoformat()}
                instance["end"] = {"date": (start + length).date().isoformat()}
                instance["originalStartTime"] = {"date": start.date().isoformat()}
            else:
                instance["id"] = f"{master['id']}_{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
                tz = {"timeZone": zone.key}
                instance["start"] = {"dateTime": start.isoformat(), **tz}
                instance["end"] = {"dateTime": end.isoformat(), **tz}
                instance["originalStartTime"] = {"dateTime": start.isoformat(), **tz}
            instance["recurringEventId"] = master["id"]
            yield instance


@dataclass(frozen=True)
class RRule:
    """The part of an RFC 5545 RRULE the fake expands: FREQ, INTERVAL, COUNT, UNTIL."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None


def parse_rrule(lines: list[str]) -> RRule:
    """The RRULE of an event's `recurrence` lines (400 for what the fake does not model)."""
    rules = [str(line) for line in lines if str(line).startswith("RRULE:")]
    if len(rules) != 1:
        raise ApiError(400, "invalid", "Invalid recurrence rule.")
    parts = dict(p.split("=", 1) for p in rules[0][len("RRULE:") :].split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    if freq not in ("DAILY", "WEEKLY", "YEARLY") or set(parts) - {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYMONTH",
        "BYMONTHDAY",
    }:
        raise ApiError(400, "invalid", "Invalid recurrence rule (not modelled by the fake).")
    until = None
    if "UNTIL" in parts:
        raw = parts["UNTIL"]
        try:
            if "T" in raw:
                until = datetime.strptime(raw.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            else:
                until = datetime.strptime(raw, "%Y%m%d").replace(hour=23, minute=59, tzinfo=UTC)
        except ValueError as err:
            raise ApiError(400, "invalid", "Invalid recurrence rule.") from err
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
    except ValueError as err:
        raise ApiError(400, "invalid", "Invalid recurrence rule.") from err
    return RRule(freq, max(interval, 1), count, until)


def _occurrences(first: datetime, rule: RRule) -> Iterator[datetime]:
    """Start times of a series, stepping in the wall-clock time of its zone (DST kept)."""
    wall = first.replace(tzinfo=None)
    zone = first.tzinfo
    step = 0
    while True:
        if rule.freq == "YEARLY":
            year = wall.year + step * rule.interval
            day = min(wall.day, 28) if wall.month == 2 and wall.day == 29 else wall.day
            moment = wall.replace(year=year, day=day)
        else:
            days = step * rule.interval * (7 if rule.freq == "WEEKLY" else 1)
            moment = wall + timedelta(days=days)
        yield moment.replace(tzinfo=zone)
        step += 1


def _bound(value: str | None, name: str) -> datetime | None:
    """A timeMin/timeMax value: RFC 3339 with a mandatory offset (400 otherwise)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, "invalid", f"Bad Request: invalid {name}")
    return moment
