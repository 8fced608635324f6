"""A stateful fake of Google Calendar v3 and Google's OAuth 2.0 server, served on loopback.

The real google-api-python-client and requests-oauthlib talk to it over HTTP. Start it with::

    with FakeGoogleCalendar() as fake:               # or fake.start() ... fake.stop()
        connector = GoogleCalendarConnector(tokens, {"api_base_url": fake.api_base_url})
        oauth = GoogleCalendarConnector.oauth_client(id, secret, redirect, **fake.oauth_endpoints())

or use the `google_calendar_fake` pytest fixture below. It offers: calendarList list/get;
events list/get/insert/patch/update/delete/watch; channels.stop; sync tokens and paging with
Google's semantics (`invalidate_sync_tokens()` makes them 410); etags and 412 on If-Match;
deleted events as `status: cancelled`; fault injection (`inject_fault`); a per-endpoint call
counter (`calls`) and request log (`requests`); "remote user" edits (`user_create`, `user_move`,
`user_retitle`, `user_delete`); push notifications (`notification`, `notify`, `auto_notify`).
Recurring events (`recurrence` with an RRULE of FREQ DAILY/WEEKLY/YEARLY, INTERVAL, COUNT,
UNTIL) are expanded by `singleEvents=true` (see `CalendarStore.list_events`); timeMin/timeMax
bound full listings (and are refused with a sync token). eventType rules (status events on
primary calendars only, birthdays' shape) are checked on insert. `quota_per_minute` turns on
the per-user budget (a sliding minute; 403 `rateLimitExceeded` in the `usageLimits` domain, or
429 with `quota_status = 429`); batch requests (`POST /batch/calendar/v3`, multipart/mixed, at
most 1,000 parts) run each part as its own call, each counted against the budget.
`max_concurrent` records how many API calls were ever in flight at once (`delay` slows each).
Not modelled: exceptions of recurring series (instances edited one by one), attendees'
calendars, free/busy, ACLs. requests-oauthlib refuses plain http unless
OAUTHLIB_INSECURE_TRANSPORT=1: set it in the test (the fixture does) when you drive the OAuth
endpoints.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.utils import format_datetime
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from tests.fakes.google_calendar_store import ApiError, CalendarStore, FakeCalendar, rfc3339
from tests.fakes.google_oauth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakeGoogleOAuth,
)
from tests.fakes.server import LoopbackFake

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "SCOPE",
    "FakeGoogleCalendar",
    "google_calendar_fake",
]

SCOPE = "https://www.googleapis.com/auth/calendar"
DEFAULT_CHANNEL_TTL = 604800
MAX_CHANNEL_TTL = 30 * 24 * 3600
BATCH_PATH = "/batch/calendar/v3"
MAX_BATCH_PARTS = 1000  # "You're limited to 1000 calls in a single batch request"

_ROUTES = Map(
    [
        Rule("/calendar/v3/users/me/calendarList", endpoint="calendarList.list", methods=["GET"]),
        Rule(
            "/calendar/v3/users/me/calendarList/<path:calendar_id>",
            endpoint="calendarList.get",
            methods=["GET"],
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events/watch",
            endpoint="events.watch",
            methods=["POST"],
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events", endpoint="events.list", methods=["GET"]
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events",
            endpoint="events.insert",
            methods=["POST"],
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events/<event_id>",
            endpoint="events.get",
            methods=["GET"],
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events/<event_id>",
            endpoint="events.patch",
            methods=["PATCH"],
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events/<event_id>",
            endpoint="events.update",
            methods=["PUT"],
        ),
        Rule(
            "/calendar/v3/calendars/<calendar_id>/events/<event_id>",
            endpoint="events.delete",
            methods=["DELETE"],
        ),
        Rule("/calendar/v3/channels/stop", endpoint="channels.stop", methods=["POST"]),
        Rule("/calendar/v3/calendars/<calendar_id>", endpoint="calendars.get", methods=["GET"]),
        Rule("/o/oauth2/v2/auth", endpoint="oauth.authorize", methods=["GET", "POST"]),
        Rule("/token", endpoint="oauth.token", methods=["POST"]),
        Rule("/revoke", endpoint="oauth.revoke", methods=["POST"]),
    ]
)

_FAULT_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("global", "notFound", "Not Found"),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    502: ("global", "backendError", "Bad Gateway"),
    503: ("global", "backendError", "Service Unavailable"),
}


@dataclass
class Fault:
    """An error the next matching call(s) will answer with."""

    status: int
    reason: str
    message: str
    domain: str
    endpoint: str | None
    remaining: int
    retry_after: int | None = None


@dataclass
class RecordedRequest:
    """One call the fake received."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    if_match: str | None


@dataclass
class FakeChannel:
    """A watch channel opened with events.watch."""

    id: str
    resource_id: str
    calendar_id: str
    address: str
    token: str | None
    expiration_ms: int
    messages: int = 0
    deliveries: list[tuple[str, int]] = field(default_factory=list)


HTTP_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, mimetype="application/json", headers=headers or {}
    )


def _when(value: datetime | str) -> dict[str, str]:
    if isinstance(value, str) and len(value) == 10:  # "2025-01-20": an all-day event
        return {"date": value}
    return {"dateTime": value.isoformat() if isinstance(value, datetime) else value}


class FakeGoogleCalendar(LoopbackFake):
    """Google Calendar v3 + Google OAuth on 127.0.0.1, for tests and benchmarks."""

    def __init__(
        self,
        *,
        user_email: str = "fake.user@example.com",
        time_zone: str = "Europe/Paris",
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        require_auth: bool = True,
        port: int = 0,
    ) -> None:
        """Build the state; nothing listens until `start()`."""
        self.user_email = user_email
        self.clock = clock
        self.require_auth = require_auth
        self.auto_notify = False
        self.rng = random.Random(seed)
        self.oauth = FakeGoogleOAuth(user_email, self.rng, clock)
        self.store = CalendarStore(user_email, time_zone, self.rng, clock)
        self.channels: dict[str, FakeChannel] = {}
        self.calls: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        # Per-user budget of API calls per sliding minute (None: unlimited, the default).
        self.quota_per_minute: int | None = None
        self.quota_status = 403
        self.quota_refusals = 0
        self._quota_log: deque[float] = deque()
        # Calls applied whose answer is then lost (a 503 instead), per endpoint.
        self.lost_answers: Counter[str] = Counter()
        self.delay = 0.0  # seconds each API call takes (to make overlapping calls visible)
        self.max_concurrent = 0
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self._init_loopback(port)

    @property
    def api_base_url(self) -> str:
        """The Calendar API root to give the connector (`api_base_url`)."""
        return self.base_url + "/calendar/v3/"

    def oauth_endpoints(self) -> dict[str, str]:
        """authorize_url / token_url / revoke_url, for `Manifest.with_endpoints`."""
        return {
            "authorize_url": self.base_url + "/o/oauth2/v2/auth",
            "token_url": self.base_url + "/token",
            "revoke_url": self.base_url + "/revoke",
        }

    # ---------------------------------------------------------------------- test helpers

    def issue_access_token(self, scope: str = SCOPE, token: str | None = None) -> str:
        """A valid bearer token for the API (no OAuth dance)."""
        return self.oauth.issue_access_token(scope, token)

    def inject_fault(
        self,
        status: int,
        *,
        count: int = 1,
        reason: str | None = None,
        endpoint: str | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next `count` API calls (to `endpoint`, if given) answer `status`."""
        domain, default_reason, default_message = _FAULT_DEFAULTS.get(
            status, ("global", "error", "Error")
        )
        if reason == "userRateLimitExceeded":
            default_message = "User Rate Limit Exceeded"
        with self._lock:
            self.faults.append(
                Fault(
                    status=status,
                    reason=reason or default_reason,
                    message=message or default_message,
                    domain=domain,
                    endpoint=endpoint,
                    remaining=count,
                    retry_after=retry_after,
                )
            )

    def reset_counters(self) -> None:
        """Forget counted calls and the request log."""
        with self._lock:
            self.calls.clear()
            self.requests.clear()

    def invalidate_sync_tokens(self, calendar_id: str | None = None) -> None:
        """Old sync/page tokens now answer 410 fullSyncRequired."""
        with self._lock:
            self.store.invalidate(calendar_id)

    def add_calendar(
        self,
        calendar_id: str,
        summary: str,
        time_zone: str = "Europe/Paris",
        *,
        access_role: str = "owner",
        data_owner: str | None = None,
    ) -> None:
        """Give the user another calendar (`access_role`: the user's role on it)."""
        with self._lock:
            self.store.add_calendar(
                calendar_id, summary, time_zone, access_role=access_role, data_owner=data_owner
            )

    def event(self, event_id: str, calendar_id: str = "primary") -> dict[str, Any]:
        """A copy of a stored event (cancelled ones included)."""
        with self._lock:
            return json.loads(json.dumps(self.store.event(calendar_id, event_id).data))

    def events(
        self, calendar_id: str = "primary", include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Copies of a calendar's events, in creation order."""
        with self._lock:
            calendar = self.store.calendar(calendar_id)
            rows = sorted(calendar.events.values(), key=lambda s: s.cseq)
            return [
                json.loads(json.dumps(s.data))
                for s in rows
                if include_deleted or s.data.get("status") != "cancelled"
            ]

    def user_create(
        self,
        summary: str,
        start: datetime | str,
        end: datetime | str,
        *,
        calendar_id: str = "primary",
        time_zone: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """The user creates an event in the Google Calendar UI (a "foreign" event)."""
        zone = {"timeZone": time_zone} if time_zone else {}
        body = {
            "summary": summary,
            "start": {**_when(start), **zone},
            "end": {**_when(end), **zone},
            **fields,
        }
        with self._lock:
            created = self.store.insert(calendar_id, body)
        self._changed(calendar_id)
        return created

    def user_edit(
        self, event_id: str, calendar_id: str = "primary", **changes: Any
    ) -> dict[str, Any]:
        """The user changes fields of an event (patch semantics)."""
        with self._lock:
            updated = self.store.patch(calendar_id, event_id, changes)
        self._changed(calendar_id)
        return updated

    def user_move(
        self,
        event_id: str,
        start: datetime | str,
        end: datetime | str,
        calendar_id: str = "primary",
    ) -> dict[str, Any]:
        """The user drags an event to another time."""
        return self.user_edit(event_id, calendar_id, start=_when(start), end=_when(end))

    def user_retitle(
        self, event_id: str, summary: str, calendar_id: str = "primary"
    ) -> dict[str, Any]:
        """The user renames an event."""
        return self.user_edit(event_id, calendar_id, summary=summary)

    def user_delete(self, event_id: str, calendar_id: str = "primary") -> None:
        """The user deletes an event."""
        with self._lock:
            self.store.delete(calendar_id, event_id)
        self._changed(calendar_id)

    # ------------------------------------------------------------------ push notifications

    def notification(self, channel_id: str, state: str = "exists") -> tuple[dict[str, str], bytes]:
        """The (headers, body) Google would POST for `channel_id` (message number advances)."""
        with self._lock:
            channel = self.channels[channel_id]
            channel.messages += 1
            number = channel.messages
        expiration = datetime.fromtimestamp(channel.expiration_ms / 1000, UTC)
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": format_datetime(expiration, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": self._resource_uri(channel.calendar_id),
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        return headers, b""

    def notify(self, channel_id: str, state: str = "exists", timeout: float = 5.0) -> int:
        """POST a notification to the channel's address now; returns the HTTP status."""
        headers, body = self.notification(channel_id, state)
        channel = self.channels[channel_id]
        request = urllib.request.Request(channel.address, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                status = int(resp.status)
        except urllib.error.HTTPError as err:
            status = err.code
            err.close()
        except OSError:
            status = 0
        channel.deliveries.append((state, status))
        return status

    def _changed(self, calendar_id: str) -> None:
        """Queue an `exists` notification on every channel of the calendar (auto_notify)."""
        if not self.auto_notify:
            return
        calendar = self.store.calendar(calendar_id)
        with self._lock:
            targets = [c.id for c in self.channels.values() if c.calendar_id == calendar.id]
        self._queue_notifications([(channel_id, "exists") for channel_id in targets])

    def _deliver_queued(self, item: tuple[Any, ...]) -> None:
        if item[0] in self.channels:
            self.notify(*item)

    def _resource_uri(self, calendar_id: str) -> str:
        return f"https://www.googleapis.com/calendar/v3/calendars/{calendar_id}/events?alt=json"

    def _resource_id(self, calendar: FakeCalendar) -> str:
        return hashlib.sha1(calendar.id.encode()).hexdigest()[:27]

    # ----------------------------------------------------------------------------- WSGI

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        """The WSGI entry point."""
        request = Request(environ)
        if request.path == BATCH_PATH and request.method == "POST":
            with self._lock:
                self.calls["batch"] += 1
            response = self._batch(request)
        else:
            response = self._timed(request)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def _timed(self, request: Request) -> Response:
        """Dispatch one call, recording how many calls are in flight at once."""
        with self._flight_lock:
            self._in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self._in_flight)
        try:
            if self.delay and not request.path.startswith(("/token", "/o/", "/revoke")):
                time.sleep(self.delay)
            return self._dispatch(request)
        finally:
            with self._flight_lock:
                self._in_flight -= 1

    def _batch(self, request: Request) -> Response:
        """POST /batch/calendar/v3: each application/http part is run as its own call."""
        ctype = request.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/mixed") or "boundary=" not in ctype:
            return _json(ApiError(400, "badRequest", "Batch must be multipart/mixed").body(), 400)
        message = BytesParser().parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + request.get_data()
        )
        parts: list[Any] = list(message.get_payload()) if message.is_multipart() else []
        if not parts or len(parts) > MAX_BATCH_PARTS:
            error = ApiError(400, "badRequest", f"A batch holds 1 to {MAX_BATCH_PARTS} calls")
            return _json(error.body(), 400)
        boundary = f"batch_{uuid.uuid4().hex}"
        out: list[str] = []
        outer_auth = request.headers.get("Authorization")
        for part in parts:
            raw = part.get_payload(decode=True) or b""
            inner = self._batch_part(raw.decode("utf-8"), outer_auth)
            content_id = str(part.get("Content-ID", "")).strip("<>")
            reason = HTTP_REASONS.get(inner.status_code, "Error")
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id}>\r\n\r\n"
                f"HTTP/1.1 {inner.status_code} {reason}\r\n"
                f"Content-Type: application/json; charset=UTF-8\r\n\r\n"
                f"{inner.get_data(as_text=True)}\r\n"
            )
        out.append(f"--{boundary}--\r\n")
        return Response(
            "".join(out), status=200, content_type=f"multipart/mixed; boundary={boundary}"
        )

    def _batch_part(self, raw: str, outer_auth: str | None) -> Response:
        """One nested request: status line, headers, blank line, body."""
        status_line, _, rest = raw.partition("\n")
        method, target, _ = [*status_line.strip().split(" ", 2), "", ""][:3]
        head, _, payload = rest.replace("\r\n", "\n").partition("\n\n")
        headers: dict[str, str] = {}
        for line in head.split("\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip()] = value.strip()
        if outer_auth and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = outer_auth
        path, _, query = target.partition("?")
        builder = EnvironBuilder(
            path=path,
            method=method or "GET",
            query_string=query,
            headers=[(k, v) for k, v in headers.items() if k.lower() != "content-length"],
            data=payload.encode("utf-8") if payload else None,
            content_type=headers.get("Content-Type") or headers.get("content-type"),
        )
        try:
            return self._timed(Request(builder.get_environ()))
        finally:
            builder.close()

    def _dispatch(self, request: Request) -> Response:
        adapter = _ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return _json(ApiError(405, "httpMethodNotAllowed", "Method Not Allowed").body(), 405)
        except (NotFound, HTTPException):
            return _json(ApiError(404, "notFound", "Not Found").body(), 404)
        body: Any = None
        if request.mimetype == "application/json":
            body = request.get_json(silent=True)
        elif request.form:
            body = dict(request.form)
        with self._lock:
            self.calls[endpoint] += 1
            self.requests.append(
                RecordedRequest(
                    endpoint,
                    request.method,
                    request.path,
                    dict(request.args),
                    body,
                    request.headers.get("If-Match"),
                )
            )
            fault = self._take_fault(endpoint)
        if fault is not None:
            error = ApiError(fault.status, fault.reason, fault.message, fault.domain)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return _json(error.body(), fault.status, headers)
        if not endpoint.startswith("oauth.") and self._over_quota():
            error = ApiError(
                self.quota_status, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"
            )
            return _json(error.body(), self.quota_status)
        if endpoint.startswith("oauth."):
            handler = {
                "oauth.authorize": self.oauth.authorize,
                "oauth.token": self.oauth.token,
                "oauth.revoke": self.oauth.revoke,
            }[endpoint]
            return handler(request)
        try:
            self._authenticate(request)
            with self._lock:
                answer = self._api(endpoint, request, args, body)
                if self.lost_answers[endpoint] > 0:  # done, but the client never hears it
                    self.lost_answers[endpoint] -= 1
                    error = ApiError(503, "backendError", "Backend Error")
                    return _json(error.body(), 503)
                return answer
        except ApiError as err:
            headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
            return _json(err.body(), err.status, headers if err.status == 401 else None)

    def _over_quota(self) -> bool:
        """Whether this call exceeds the user's budget of calls in the last 60 s."""
        if self.quota_per_minute is None:
            return False
        with self._lock:
            now = self.clock()
            while self._quota_log and self._quota_log[0] <= now - 60:
                self._quota_log.popleft()
            if len(self._quota_log) >= self.quota_per_minute:
                self.quota_refusals += 1
                return True
            self._quota_log.append(now)
            return False

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self.faults:
            if fault.endpoint == endpoint or (
                fault.endpoint is None and not endpoint.startswith("oauth.")
            ):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _authenticate(self, request: Request) -> None:
        if not self.require_auth:
            return
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        access = self.oauth.check_access_token(token)
        if access is None:
            raise ApiError(
                401,
                "authError",
                "Invalid Credentials",
                location="Authorization",
                locationType="header",
            )
        if SCOPE not in access.scope.split():
            raise ApiError(403, "insufficientPermissions", "Insufficient Permission")

    def _api(self, endpoint: str, request: Request, args: dict[str, str], body: Any) -> Response:
        store = self.store
        if_match = request.headers.get("If-Match")
        if endpoint == "calendarList.list":
            items = [c.entry() for c in store.calendars.values()]
            return _json(
                {
                    "kind": "calendar#calendarList",
                    "etag": f'"p{store.seq:016d}"',
                    "nextSyncToken": f"calendarList-{store.seq}",
                    "items": items,
                }
            )
        if endpoint == "calendarList.get":
            return _json(store.calendar(args["calendar_id"]).entry())
        if endpoint == "calendars.get":
            return _json(store.calendar(args["calendar_id"]).resource())
        calendar_id = args.get("calendar_id", "")
        if endpoint == "events.list":
            return _json(store.list_events(calendar_id, dict(request.args)))
        if endpoint == "events.get":
            return _json(self.event(args["event_id"], calendar_id))
        writes = ("events.insert", "events.patch", "events.update", "events.watch", "channels.stop")
        if endpoint in writes and not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        if endpoint == "events.insert":
            created = store.insert(calendar_id, body)
            self._changed(calendar_id)
            return _json(created)
        if endpoint in ("events.patch", "events.update"):
            replace = endpoint == "events.update"
            updated = store.patch(calendar_id, args["event_id"], body, if_match, replace=replace)
            self._changed(calendar_id)
            return _json(updated)
        if endpoint == "events.delete":
            store.delete(calendar_id, args["event_id"], if_match)
            self._changed(calendar_id)
            return Response(status=204)
        if endpoint == "events.watch":
            return _json(self._watch(calendar_id, body))
        if endpoint == "channels.stop":
            channel = self.channels.get(str(body.get("id")))
            if channel is None or channel.resource_id != body.get("resourceId"):
                raise ApiError(
                    404, "notFound", f"Channel '{body.get('id')}' not found for project '0'"
                )
            del self.channels[channel.id]
            return Response(status=204)
        raise ApiError(404, "notFound", "Not Found")

    def _watch(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        calendar = self.store.calendar(calendar_id)
        channel_id = str(body.get("id") or "")
        if not channel_id or len(channel_id) > 64:
            raise ApiError(400, "required", "Channel id must be given and at most 64 characters.")
        if body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(400, "invalid", "Invalid value for: type")
        if not body.get("address"):
            raise ApiError(400, "required", "Required: address")
        if channel_id in self.channels:
            raise ApiError(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        now_ms = int(self.clock() * 1000)
        ttl = int((body.get("params") or {}).get("ttl", DEFAULT_CHANNEL_TTL))
        expiration = now_ms + min(ttl, MAX_CHANNEL_TTL) * 1000
        if body.get("expiration"):
            expiration = min(expiration, int(body["expiration"]))
        channel = FakeChannel(
            id=channel_id,
            resource_id=self._resource_id(calendar),
            calendar_id=calendar.id,
            address=str(body["address"]),
            token=body.get("token"),
            expiration_ms=expiration,
        )
        self.channels[channel_id] = channel
        answer: dict[str, Any] = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": self._resource_uri(calendar_id),
            "expiration": str(expiration),
        }
        if channel.token is not None:
            answer["token"] = channel.token
        return answer


def now_rfc3339(offset: timedelta = timedelta(0)) -> str:
    """Current time plus `offset` in Google's timestamp format (handy in tests)."""
    return rfc3339(datetime.now(UTC) + offset)


@pytest.fixture
def google_calendar_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogleCalendar]:
    """A started fake, stopped after the test; requests-oauthlib may use plain http."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGoogleCalendar() as fake:
        yield fake
