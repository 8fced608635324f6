"""A stateful fake of Zoho CRM (REST API v8) and Zoho Accounts, one server per data centre.

Each data centre (`us`, `eu`, `in`, `au`, `jp`, `ca`, `sa`, `cn` … as asked) is its own loopback
server acting as both that data centre's accounts server and its API domain; an access token is
only valid at the data centre that issued it, as with Zoho. The real connector code
(requests-oauthlib and requests) talks to it over HTTP. What it offers and refuses:

- OAuth (tests/fakes/zoho_accounts.py): consent at the US server redirects with `location` and
  `accounts-server`; token answers carry `api_domain`; ten access tokens per refresh token per
  ten minutes; revocation.
- Records (tests/fakes/zoho_store.py): `fields` required (≤ 50), `per_page` ≤ 200, `page` only
  within the first 2,000 records, `page_token` past them, `If-Modified-Since`, 204 when nothing
  matches, deleted records, insert/update/upsert ≤ 100 records with per-record (multi-status, 207)
  answers, duplicate checks, field metadata including custom fields.
- Notifications: `POST/GET/DELETE /crm/v8/actions/watch`; `token` ≤ 50 characters (the
  Enable Notifications page), `channel_expiry` at most one week ahead (one hour by default);
  a change to a watched module POSTs `{"channel_id", "token", "module", "operation", "ids", …}`
  to the notify URL until the channel expires.
- Limits: `Authorization: Zoho-oauthtoken <token>` only (401 INVALID_TOKEN otherwise), scopes
  per module (401 OAUTH_SCOPE_MISMATCH), API credits per 24 h and concurrent calls, both past
  their limit answering 429 (`TOO_MANY_REQUESTS`), and injectable faults.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakes.server import LoopbackFake, LoopbackServer
from tests.fakes.zoho_accounts import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    ZohoAccounts,
    json_response,
)
from tests.fakes.zoho_store import ZohoError, ZohoStore, parse_time, zoho_time

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "FakeZoho"]

MAX_TOKEN_LENGTH = 50
DEFAULT_CHANNEL_TTL = timedelta(hours=1)
MAX_CHANNEL_TTL = timedelta(days=7)
MODULE_SCOPES = {
    "Contacts": "ZohoCRM.modules.contacts.",
    "Leads": "ZohoCRM.modules.leads.",
}
# Credits per call, from Zoho's API limits page ("Insert/Update/Upsert: 1 credit for every 10
# records", "Get IDs of deleted records: 2", other calls 1).
_WRITE_ENDPOINTS = {"records.upsert", "records.insert", "records.update", "record.update"}

_ROUTES = Map(
    [
        Rule("/oauth/v2/auth", endpoint="oauth.authorize", methods=["GET"]),
        Rule("/oauth/v2/token", endpoint="oauth.token", methods=["POST"]),
        Rule("/oauth/v2/token/revoke", endpoint="oauth.revoke", methods=["POST"]),
        Rule("/crm/v8/settings/fields", endpoint="fields.list", methods=["GET"]),
        Rule("/crm/v8/users", endpoint="users.list", methods=["GET"]),
        Rule("/crm/v8/actions/watch", endpoint="watch.enable", methods=["POST"]),
        Rule("/crm/v8/actions/watch", endpoint="watch.list", methods=["GET"]),
        Rule("/crm/v8/actions/watch", endpoint="watch.disable", methods=["DELETE"]),
        Rule("/crm/v8/<module>/upsert", endpoint="records.upsert", methods=["POST"]),
        Rule("/crm/v8/<module>/deleted", endpoint="records.deleted", methods=["GET"]),
        Rule("/crm/v8/<module>", endpoint="records.list", methods=["GET"]),
        Rule("/crm/v8/<module>", endpoint="records.insert", methods=["POST"]),
        Rule("/crm/v8/<module>", endpoint="records.update", methods=["PUT"]),
        Rule("/crm/v8/<module>", endpoint="records.delete", methods=["DELETE"]),
        Rule("/crm/v8/<module>/<record_id>", endpoint="record.get", methods=["GET"]),
        Rule("/crm/v8/<module>/<record_id>", endpoint="record.update", methods=["PUT"]),
        Rule("/crm/v8/<module>/<record_id>", endpoint="record.delete", methods=["DELETE"]),
    ]
)


@dataclass
class Channel:
    """A notification channel enabled with `POST /actions/watch`."""

    channel_id: str
    events: list[str]
    notify_url: str
    token: str | None
    expiry: datetime
    location: str
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def watches(self, module: str, operation: str) -> bool:
        """True if this channel asked for `operation` (create, edit, delete) on `module`."""
        return f"{module}.all" in self.events or f"{module}.{operation}" in self.events


@dataclass
class Fault:
    """An answer the next matching call(s) get instead of the real one."""

    status: int
    code: str
    endpoint: str | None
    remaining: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    """One call the fake received."""

    location: str
    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class _Site:
    """The WSGI app of one data centre: hands requests to the fake with its location."""

    def __init__(self, fake: FakeZoho, location: str) -> None:
        self.fake = fake
        self.location = location

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        response = self.fake.handle(self.location, Request(environ))
        return response(environ, start_response)  # type: ignore[no-any-return]


class FakeZoho(LoopbackFake):
    """Zoho CRM v8 + Zoho Accounts on loopback, one server per data centre."""

    def __init__(
        self,
        locations: tuple[str, ...] = ("us", "eu"),
        *,
        user_location: str = "us",
        now: Callable[[], datetime] | None = None,
        credits_per_day: int = 1_000_000,
        concurrency_limit: int = 10,
        latency: float = 0.0,
    ) -> None:
        """Serve `locations` (the first is the one consent starts at); pin time with `now`."""
        if "us" not in locations:
            raise ValueError("consent starts at the US accounts server: include 'us'")
        self._now = now or (lambda: datetime.now(UTC))
        self._init_loopback(0)
        self._server = LoopbackServer(_Site(self, "us"))
        self._sites = {loc: LoopbackServer(_Site(self, loc)) for loc in locations if loc != "us"}
        self.locations = locations
        self.accounts = ZohoAccounts(lambda: self._now().timestamp(), user_location)
        self.stores = {loc: ZohoStore(self._now) for loc in locations}
        self.channels: dict[str, Channel] = {}
        self.calls: Counter[str] = Counter()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.credits_per_day = credits_per_day
        self.credits: list[tuple[datetime, str, int]] = []  # (when, location, credits)
        self.concurrency_limit = concurrency_limit
        self.latency = latency
        self._in_flight: Counter[str] = Counter()
        self._flight_lock = threading.Lock()
        self.max_in_flight = 0

    # -- lifecycle and addresses

    def start(self) -> FakeZoho:
        """Start every data centre's server."""
        super().start()
        for site in self._sites.values():
            site.start()
        return self

    def stop(self) -> None:
        """Stop every server and the notification thread."""
        for site in self._sites.values():
            site.stop()
        super().stop()

    def base(self, location: str) -> str:
        """The loopback URL standing for `location`'s accounts server and API domain."""
        return self.base_url if location == "us" else self._sites[location].base_url

    def data_centres(self) -> dict[str, dict[str, str]]:
        """The data-centre table a connector should trust to reach this fake."""
        return {
            loc: {"accounts_server": self.base(loc), "api_domain": self.base(loc)}
            for loc in self.locations
        }

    def store(self, location: str | None = None) -> ZohoStore:
        """The organisation at `location` (default: the consenting user's)."""
        return self.stores[location or self.accounts.user_location]

    # -- helpers for tests

    def issue_tokens(
        self, location: str | None = None, scope: str | None = None
    ) -> tuple[str, str]:
        """A (refresh_token, access_token) pair for a user at `location`."""
        from connectors.zoho.const import SCOPES

        return self.accounts.issue_tokens(
            location or self.accounts.user_location, scope or ",".join(SCOPES)
        )

    def inject_fault(
        self,
        status: int,
        code: str,
        *,
        endpoint: str | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` API calls (to `endpoint`, or any) with this error."""
        self.faults.append(Fault(status, code, endpoint, times, dict(headers or {})))

    def credits_used(self, location: str | None = None) -> int:
        """Credits spent in the last 24 hours at `location` (default: the user's)."""
        loc = location or self.accounts.user_location
        since = self._now() - timedelta(hours=24)
        return sum(c for when, where, c in self.credits if where == loc and when > since)

    def user_change(self, module: str, operation: str, ids: list[str]) -> None:
        """Tell watching channels that a person changed records (after `store().touch` etc.)."""
        self._notify(self.accounts.user_location, module, operation, ids)

    # -- WSGI

    def __call__(  # the base class serves `self`; every site goes through `handle`
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        """The US site."""
        return _Site(self, "us")(environ, start_response)

    def handle(self, location: str, request: Request) -> Response:
        """Route one request received at `location`'s server."""
        adapter = _ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return json_response(ZohoError(405, "INVALID_REQUEST_METHOD", "x").body(), 405)
        except HTTPException:
            return json_response(
                ZohoError(
                    404,
                    "INVALID_URL_PATTERN",
                    "Please check if the URL trying to access is a correct one",
                ).body(),
                404,
            )
        body: Any = request.get_json(silent=True) if request.data else None
        with self._lock:
            self.calls[endpoint] += 1
            self.requests.append(
                Recorded(
                    location,
                    endpoint,
                    request.method,
                    request.path,
                    dict(request.args),
                    dict(request.headers),
                    body,
                )
            )
        if endpoint == "oauth.authorize":
            if location != "us":
                return json_response({"error": "invalid_request"}, 400)
            with self._lock:
                return self.accounts.authorize(request, self.base)
        if endpoint == "oauth.token":
            with self._lock:
                return self.accounts.token(request, location, self.base(location))
        if endpoint == "oauth.revoke":
            with self._lock:
                return self.accounts.revoke(request, location)
        with self._flight_lock:
            self._in_flight[location] += 1
            in_flight = self._in_flight[location]
            self.max_in_flight = max(self.max_in_flight, in_flight)
        try:
            if in_flight > self.concurrency_limit:
                return self._error(
                    ZohoError(429, "TOO_MANY_REQUESTS", "concurrency limit exceeded")
                )
            if self.latency:
                time.sleep(self.latency)
            with self._lock:
                return self._api(location, endpoint, request, args, body)
        finally:
            with self._flight_lock:
                self._in_flight[location] -= 1

    def _api(
        self, location: str, endpoint: str, request: Request, args: dict[str, str], body: Any
    ) -> Response:
        fault = self._take_fault(endpoint)
        if fault is not None:
            response = json_response(
                ZohoError(fault.status, fault.code, fault.code.lower().replace("_", " ")).body(),
                fault.status,
            )
            response.headers.update(fault.headers)
            return response
        try:
            access = self._authenticate(location, request)
            module = args.get("module")
            if module is not None:
                self._check_scope(access.scope, module)
            elif endpoint.startswith("watch."):
                self._require_scope(access.scope, "ZohoCRM.notifications.")
            elif endpoint == "fields.list":
                self._require_scope(access.scope, "ZohoCRM.settings.fields.")
            elif endpoint == "users.list":
                self._require_scope(access.scope, "ZohoCRM.users.")
            cost = self._cost(endpoint, body)
            if self.credits_used(location) + cost > self.credits_per_day:
                return self._credits(
                    location,
                    self._error(
                        ZohoError(
                            429,
                            "TOO_MANY_REQUESTS",
                            "the API credits for the last 24 hours are used up",
                        )
                    ),
                )
            self.credits.append((self._now(), location, cost))
            try:
                answer = self._route(location, endpoint, request, args, body)
            except ZohoError as err:
                answer = self._error(err)
            return self._credits(location, answer)
        except ZohoError as err:
            return self._error(err)

    def _credits(self, location: str, response: Response) -> Response:
        """The organisation's credit window on an authenticated answer, in the headers
        Zoho's own SDK reads (`X-RATELIMIT-DAY-LIMIT`, `X-RATELIMIT-DAY-REMAINING`)."""
        used = self.credits_used(location)
        response.headers["X-RATELIMIT-DAY-LIMIT"] = str(self.credits_per_day)
        response.headers["X-RATELIMIT-DAY-REMAINING"] = str(max(0, self.credits_per_day - used))
        return response

    def _error(self, err: ZohoError) -> Response:
        return json_response(err.body(), err.status)

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self.faults:
            if fault.endpoint in (None, endpoint):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _authenticate(self, location: str, request: Request) -> Any:
        header = request.headers.get("Authorization", "")
        prefix = "Zoho-oauthtoken "
        token = header[len(prefix) :] if header.startswith(prefix) else ""
        access = self.accounts.check(token, location) if token else None
        if access is None:
            raise ZohoError(401, "INVALID_TOKEN", "invalid oauth token")
        return access

    def _check_scope(self, scope: str, module: str) -> None:
        prefix = MODULE_SCOPES.get(module)
        if prefix is None:
            self.store("us").module(module)  # raises INVALID_MODULE
            return
        self._require_scope(scope, prefix)

    def _require_scope(self, scope: str, prefix: str) -> None:
        granted = [s.strip() for s in scope.replace(" ", ",").split(",") if s.strip()]
        if not any(s.startswith(prefix) for s in granted) and "ZohoCRM.modules.ALL" not in granted:
            raise ZohoError(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")

    def _cost(self, endpoint: str, body: Any) -> int:
        if endpoint in _WRITE_ENDPOINTS:
            rows = body.get("data") if isinstance(body, dict) else None
            count = len(rows) if isinstance(rows, list) else 1
            return max(1, -(-count // 10))
        if endpoint == "records.deleted":
            return 2
        return 1

    def _route(
        self, location: str, endpoint: str, request: Request, args: dict[str, str], body: Any
    ) -> Response:
        store = self.stores[location]
        module = args.get("module", "")
        q = request.args
        if endpoint == "records.list":
            since_header = request.headers.get("If-Modified-Since")
            since = None
            if since_header:
                try:
                    since = parse_time(since_header)
                except ValueError:
                    raise ZohoError(
                        400, "INVALID_DATA", "invalid data", {"param_name": "If-Modified-Since"}
                    ) from None
            rows, info = store.list_records(
                module,
                fields=q.get("fields"),
                page=_int(q.get("page"), "page"),
                per_page=_int(q.get("per_page"), "per_page"),
                page_token=q.get("page_token"),
                sort_by=q.get("sort_by"),
                sort_order=q.get("sort_order"),
                modified_since=since,
                converted=q.get("converted"),
            )
            if not rows:
                return Response(status=204)
            return json_response({"data": rows, "info": info})
        if endpoint == "record.get":
            return json_response({"data": [store.get_record(module, args["record_id"])]})
        if endpoint == "records.deleted":
            since_header = request.headers.get("If-Modified-Since")
            rows, info = store.deleted_records(
                module,
                kind=q.get("type", "all"),
                page=_int(q.get("page"), "page") or 1,
                per_page=_int(q.get("per_page"), "per_page") or 200,
                since=parse_time(since_header) if since_header else None,
            )
            if not rows:
                return Response(status=204)
            return json_response({"data": rows, "info": info})
        if endpoint == "fields.list":
            target = store.module(q.get("module", ""))
            return json_response({"fields": [f.to_json() for f in target.fields.values()]})
        if endpoint == "users.list":
            return json_response(
                {
                    "users": [
                        {
                            "id": store.owner["id"],
                            "full_name": store.owner["name"],
                            "email": "p.boyle@zylker.example",
                        }
                    ]
                }
            )
        if endpoint in ("records.upsert", "records.insert", "records.update", "record.update"):
            rows = body.get("data") if isinstance(body, dict) else None
            if endpoint == "record.update" and isinstance(rows, list):
                rows = [{**r, "id": args["record_id"]} if isinstance(r, dict) else r for r in rows]
            if endpoint == "records.upsert":
                checks = body.get("duplicate_check_fields") if isinstance(body, dict) else None
                results = store.upsert(module, rows or [], checks)
            elif endpoint == "records.insert":
                results = store.insert(module, rows or [])
            else:
                results = store.update(module, rows or [])
            self._after_write(location, module, results)
            return _multi_status(results, created=endpoint == "records.insert")
        if endpoint in ("records.delete", "record.delete"):
            ids = [args["record_id"]] if "record_id" in args else _ids(q.get("ids"))
            if not ids:
                raise ZohoError(
                    400,
                    "REQUIRED_PARAM_MISSING",
                    "required param is missing",
                    {"param_name": "ids"},
                )
            if len(ids) > 100:
                raise ZohoError(
                    400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": 100, "param_name": "ids"}
                )
            results = store.delete(module, ids)
            done = [r["details"]["id"] for r in results if r["status"] == "success"]
            if done:
                self._notify(location, module, "delete", done)
            return _multi_status(results)
        if endpoint == "watch.enable":
            return self._enable_watch(location, body)
        if endpoint == "watch.list":
            live = [c for c in self.channels.values() if c.location == location]
            if not live:
                return Response(status=204)
            return json_response({"watch": [_channel_json(c) for c in live]})
        if endpoint == "watch.disable":
            ids = _ids(q.get("channel_ids"))
            if not ids:
                raise ZohoError(
                    400,
                    "REQUIRED_PARAM_MISSING",
                    "required param is missing",
                    {"param_name": "channel_ids"},
                )
            results = []
            for channel_id in ids:
                gone = self.channels.pop(channel_id, None)
                results.append(
                    {
                        "code": "SUCCESS" if gone else "INVALID_DATA",
                        "details": {"channel_id": channel_id},
                        "message": "successfully disabled" if gone else "invalid channel",
                        "status": "success" if gone else "error",
                    }
                )
            return json_response({"watch": results})
        raise ZohoError(404, "INVALID_URL_PATTERN", "unknown endpoint")

    def _enable_watch(self, location: str, body: Any) -> Response:
        items = body.get("watch") if isinstance(body, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 50:
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "watch"})
        results: list[dict[str, Any]] = []
        now = self._now()
        for index, item in enumerate(items):
            try:
                results.append(self._one_channel(location, index, item, now))
            except ZohoError as err:
                results.append(err.body())
        ok = [r for r in results if r.get("status") == "success"]
        status = 201 if len(ok) == len(results) else 207 if ok else 400
        return json_response({"watch": results}, status)

    def _one_channel(self, location: str, index: int, item: Any, now: datetime) -> dict[str, Any]:
        path = f"$.watch[{index}]"
        if not isinstance(item, dict):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"json_path": path})
        for key in ("channel_id", "events", "notify_url"):
            if not item.get(key):
                raise ZohoError(
                    400,
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": key, "json_path": f"{path}.{key}"},
                )
        token = item.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH):
            raise ZohoError(
                400,
                "INVALID_DATA",
                "invalid data",
                {"api_name": "token", "json_path": f"{path}.token", "maximum_length": 50},
            )
        events = item["events"]
        if not isinstance(events, list) or not all(
            isinstance(e, str) and e.split(".")[0] in self.stores[location].modules for e in events
        ):
            raise ZohoError(
                400, "INVALID_DATA", "invalid data", {"api_name": "events", "json_path": path}
            )
        expiry = now + DEFAULT_CHANNEL_TTL
        if item.get("channel_expiry"):
            try:
                expiry = parse_time(str(item["channel_expiry"]))
            except ValueError:
                raise ZohoError(
                    400, "INVALID_DATA", "invalid data", {"api_name": "channel_expiry"}
                ) from None
            if expiry <= now or expiry > now + MAX_CHANNEL_TTL:
                raise ZohoError(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": "channel_expiry", "json_path": f"{path}.channel_expiry"},
                )
        channel = Channel(
            str(item["channel_id"]),
            list(events),
            str(item["notify_url"]),
            token,
            expiry,
            location,
        )
        self.channels[channel.channel_id] = channel
        return {
            "code": "SUCCESS",
            "details": {
                "events": [
                    {
                        "channel_expiry": zoho_time(expiry),
                        "resource_uri": f"{self.base(location)}/crm/v8/{e.split('.')[0]}",
                        "resource_id": str(abs(hash(e.split(".")[0])) % 10**18),
                        "resource_name": e.split(".")[0],
                        "channel_id": channel.channel_id,
                    }
                    for e in events
                ]
            },
            "message": "Successfully subscribed for actions-watch of the given module",
            "status": "success",
        }

    def _after_write(self, location: str, module: str, results: list[dict[str, Any]]) -> None:
        by_op: dict[str, list[str]] = {"create": [], "edit": []}
        for r in results:
            if r.get("status") == "success":
                op = "create" if r.get("action") == "insert" else "edit"
                by_op[op].append(r["details"]["id"])
        for op, ids in by_op.items():
            if ids:
                self._notify(location, module, op, ids)

    def _notify(self, location: str, module: str, operation: str, ids: list[str]) -> None:
        now = self._now()
        wire_op = {"create": "insert", "edit": "update", "delete": "delete"}[operation]
        items = []
        for channel in list(self.channels.values()):
            if channel.location != location or not channel.watches(module, operation):
                continue
            if channel.expiry <= now:
                continue
            payload = {
                "server_time": int(now.timestamp() * 1000),
                "query_params": {},
                "module": module,
                "resource_uri": f"{self.base(location)}/crm/v8/{module}",
                "ids": list(ids),
                "affected_fields": [],
                "operation": wire_op,
                "channel_id": channel.channel_id,
                "token": channel.token,
            }
            items.append((channel.channel_id, payload))
        if items:
            self._queue_notifications(items)

    def _deliver_queued(self, item: tuple[Any, ...]) -> None:
        channel_id, payload = item
        channel = self.channels.get(channel_id)
        if channel is None:
            return
        channel.deliveries.append(payload)
        data = json.dumps(payload).encode()
        req = urllib.request.Request(
            channel.notify_url, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
        except OSError:
            pass  # Zoho does not retry a failed notification either


def _multi_status(results: list[dict[str, Any]], created: bool = False) -> Response:
    ok = sum(1 for r in results if r.get("status") == "success")
    if ok == len(results):
        status = 201 if created else 200
    elif ok:
        status = 207
    else:
        status = 400
    return json_response({"data": results}, status)


def _channel_json(channel: Channel) -> dict[str, Any]:
    return {
        "channel_id": channel.channel_id,
        "events": channel.events,
        "notify_url": channel.notify_url,
        "token": channel.token,
        "channel_expiry": zoho_time(channel.expiry),
    }


def _ids(text: str | None) -> list[str]:
    return [i.strip() for i in (text or "").split(",") if i.strip()]


def _int(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param_name": name}) from None
