"""A stateful fake of Microsoft Graph's calendar endpoints (+ the identity platform), on loopback.

The connector's `requests` calls and the real msal library talk to it over HTTP. Start it with::

    with FakeGraph() as fake:                   # or fake.start() ... fake.stop()
        tokens = StaticTokenProvider(fake.issue_access_token())
        connector = OutlookConnector(tokens, {"api_base_url": fake.api_base_url})
        auth = MsalAuth(ID, SECRET, authority=fake.authority(), http_client=fake.http_client())

or use the `graph_fake` pytest fixture below. It offers: /me/calendar(s); calendarView/delta of
the default or a given calendar with Prefer: odata.maxpagesize, @odata.nextLink/@odata.deltaLink,
@removed tombstones and 410 syncStateNotFound (`invalidate_delta_tokens()`); events
get/create/patch/delete with change keys, If-Match → 412, extended properties read back with
`$expand`, transactionId de-duplication; JSON `$batch`; subscriptions create/renew/delete/
reauthorize with the validationToken handshake (10 s), clientState, expiration ceiling, and
change/lifecycle notifications (`notify`, `send_lifecycle`, `auto_notify`); fault injection
(`inject_fault`, 429 with Retry-After); a call counter (`calls`), a write counter (`writes`)
and a request log (`requests`); "remote user" edits (`user_create`, `user_move`,
`user_retitle`, `user_edit`, `user_delete`). Everything not under /v1.0 goes to the identity
fake (`identity`), so one server answers both. Not modelled: recurrence, attendees' mailboxes,
rich notifications (resource data), free/busy.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from connectors.outlook.authority import RedirectingSession
from tests.fakes.graph_store import (
    GraphError,
    GraphStore,
    StoredEvent,
    graph_time,
    not_found,
    parse_expand,
    parse_property_filter,
    render_when,
)
from tests.fakes.microsoft_identity import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    GRAPH_SCOPE,
    PUBLIC_AUTHORITY,
    AccessGrant,
    FakeMicrosoftIdentity,
)
from tests.fakes.server import LoopbackFake

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "GRAPH_SCOPE",
    "FakeGraph",
    "graph_fake",
]

MAX_SUBSCRIPTION_MINUTES = 4_230  # Outlook resources (Graph's subscription lifetime table)
MIN_SUBSCRIPTION_MINUTES = 45
VALIDATION_TIMEOUT = 10.0
DEFAULT_PAGE_SIZE = 10
# Outlook's per-app, per-mailbox limits (Graph throttling guidance).
MAILBOX_CONCURRENCY = 4
MAILBOX_BUDGET = 10_000
MAILBOX_WINDOW = 600.0

_ROUTES = Map(
    [
        Rule("/v1.0/me/calendar", endpoint="calendar.get", methods=["GET"]),
        Rule("/v1.0/me/calendars", endpoint="calendars.list", methods=["GET"]),
        Rule("/v1.0/me/calendars/<calendar_id>", endpoint="calendar.get", methods=["GET"]),
        # Delta of the default calendar's view only: /me/calendars/{id}/calendarView/delta is
        # beta-only, and v1.0 answers 400 ("Resource not found for the segment 'delta'").
        Rule("/v1.0/me/calendarView/delta", endpoint="events.delta", methods=["GET"]),
        Rule("/v1.0/users", endpoint="users.list", methods=["GET"]),
        Rule("/v1.0/me/events", endpoint="events.list", methods=["GET"]),
        Rule("/v1.0/me/events", endpoint="events.create", methods=["POST"]),
        Rule("/v1.0/me/calendars/<calendar_id>/events", endpoint="events.create", methods=["POST"]),
        Rule("/v1.0/me/events/<event_id>", endpoint="events.get", methods=["GET"]),
        Rule("/v1.0/me/events/<event_id>", endpoint="events.update", methods=["PATCH"]),
        Rule("/v1.0/me/events/<event_id>", endpoint="events.delete", methods=["DELETE"]),
        Rule("/v1.0/$batch", endpoint="batch", methods=["POST"]),
        Rule("/v1.0/subscriptions", endpoint="subscriptions.create", methods=["POST"]),
        Rule("/v1.0/subscriptions/<sub_id>", endpoint="subscriptions.update", methods=["PATCH"]),
        Rule("/v1.0/subscriptions/<sub_id>", endpoint="subscriptions.delete", methods=["DELETE"]),
        Rule(
            "/v1.0/subscriptions/<sub_id>/reauthorize",
            endpoint="subscriptions.reauthorize",
            methods=["POST"],
        ),
    ]
)
WRITE_ENDPOINTS = frozenset({"events.create", "events.update", "events.delete"})

_FAULT_CODES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Bad request."),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    409: ("ErrorConflict", "Conflict."),
    429: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "Gateway timeout."),
}


@dataclass
class Fault:
    """An error the next matching call(s) will answer with."""

    status: int
    code: str
    message: str
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
    prefer: str | None
    mailbox: str | None = None  # the user id whose mailbox the call reached


@dataclass
class FakeSubscription:
    """A subscription created with POST /subscriptions."""

    id: str
    resource: str
    calendar_id: str
    change_type: str
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: datetime
    reauthorized: int = 0
    deliveries: list[tuple[str, int]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """The subscription resource."""
        return {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
            "id": self.id,
            "resource": self.resource,
            "applicationId": DEFAULT_CLIENT_ID,
            "changeType": self.change_type,
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": graph_time(self.expiration),
            "creatorId": "00000000-0000-4000-8000-0000000a11ce",
            "includeResourceData": False,
            "latestSupportedTlsVersion": "v1_2",
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
        }


def _denied() -> GraphError:
    return GraphError(
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
    )


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, mimetype="application/json", headers=headers or {}
    )


def _when(value: datetime | str, zone: str = "UTC") -> dict[str, str]:
    if isinstance(value, datetime):
        return render_when(value, zone)
    return {"dateTime": value, "timeZone": zone}


def _prefer(header: str | None) -> dict[str, str]:
    """Prefer: odata.maxpagesize=10, outlook.timezone="Europe/Paris" → dict."""
    out: dict[str, str] = {}
    for part in (header or "").split(","):
        if "=" in part:
            key, _, value = part.strip().partition("=")
            out[key.strip().lower()] = value.strip().strip('"')
    return out


class FakeGraph(LoopbackFake):
    """Microsoft Graph (calendar endpoints) + Microsoft identity on 127.0.0.1."""

    def __init__(
        self,
        *,
        user_email: str = "fake.user@example.com",
        user_name: str = "Fake User",
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        require_auth: bool = True,
        validate_endpoints: bool = True,
        port: int = 0,
    ) -> None:
        """Build the state; nothing listens until `start()`."""
        self.clock = clock
        self.require_auth = require_auth
        self.validate_endpoints = validate_endpoints
        self.auto_notify = False
        self.rng = random.Random(seed)
        self.identity = FakeMicrosoftIdentity(
            user_email=user_email, user_name=user_name, seed=seed + 1, clock=clock
        )
        self.store = GraphStore(
            user_email, user_name, self.rng, clock, user_id=self.identity.user_oid
        )
        self.subscriptions: dict[str, FakeSubscription] = {}
        # Per (app, mailbox): requests in flight, and the times of the last 10 minutes' ones.
        self.mailbox_concurrency = MAILBOX_CONCURRENCY
        self.mailbox_budget = MAILBOX_BUDGET
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        self.sent: dict[str, list[float]] = {}
        self.throttled: Counter[str] = Counter()  # 429 answers, by reason
        self.latency = 0.0  # seconds each mailbox request takes (lets requests overlap)
        self.calls: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._init_loopback(port)

    @property
    def api_base_url(self) -> str:
        """The Graph root to give the connector (`api_base_url`)."""
        return self.base_url + "/v1.0"

    def http_client(self) -> RedirectingSession:
        """The session to give msal: the public authority's calls land on this server."""
        return self.identity.http_client(self.base_url)

    def authority(self, tenant: str = "common") -> str:
        """The authority to configure msal with (the public one; see `http_client`)."""
        return f"{PUBLIC_AUTHORITY}/{tenant}"

    def token_url(self, tenant: str = "common") -> str:
        """This server's token endpoint (`oauth_client(token_url=...)` redirects msal here)."""
        return f"{self.base_url}/{tenant}/oauth2/v2.0/token"

    @property
    def default_calendar_id(self) -> str:
        """The id of the user's default calendar."""
        return self.store.default_calendar_id

    @property
    def user_id(self) -> str:
        """The signed-in user's object id (delegated tokens act as this user)."""
        return self.store.user_id

    def add_user(self, name: str, email: str, user_id: str | None = None) -> str:
        """Another user of the tenant, with his own mailbox; returns his object id."""
        with self._lock:
            return self.store.add_user(name, email, user_id)

    def calendar_of(self, user: str) -> str:
        """The default calendar id of a user's mailbox (by id or address)."""
        with self._lock:
            return self.store.default_calendars[self.store.user(user)]

    def issue_app_token(self, roles: tuple[str, ...] | None = None) -> str:
        """An app-only token of the tenant (application permissions; None: all consented)."""
        if roles is None:
            return self.identity.issue_app_token()
        return self.identity.issue_app_token(roles)

    # ---------------------------------------------------------------------- test helpers

    def issue_access_token(self, scope: str = GRAPH_SCOPE, token: str | None = None) -> str:
        """A valid bearer token for the API (no OAuth dance)."""
        return self.identity.issue_access_token(scope, token)

    def inject_fault(
        self,
        status: int,
        *,
        count: int = 1,
        code: str | None = None,
        endpoint: str | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next `count` API calls (to `endpoint`, if given) answer `status`."""
        default_code, default_message = _FAULT_CODES.get(status, ("UnknownError", "Error."))
        with self._lock:
            self.faults.append(
                Fault(
                    status,
                    code or default_code,
                    message or default_message,
                    endpoint,
                    count,
                    retry_after,
                )
            )

    def reset_counters(self) -> None:
        """Forget counted calls, writes and the request log."""
        with self._lock:
            self.calls.clear()
            self.writes.clear()
            self.requests.clear()

    def invalidate_delta_tokens(self, calendar_id: str | None = None) -> None:
        """Old delta/skip tokens now answer 410 syncStateNotFound."""
        with self._lock:
            self.store.invalidate(calendar_id)

    def add_calendar(
        self, name: str, *, can_edit: bool = True, owner: tuple[str, str] | None = None
    ) -> str:
        """Give the user another calendar (`owner`: shared by that user); returns its id."""
        with self._lock:
            return self.store.add_calendar(name, can_edit=can_edit, owner=owner)

    def event(self, event_id: str, *, with_properties: bool = True) -> dict[str, Any]:
        """A stored live event as Graph renders it (extended properties included)."""
        with self._lock:
            stored = self.store.get(event_id)
            expand = list(stored.props) if with_properties else None
            return self.store.render(stored, expand=expand)

    def events(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """A calendar's live events, in creation order (extended properties included)."""
        with self._lock:
            cal = self.store.calendar(calendar_id)
            rows = sorted(
                (
                    e
                    for e in self.store.events.values()
                    if e.calendar_id == cal.id and not e.deleted
                ),
                key=lambda e: e.cseq,
            )
            return [self.store.render(e, expand=list(e.props)) for e in rows]

    def user_create(
        self,
        subject: str,
        start: datetime | str,
        end: datetime | str,
        *,
        calendar_id: str | None = None,
        zone: str = "UTC",
        **fields: Any,
    ) -> dict[str, Any]:
        """The user creates an event in Outlook (a "foreign" event)."""
        body = {"subject": subject, "start": _when(start, zone), "end": _when(end, zone), **fields}
        with self._lock:
            stored, _ = self.store.create(calendar_id, body)
            rendered = self.store.render(stored)
        self._changed(stored, "created")
        return rendered

    def user_edit(self, event_id: str, **changes: Any) -> dict[str, Any]:
        """The user changes fields of an event (patch semantics)."""
        with self._lock:
            stored = self.store.patch(event_id, changes)
            rendered = self.store.render(stored)
        self._changed(stored, "updated")
        return rendered

    def user_move(
        self, event_id: str, start: datetime | str, end: datetime | str, zone: str = "UTC"
    ) -> dict[str, Any]:
        """The user drags an event to another time."""
        return self.user_edit(event_id, start=_when(start, zone), end=_when(end, zone))

    def user_retitle(self, event_id: str, subject: str) -> dict[str, Any]:
        """The user renames an event."""
        return self.user_edit(event_id, subject=subject)

    def user_delete(self, event_id: str) -> None:
        """The user deletes an event."""
        with self._lock:
            stored = self.store.delete(event_id)
        self._changed(stored, "deleted")

    # ------------------------------------------------------------------- notifications

    def notification(self, sub_id: str, change_type: str, event_id: str) -> dict[str, Any]:
        """The body Graph POSTs to notificationUrl for one change."""
        sub = self.subscriptions[sub_id]
        mailbox = self.store.calendars[sub.calendar_id].mailbox
        resource = f"Users/{mailbox}/Events/{event_id}"
        return {
            "value": [
                {
                    "subscriptionId": sub.id,
                    "subscriptionExpirationDateTime": graph_time(sub.expiration),
                    "changeType": change_type,
                    "resource": resource,
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Event",
                        "@odata.id": resource,
                        "@odata.etag": 'W/"DwAAABYAAA"',
                        "id": event_id,
                    },
                    "clientState": sub.client_state,
                    "tenantId": self.identity.tenant_id,
                }
            ]
        }

    def lifecycle(self, sub_id: str, event: str) -> dict[str, Any]:
        """The body Graph POSTs to lifecycleNotificationUrl for a lifecycle event."""
        sub = self.subscriptions[sub_id]
        return {
            "value": [
                {
                    "subscriptionId": sub.id,
                    "subscriptionExpirationDateTime": graph_time(sub.expiration),
                    "tenantId": self.identity.tenant_id,
                    "clientState": sub.client_state,
                    "lifecycleEvent": event,
                }
            ]
        }

    def _post(self, url: str, body: dict[str, Any], timeout: float = 5.0) -> int:
        data = json.dumps(body).encode()
        request = urllib.request.Request(
            url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            err.close()
            return err.code
        except OSError:
            return 0

    def notify(self, sub_id: str, change_type: str, event_id: str) -> int:
        """POST a change notification now; returns the HTTP status the endpoint answered."""
        status = self._post(
            self.subscriptions[sub_id].notification_url,
            self.notification(sub_id, change_type, event_id),
        )
        self.subscriptions[sub_id].deliveries.append((change_type, status))
        return status

    def send_lifecycle(self, sub_id: str, event: str) -> int:
        """POST a lifecycle notification now (subscriptionRemoved also removes it)."""
        sub = self.subscriptions[sub_id]
        status = self._post(
            sub.lifecycle_url or sub.notification_url, self.lifecycle(sub_id, event)
        )
        sub.deliveries.append((event, status))
        if event == "subscriptionRemoved":
            with self._lock:
                self.subscriptions.pop(sub_id, None)
        return status

    def _changed(self, stored: StoredEvent, change_type: str) -> None:
        """Queue a notification on every subscription of the event's calendar (auto_notify)."""
        if not self.auto_notify:
            return
        with self._lock:
            targets = [
                s.id for s in self.subscriptions.values() if s.calendar_id == stored.calendar_id
            ]
        self._queue_notifications([(sub_id, change_type, stored.id) for sub_id in targets])

    def _deliver_queued(self, item: tuple[Any, ...]) -> None:
        if item[0] in self.subscriptions:
            self.notify(*item)

    # ---------------------------------------------------------------------------- WSGI

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI entry point (paths outside /v1.0 are the identity platform's)."""
        request = Request(environ)
        if not request.path.startswith("/v1.0/"):
            return self.identity.handle(request)(environ, start_response)
        return self._dispatch(request)(environ, start_response)

    def _error(self, err: GraphError) -> Response:
        request_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        headers = {"request-id": request_id, "client-request-id": request_id, **err.headers}
        return _json(err.body(self.store.now(), request_id), err.status, headers)

    @staticmethod
    def _split_mailbox(path: str) -> tuple[str, str | None]:
        """/v1.0/users/{id}/x → (/v1.0/me/x, id); /v1.0/me/x → (same, "me"); else (path, None)."""
        parts = path.split("/")
        if len(parts) >= 4 and parts[1] == "v1.0" and parts[2].lower() == "users":
            user = urllib.parse.unquote(parts[3])
            return "/".join(["", "v1.0", "me", *parts[4:]]).rstrip("/"), user
        if len(parts) >= 3 and parts[1] == "v1.0" and parts[2] == "me":
            return path, "me"
        return path, None

    def _dispatch(self, request: Request) -> Response:
        path, mailbox_key = self._split_mailbox(request.path)
        adapter = _ROUTES.bind(request.host, path_info=path)
        try:
            endpoint, args = adapter.match(path, method=request.method)
        except MethodNotAllowed:
            return self._error(GraphError(405, "Request_BadRequest", "Method not allowed."))
        except HTTPException:
            return self._error(
                GraphError(
                    400,
                    "BadRequest",
                    f"Resource not found for the segment '{request.path.rsplit('/', 1)[-1]}'.",
                )
            )
        body: Any = None
        if request.method in ("POST", "PATCH") and request.get_data():
            body = request.get_json(silent=True)
            if body is None:
                return self._error(GraphError(400, "BadRequest", "Unable to read JSON request."))
        with self._lock:
            self.calls[endpoint] += 1
            if endpoint in WRITE_ENDPOINTS:
                self.writes[endpoint] += 1
            self.requests.append(
                RecordedRequest(
                    endpoint,
                    request.method,
                    request.path,
                    dict(request.args),
                    body,
                    request.headers.get("If-Match"),
                    request.headers.get("Prefer"),
                )
            )
            recorded = self.requests[-1]
            fault = self._take_fault(endpoint)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return self._error(GraphError(fault.status, fault.code, fault.message, headers))
        try:
            access = self._authenticate(request)
            if endpoint == "batch":
                return self._batch(request, body)
            if endpoint.startswith("subscriptions."):
                return self._subscriptions(endpoint, args, body, access)
            mailbox = self._authorize(access, endpoint, mailbox_key)
            recorded.mailbox = mailbox
            if mailbox is None:
                with self._lock:
                    return self._api(endpoint, request, args, body, None)
            self._enter_mailbox(access, mailbox)
            try:
                if self.latency:
                    time.sleep(self.latency)
                with self._lock:
                    return self._api(endpoint, request, args, body, mailbox)
            finally:
                with self._lock:
                    self.in_flight[mailbox] -= 1
        except GraphError as err:
            return self._error(err)

    def _throttle(self, reason: str, message: str, retry_after: int) -> GraphError:
        self.throttled[reason] += 1
        return GraphError(
            429, "ApplicationThrottled", message, {"Retry-After": str(max(1, retry_after))}
        )

    def _enter_mailbox(self, access: AccessGrant | None, mailbox: str) -> None:
        """Outlook's per-app, per-mailbox limits: 4 requests at once, 10,000 per 10 minutes."""
        app = access.client_id if access is not None else DEFAULT_CLIENT_ID
        key = f"{app}:{mailbox}"
        now = self.clock()
        with self._lock:
            if self.in_flight[mailbox] >= self.mailbox_concurrency:
                raise self._throttle(
                    "concurrency", "Application is over its MailboxConcurrency limit.", 1
                )
            sent = [t for t in self.sent.get(key, []) if t > now - MAILBOX_WINDOW]
            if len(sent) >= self.mailbox_budget:
                self.sent[key] = sent
                wait = int(sent[0] + MAILBOX_WINDOW - now) + 1
                raise self._throttle(
                    "budget", "Application is over its request limit for this mailbox.", wait
                )
            sent.append(now)
            self.sent[key] = sent
            self.in_flight[mailbox] += 1
            self.peak_in_flight[mailbox] = max(
                self.peak_in_flight[mailbox], self.in_flight[mailbox]
            )

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self.faults:
            if fault.endpoint in (None, endpoint):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _authenticate(self, request: Request) -> AccessGrant | None:
        if not self.require_auth:
            return None
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        access = self.identity.check_access_token(token)
        if access is None:
            raise GraphError(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
                {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
            )
        if access.app_tenant is None:
            granted = {s.rsplit("/", 1)[-1] for s in access.scope.split()}
            if GRAPH_SCOPE not in granted:
                raise _denied()
        return access

    def _authorize(
        self, access: AccessGrant | None, endpoint: str, mailbox_key: str | None
    ) -> str | None:
        """The user id whose mailbox the call reaches, if the token may reach it."""
        app = access is not None and access.app_tenant is not None
        if endpoint == "users.list":
            if not app or "User.Read.All" not in access.roles:  # type: ignore[union-attr]
                raise GraphError(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
            return None
        if mailbox_key is None:
            return None
        if app:
            assert access is not None
            if mailbox_key == "me":
                raise GraphError(
                    400,
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                )
            if "Calendars.ReadWrite" not in access.roles:
                raise _denied()  # an app token without admin consent carries no roles
            with self._lock:
                return self.store.user(mailbox_key)
        with self._lock:
            if mailbox_key == "me":
                return self.store.user_id
            user = self.store.user(mailbox_key)
        if user != self.store.user_id:
            # Delegated Calendars.ReadWrite reaches the signed-in user's mailbox only.
            raise _denied()
        return user

    def _api(
        self,
        endpoint: str,
        request: Request,
        args: Mapping[str, Any],
        body: Any,
        mailbox: str | None,
    ) -> Response:
        store = self.store
        prefer = _prefer(request.headers.get("Prefer"))
        zone = prefer.get("outlook.timezone")
        store.immutable = prefer.get("idtype", "").lower() == "immutableid"
        try:
            return self._api_call(endpoint, request, args, body, mailbox, prefer, zone)
        finally:
            store.immutable = True

    def _api_call(
        self,
        endpoint: str,
        request: Request,
        args: Mapping[str, Any],
        body: Any,
        mailbox: str | None,
        prefer: Mapping[str, str],
        zone: str | None,
    ) -> Response:
        store = self.store
        if endpoint == "users.list":
            return _json({"value": [store.user_json(u) for u in store.users]})
        if endpoint == "calendar.get":
            return _json(store.calendar_json(store.calendar(args.get("calendar_id"), mailbox)))
        if endpoint == "calendars.list":
            mine = [c for c in store.calendars.values() if c.mailbox == mailbox]
            return _json({"value": [store.calendar_json(c) for c in mine]})
        if endpoint == "events.delta":
            page_size = int(prefer.get("odata.maxpagesize", DEFAULT_PAGE_SIZE))
            link_base = self.base_url + request.path
            data = store.delta(None, request.args, page_size, link_base, zone, mailbox=mailbox)
            return _json(data, headers={"Preference-Applied": f"odata.maxpagesize={page_size}"})
        expand = parse_expand(request.args.get("$expand"))
        if endpoint == "events.get":
            return _json(store.render_id(args["event_id"], mailbox, zone, expand))
        if endpoint == "events.list":
            filter_ = request.args.get("$filter")
            if not filter_:
                raise GraphError(400, "BadRequest", "The fake lists events by $filter only.")
            prop_id, value = parse_property_filter(filter_)
            found = [store.render(e, zone, expand) for e in store.find(prop_id, value, mailbox)]
            return _json({"value": found})
        if endpoint in ("events.create", "events.update") and not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
        if endpoint == "events.create":
            stored, created = store.create(args.get("calendar_id"), body, mailbox)
            if created:
                self._changed(stored, "created")
            return _json(store.render(stored, zone), 201)
        if endpoint == "events.update":
            stored = store.patch(args["event_id"], body, request.headers.get("If-Match"), mailbox)
            self._changed(stored, "updated")
            return _json(store.render(stored, zone))
        if endpoint == "events.delete":
            stored = store.delete(args["event_id"], request.headers.get("If-Match"), mailbox)
            self._changed(stored, "deleted")
            return Response(status=204)
        raise not_found()

    def _batch(self, request: Request, body: Any) -> Response:
        members = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(members, list) or not 0 < len(members) <= 20:
            raise GraphError(400, "BadRequest", "A batch holds between 1 and 20 requests.")
        responses = []
        for member in members:
            url = str(member.get("url", ""))
            path, _, query = url.partition("?")
            builder = EnvironBuilder(
                path="/v1.0" + path,
                query_string=query,
                method=str(member.get("method", "GET")),
                headers=[
                    ("Authorization", request.headers.get("Authorization", "")),
                    *(member.get("headers") or {}).items(),
                ],
                json=member.get("body"),
            )
            try:
                answer = self._dispatch(Request(builder.get_environ()))
            finally:
                builder.close()
            data = answer.get_data()
            responses.append(
                {
                    "id": member.get("id"),
                    "status": answer.status_code,
                    "headers": {
                        k: v
                        for k, v in answer.headers.items()
                        if k.lower() in ("retry-after", "content-type", "etag")
                    },
                    "body": json.loads(data) if data else None,
                }
            )
        return _json({"responses": responses})

    # ------------------------------------------------------------------- subscriptions

    def _resource_calendar(self, resource: str, access: AccessGrant | None) -> str:
        """The calendar a subscription's resource watches: /me/events or /users/{id}/events.

        (me/calendars/{id}/events is not a documented resource for Outlook notifications.)
        """
        parts = [p for p in resource.strip("/").split("/") if p]
        key: str | None = None
        if parts == ["me", "events"]:
            key = "me"
        elif len(parts) == 3 and parts[0].lower() == "users" and parts[2].lower() == "events":
            key = urllib.parse.unquote(parts[1])
        if key is None:
            raise GraphError(400, "InvalidRequest", f"Resource '{resource}' is not supported.")
        user = self._authorize(access, "events.list", key)
        assert user is not None
        return self.store.default_calendars[user]

    def _expiration(self, value: Any) -> datetime:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise GraphError(400, "InvalidRequest", "expirationDateTime is invalid.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        now = self.store.now()
        if moment <= now:
            raise GraphError(
                400, "InvalidRequest", "Subscription expiration can only be in the future."
            )
        if moment > now + timedelta(minutes=MAX_SUBSCRIPTION_MINUTES):
            raise GraphError(
                400,
                "InvalidRequest",
                "Subscription expiration can only be "
                f"{MAX_SUBSCRIPTION_MINUTES} minutes in the future.",
            )
        return max(moment, now + timedelta(minutes=MIN_SUBSCRIPTION_MINUTES))

    def validate_endpoint(self, url: str) -> bool:
        """Graph's handshake: POST ?validationToken=..., expect 200 text/plain echo in 10 s."""
        token = f"Validation: Testing client application reachability {uuid.uuid4()}"
        separator = "&" if "?" in url else "?"
        target = url + separator + urllib.parse.urlencode({"validationToken": token})
        request = urllib.request.Request(
            target, data=b"", headers={"Content-Type": "text/plain; charset=utf-8"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=VALIDATION_TIMEOUT) as resp:
                body = resp.read().decode("utf-8")
                content_type = resp.headers.get("Content-Type", "")
                return (
                    resp.status == 200 and content_type.startswith("text/plain") and body == token
                )
        except (urllib.error.HTTPError, OSError):
            return False

    def _subscriptions(
        self, endpoint: str, args: Mapping[str, Any], body: Any, access: AccessGrant | None
    ) -> Response:
        if endpoint == "subscriptions.create":
            return self._subscribe(body, access)
        with self._lock:
            sub = self.subscriptions.get(args["sub_id"])
            if sub is None:
                raise GraphError(
                    404, "ResourceNotFound", f"The object was not found: {args['sub_id']}"
                )
            if endpoint == "subscriptions.update":
                if not isinstance(body, dict) or "expirationDateTime" not in body:
                    raise GraphError(400, "InvalidRequest", "expirationDateTime is required.")
                sub.expiration = self._expiration(body["expirationDateTime"])
                return _json(sub.json())
            if endpoint == "subscriptions.reauthorize":
                sub.reauthorized += 1
                return Response(status=204)
            del self.subscriptions[sub.id]
            return Response(status=204)

    def _subscribe(self, body: Any, access: AccessGrant | None) -> Response:
        if not isinstance(body, dict):
            raise GraphError(400, "InvalidRequest", "A subscription body is required.")
        for key in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not body.get(key):
                raise GraphError(400, "InvalidRequest", f"{key} is required.")
        types = set(str(body["changeType"]).split(","))
        if not types or not types <= {"created", "updated", "deleted"}:
            raise GraphError(400, "InvalidRequest", f"Invalid changeType {body['changeType']}.")
        client_state = body.get("clientState")
        if client_state is not None and len(str(client_state)) > 128:
            raise GraphError(400, "InvalidRequest", "clientState is limited to 128 characters.")
        with self._lock:
            calendar_id = self._resource_calendar(str(body["resource"]), access)
            expiration = self._expiration(body["expirationDateTime"])
        urls = [str(body["notificationUrl"])]
        if body.get("lifecycleNotificationUrl"):
            urls.append(str(body["lifecycleNotificationUrl"]))
        if self.validate_endpoints:
            for url in dict.fromkeys(urls):
                if not self.validate_endpoint(url):
                    raise GraphError(
                        400,
                        "InvalidRequest",
                        "Subscription validation request failed. Notification endpoint must "
                        "respond with 200 OK to validation request.",
                    )
        sub = FakeSubscription(
            id=str(uuid.UUID(int=self.rng.getrandbits(128))),
            resource=str(body["resource"]),
            calendar_id=calendar_id,
            change_type=str(body["changeType"]),
            notification_url=urls[0],
            lifecycle_url=body.get("lifecycleNotificationUrl"),
            client_state=client_state,
            expiration=expiration,
        )
        with self._lock:
            self.subscriptions[sub.id] = sub
        return _json(sub.json(), 201)


@pytest.fixture
def graph_fake() -> Iterator[FakeGraph]:
    """A started Graph + identity fake, stopped after the test."""
    with FakeGraph() as fake:
        yield fake
