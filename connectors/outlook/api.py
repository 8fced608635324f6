"""The only module that speaks HTTP to Microsoft Graph (requests) and maps its errors."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from connectors.base import (
    AuthError,
    Conflict,
    ConnectorError,
    CursorExpired,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    RateLimited,
    RejectableTokenProvider,
    TokenProvider,
    TransientError,
    parse_retry_after,
)

from . import const

_LOGGER = logging.getLogger(__name__)

# Characters OData query options keep literally; everything else (spaces above all) is
# percent-encoded, as Graph's documentation asks for extended-property filters.
_ODATA_SAFE = "$(),'=:/{}"


def _error_payload(content: bytes | str | Mapping[str, Any] | None) -> tuple[str | None, str]:
    """(code, message) out of Graph's {"error": {"code", "message"}}, tolerating anything."""
    if isinstance(content, Mapping):
        data: Any = content
    else:
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        try:
            data = json.loads(content or "{}")
        except ValueError:
            return None, (content or "")[:200]
    error = data.get("error") if isinstance(data, Mapping) else None
    if isinstance(error, str):  # OAuth style {"error": "invalid_token"}
        return error, str(data.get("error_description", error))
    if not isinstance(error, Mapping):
        return None, ""
    code = error.get("code")
    return (str(code) if code else None), str(error.get("message", ""))


def translate_http_error(
    status: int,
    content: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
) -> ConnectorError:
    """Map a Microsoft Graph HTTP error to the connector error the sync engine acts on."""
    h = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    code, message = _error_payload(content)
    lowered = (code or "").lower()
    details = {"request_id": h.get("request-id") or h.get("client-request-id")}
    kw: dict[str, Any] = {"status": status, "reason": code, "details": details}
    text = f"Microsoft Graph {status} {code or ''}: {message}".strip()
    retry_after = parse_retry_after(h.get("retry-after"))
    if status == 410 or lowered in const.CURSOR_EXPIRED_CODES:
        # A delta/skip token Graph no longer knows: 410 Gone, or a 400/404 naming the state.
        return CursorExpired(text, **kw)
    if status == 401:
        return AuthError(text, **kw)
    if status == 403:
        if lowered in const.TRANSIENT_403_CODES:
            return TransientError(text, **kw)
        if lowered in const.AUTH_403_CODES:
            return AuthError(text, **kw)
        return InvalidRequest(text, **kw)
    if status == 429:
        return RateLimited(text, retry_after=retry_after, **kw)
    if status == 404:
        return NotFound(text, **kw)
    if status == 412 or lowered in const.PRECONDITION_CODES:
        # The change key moved under us (Graph says 412, at times 409, with this code).
        return PreconditionFailed(text, **kw)
    if status == 409:
        return Conflict(text, **kw)
    if status >= 500 or status == 408:
        # Graph's throttling guidance: a 503/504 may carry Retry-After too; honour it.
        if retry_after is not None:
            return RateLimited(text, retry_after=retry_after, **kw)
        return TransientError(text, **kw)
    return InvalidRequest(text, **kw)


def property_id(name: str) -> str:
    """The id of one of our string extended properties ("String {guid} Name <name>")."""
    return f"String {const.PROPERTY_SET_GUID} Name {name}"


def property_name(prop_id: str) -> str | None:
    """Our property's name from an extended property id (None if it is not one of ours)."""
    parts = str(prop_id).split(" ", 3)
    if len(parts) != 4 or parts[0].lower() != "string" or parts[2].lower() != "name":
        return None
    if parts[1].lower() != const.PROPERTY_SET_GUID.lower():
        return None
    return parts[3]


def expand_properties(names: Sequence[str]) -> str:
    """The `$expand` option that brings our named extended properties along with an event."""
    clauses = " or ".join(f"id eq '{property_id(n)}'" for n in names)
    return f"singleValueExtendedProperties($filter={clauses})"


def mailbox_path(mailbox: str | None) -> str:
    """The path of a mailbox: "me" (the signed-in user, delegated) or "users/{id or UPN}"."""
    if not mailbox or mailbox == "me":
        return "me"
    return f"users/{quote(mailbox, safe='@')}"


def mailbox_of(path: str) -> str | None:
    """The mailbox a request path reaches ("me", "users/x"), or None (subscriptions, $batch)."""
    parts = urlsplit(path).path.lstrip("/").split("/")
    if parts and parts[0] == "v1.0":
        parts = parts[1:]
    if parts and parts[0] == "me":
        return "me"
    if len(parts) >= 2 and parts[0] == "users":
        return f"users/{parts[1]}"
    return None


def _retry_after(member: Mapping[str, Any]) -> float:
    headers = {str(k).lower(): str(v) for k, v in (member.get("headers") or {}).items()}
    seconds = parse_retry_after(headers.get("retry-after"))
    seconds = const.DEFAULT_RETRY_AFTER if seconds is None else seconds
    return max(0.0, min(float(seconds), const.MAX_RETRY_AFTER))


class MailboxPacer:
    """Outlook's per-mailbox limits on our side: 4 requests at once, a budget per 10 minutes.

    `acquire(mailbox, cost)` waits for one of the mailbox's four slots, then until the
    requests of the last ten minutes leave room for `cost` more (a $batch costs one per
    member); `release` gives the slot back. Shared by the threads of one connector.
    """

    def __init__(
        self,
        budget: int = const.MAILBOX_BUDGET,
        *,
        window: float = const.MAILBOX_WINDOW_SECONDS,
        concurrency: int = const.MAILBOX_CONCURRENCY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Limits (the documented ones by default); `clock`/`sleep` for tests."""
        self.budget = max(1, budget)
        self.window = window
        self.concurrency = concurrency
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._sent: dict[str, deque[float]] = {}
        self.waited = 0.0  # seconds spent waiting for the budget (reported by benchmarks)

    def acquire(self, mailbox: str, cost: int = 1) -> None:
        """Take a slot of `mailbox`, then wait until `cost` more requests fit the budget."""
        with self._lock:
            slot = self._slots.setdefault(mailbox, threading.BoundedSemaphore(self.concurrency))
        slot.acquire()
        cost = min(max(1, cost), self.budget)
        while True:
            with self._lock:
                sent = self._sent.setdefault(mailbox, deque())
                now = self._clock()
                while sent and sent[0] <= now - self.window:
                    sent.popleft()
                if len(sent) + cost <= self.budget:
                    sent.extend([now] * cost)
                    return
                wait = sent[len(sent) + cost - self.budget - 1] + self.window - now
            self.waited += max(wait, 0.0)
            self._sleep(max(wait, 0.01))

    def release(self, mailbox: str) -> None:
        """Give the slot back."""
        with self._lock:
            slot = self._slots.get(mailbox)
        if slot is not None:
            slot.release()


def _odata_query(options: Mapping[str, str]) -> str:
    """A query string with OData options encoded the way Graph documents (%20, not +)."""
    return "&".join(f"{k}={quote(v, safe=_ODATA_SAFE)}" for k, v in options.items())


def _odata_literal(value: str) -> str:
    """A string literal for an OData $filter (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


class GraphApi:
    """Thin typed wrapper over the Graph calendar endpoints; every call goes through `_send`."""

    def __init__(
        self,
        tokens: TokenProvider,
        *,
        api_base_url: str = const.API_BASE_URL,
        timeout: float = const.DEFAULT_HTTP_TIMEOUT,
        session: requests.Session | None = None,
        pacer: MailboxPacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Bind to a token provider and an API root (a fake's URL in tests)."""
        self._tokens = tokens
        self.pacer = pacer or MailboxPacer(sleep=sleep)
        self._sleep = sleep
        self.base_url = api_base_url.rstrip("/")
        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.netloc.lower())
        self._timeout = timeout
        self._session = session or requests.Session()
        self.retried_members = 0  # $batch members retried alone after a 429

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    # ------------------------------------------------------------------------ plumbing

    def url(self, path_or_link: str) -> str:
        """An absolute URL for an API path, or a link Graph returned (same origin only)."""
        if path_or_link.startswith(("http://", "https://")):
            parts = urlsplit(path_or_link)
            if (parts.scheme, parts.netloc.lower()) != self._origin:
                # Never send the bearer token to a host other than the configured API.
                raise InvalidRequest(
                    f"link {parts.scheme}://{parts.netloc} is not on {self.base_url}",
                    reason="foreign_link",
                )
            return path_or_link
        return self.base_url + "/" + path_or_link.lstrip("/")

    def _send(
        self,
        method: str,
        path_or_link: str,
        *,
        query: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        mailbox: str | None = None,
        cost: int = 1,
    ) -> requests.Response:
        """One request with a fresh token; one retry after a 401 if the provider can refresh.

        A request to a mailbox (`mailbox`, else read from the path) waits for the pacer.
        """
        url = self.url(path_or_link)
        if query:
            url += ("&" if "?" in url else "?") + query
        paced = mailbox or mailbox_of(
            url[len(self.base_url) :] if url.startswith(self.base_url) else url
        )
        if paced:
            self.pacer.acquire(paced, cost)
        try:
            token = self._tokens.get_access_token()
            resp = self._raw(method, url, token, body, headers)
            if resp.status_code == 401 and isinstance(self._tokens, RejectableTokenProvider):
                self._tokens.token_rejected(token)
                fresh = self._tokens.get_access_token()
                if fresh != token:
                    resp.close()
                    resp = self._raw(method, url, fresh, body, headers)
        finally:
            if paced:
                self.pacer.release(paced)
        if resp.status_code >= 400:
            error = translate_http_error(resp.status_code, resp.content, resp.headers)
            _LOGGER.debug("%s %s -> %s", method, url.split("?")[0], error)
            raise error
        return resp

    def _raw(
        self,
        method: str,
        url: str,
        token: str,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        all_headers.update(headers or {})
        # Every call asks for immutable ids: ids stored in links must not change.
        prefer = all_headers.get("Prefer")
        all_headers["Prefer"] = (
            f"{prefer}, {const.PREFER_IMMUTABLE_ID}" if prefer else const.PREFER_IMMUTABLE_ID
        )
        try:
            return self._session.request(
                method,
                url,
                json=body,
                headers=all_headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as err:
            raise TransientError(f"network error talking to Microsoft Graph: {err}") from err

    @staticmethod
    def _json(resp: requests.Response) -> dict[str, Any]:
        try:
            data = resp.json()
        except ValueError as err:
            raise TransientError(
                f"Microsoft Graph answered {resp.status_code} with a body that is not JSON",
                status=resp.status_code,
            ) from err
        if not isinstance(data, dict):
            raise TransientError("Microsoft Graph answered JSON that is not an object")
        return data

    # ------------------------------------------------------------------------ mailboxes

    def get_calendar(self, mailbox: str | None) -> dict[str, Any]:
        """GET /me/calendar or /users/{id}/calendar: the mailbox's default calendar."""
        return self._json(self._send("GET", f"{mailbox_path(mailbox)}/calendar"))

    def list_users(self, link: str | None = None) -> dict[str, Any]:
        """GET /users (application permission User.Read.All): one page of the tenant's users."""
        query = None if link else _odata_query({"$select": "id,displayName,mail,userPrincipalName"})
        return self._json(self._send("GET", link or "users", query=query))

    # --------------------------------------------------------------------------- delta

    def calendar_view_delta(
        self,
        mailbox: str | None,
        start: str,
        end: str,
        page_size: int,
    ) -> dict[str, Any]:
        """The first request of a delta round over [start, end) of a mailbox's calendar view.

        Only the default calendar's view has delta in v1.0 (/me/calendarView/delta,
        /users/{id}/calendarView/delta); per-calendar delta is beta-only.
        """
        query = _odata_query({"startDateTime": start, "endDateTime": end})
        path = f"{mailbox_path(mailbox)}/calendarView/delta"
        return self.follow_delta(path, page_size, query=query)

    def follow_delta(
        self, link: str, page_size: int, *, query: str | None = None
    ) -> dict[str, Any]:
        """GET an @odata.nextLink / @odata.deltaLink (or the first delta URL)."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        return self._json(self._send("GET", link, query=query, headers=headers))

    # -------------------------------------------------------------------------- events

    @staticmethod
    def _event_path(mailbox: str | None, event_id: str) -> str:
        return f"{mailbox_path(mailbox)}/events/{quote(event_id, safe='')}"

    def get_event(
        self, mailbox: str | None, event_id: str, properties: Sequence[str]
    ) -> dict[str, Any]:
        """GET /{mailbox}/events/{id} with our extended properties expanded."""
        query = _odata_query({"$expand": expand_properties(properties)}) if properties else None
        return self._json(self._send("GET", self._event_path(mailbox, event_id), query=query))

    def get_events(
        self, mailbox: str | None, event_ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, dict[str, Any] | None]:
        """Fetch events (properties expanded) by JSON batching; None for an event gone since.

        Delta responses cannot `$expand` extended properties, so changed events are read
        again, twenty per POST /$batch (each member counts against the mailbox's budget).
        A member throttled with 429 is retried alone after its Retry-After; any other failed
        member fails the call (nothing is half-applied; the caller retries the page).
        """
        out: dict[str, dict[str, Any] | None] = {}
        ids = list(dict.fromkeys(event_ids))
        expand = _odata_query({"$expand": expand_properties(properties)}) if properties else ""
        paced = mailbox_of(mailbox_path(mailbox))
        for start in range(0, len(ids), const.BATCH_LIMIT):
            chunk = ids[start : start + const.BATCH_LIMIT]
            requests_ = [
                {
                    "id": str(i),
                    "method": "GET",
                    "url": "/"
                    + self._event_path(mailbox, event_id)
                    + (f"?{expand}" if expand else ""),
                    "headers": {"Prefer": const.PREFER_IMMUTABLE_ID},
                }
                for i, event_id in enumerate(chunk)
            ]
            answer = self._json(
                self._send(
                    "POST", "$batch", body={"requests": requests_}, mailbox=paced, cost=len(chunk)
                )
            )
            by_id = {str(r.get("id")): r for r in answer.get("responses", [])}
            throttled: list[tuple[str, float]] = []
            for i, event_id in enumerate(chunk):
                member = by_id.get(str(i))
                if member is None:
                    raise TransientError(f"$batch answer lacks member {i}")
                status = int(member.get("status", 500))
                if 200 <= status < 300 and isinstance(member.get("body"), dict):
                    out[event_id] = member["body"]
                    continue
                if status == 429:
                    throttled.append((event_id, _retry_after(member)))
                    continue
                error = translate_http_error(status, member.get("body"), member.get("headers"))
                if isinstance(error, NotFound):
                    out[event_id] = None
                    continue
                raise error
            if throttled:
                self.retried_members += len(throttled)
                self._sleep(max(wait for _, wait in throttled))
                for event_id, _ in throttled:
                    try:
                        out[event_id] = self.get_event(mailbox, event_id, properties)
                    except NotFound:
                        out[event_id] = None
        return out

    def find_events(
        self, mailbox: str | None, prop_name: str, value: str, properties: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Events carrying our extended property `prop_name` = `value` (properties expanded)."""
        prop = _odata_literal(property_id(prop_name))
        clause = (
            f"singleValueExtendedProperties/Any(ep: ep/id eq {prop}"
            f" and ep/value eq {_odata_literal(value)})"
        )
        options = {"$filter": clause}
        if properties:
            options["$expand"] = expand_properties(properties)
        path = f"{mailbox_path(mailbox)}/events"
        data = self._json(self._send("GET", path, query=_odata_query(options)))
        return [e for e in data.get("value", []) if isinstance(e, dict)]

    def create_event(self, mailbox: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /{mailbox}/events: an event in the mailbox's default calendar."""
        path = f"{mailbox_path(mailbox)}/events"
        return self._json(self._send("POST", path, body=dict(body)))

    def update_event(
        self, mailbox: str | None, event_id: str, body: Mapping[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        """PATCH /{mailbox}/events/{id}, conditional on the @odata.etag when one is given."""
        headers = {"If-Match": if_match} if if_match else None
        path = self._event_path(mailbox, event_id)
        return self._json(self._send("PATCH", path, body=dict(body), headers=headers))

    def delete_event(self, mailbox: str | None, event_id: str, if_match: str | None) -> None:
        """DELETE /{mailbox}/events/{id}, conditional on the @odata.etag when one is given."""
        headers = {"If-Match": if_match} if if_match else None
        self._send("DELETE", self._event_path(mailbox, event_id), headers=headers).close()

    # ------------------------------------------------------------------- subscriptions

    def create_subscription(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /subscriptions (Graph validates the notification URLs before answering)."""
        return self._json(self._send("POST", "subscriptions", body=dict(body)))

    def update_subscription(self, subscription_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH /subscriptions/{id}: renew (new expirationDateTime)."""
        path = f"subscriptions/{quote(subscription_id, safe='')}"
        return self._json(self._send("PATCH", path, body=dict(body)))

    def delete_subscription(self, subscription_id: str) -> None:
        """DELETE /subscriptions/{id}."""
        self._send("DELETE", f"subscriptions/{quote(subscription_id, safe='')}").close()

    def reauthorize_subscription(self, subscription_id: str) -> None:
        """POST /subscriptions/{id}/reauthorize (answer to a reauthorizationRequired event)."""
        path = f"subscriptions/{quote(subscription_id, safe='')}/reauthorize"
        self._send("POST", path).close()
