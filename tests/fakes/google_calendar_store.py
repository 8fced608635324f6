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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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
        self.calendars: dict[str, FakeCalendar] = {}
        self.add_calendar(user_email, user_email, time_zone, primary=True)

    # -- calendars

    def add_calendar(
        self, calendar_id: str, summary: str, time_zone: str, primary: bool = False
    ) -> FakeCalendar:
        """Add a calendar the user can see."""
        calendar = FakeCalendar(calendar_id, summary, time_zone, primary=primary)
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

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """events.insert; a client-chosen id must be valid base32hex and unused (409)."""
        calendar = self.calendar(calendar_id)
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
        calendar = self.calendar(calendar_id)
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
        calendar = self.calendar(calendar_id)
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
        """events.list with Google's full/incremental sync and paging semantics."""
        calendar = self.calendar(calendar_id)
        max_results = max(1, min(int(args.get("maxResults", "250")), 2500))
        show_deleted = args.get("showDeleted") == "true"
        restricted = SYNC_RESTRICTED & set(args) or args.get("showDeleted") == "false"
        if args.get("syncToken") and restricted:
            raise ApiError(
                400, "invalid", "Sync token cannot be used with other request restrictions."
            )
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
                "after": 0,
                "g": token["g"],
            }
        else:
            state = {
                "c": calendar.id,
                "m": "full",
                "snap": calendar.last_seq,
                "after": 0,
                "g": calendar.generation,
                "tm": args.get("timeMin"),
            }
        if state["g"] != calendar.generation:
            raise ApiError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        incremental = state["m"] == "inc"
        rows: list[tuple[int, StoredEvent]] = []
        time_min = (
            datetime.fromisoformat(state["tm"].replace("Z", "+00:00")) if state.get("tm") else None
        )
        for stored in calendar.events.values():
            if stored.seq > state["snap"]:
                continue
            cancelled = stored.data.get("status") == "cancelled"
            if incremental:
                if stored.seq <= state["since"]:
                    continue
                rows.append((stored.seq, stored))
                continue
            if cancelled and not show_deleted:
                continue
            if (
                time_min
                and not cancelled
                and parse_when(stored.data["end"], calendar.time_zone) < time_min
            ):
                continue
            rows.append((stored.cseq, stored))
        rows.sort(key=lambda row: row[0])
        rows = [row for row in rows if row[0] > state["after"]]
        page, rest = rows[:max_results], rows[max_results:]
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
            "items": [copy.deepcopy(stored.data) for _, stored in page],
        }
        if rest:
            body["nextPageToken"] = _b64({**state, "after": page[-1][0]})
        else:
            snap = {"c": calendar.id, "s": state["snap"], "g": calendar.generation}
            body["nextSyncToken"] = _b64(snap)
        return body
