"""The only module that speaks HTTP to Microsoft Graph (requests) and maps its errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
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
    ) -> None:
        """Bind to a token provider and an API root (a fake's URL in tests)."""
        self._tokens = tokens
        self.base_url = api_base_url.rstrip("/")
        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.netloc.lower())
        self._timeout = timeout
        self._session = session or requests.Session()

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
    ) -> requests.Response:
        """One request with a fresh token; one retry after a 401 if the provider can refresh."""
        url = self.url(path_or_link)
        if query:
            url += ("&" if "?" in url else "?") + query
        token = self._tokens.get_access_token()
        resp = self._raw(method, url, token, body, headers)
        if resp.status_code == 401 and isinstance(self._tokens, RejectableTokenProvider):
            self._tokens.token_rejected(token)
            fresh = self._tokens.get_access_token()
            if fresh != token:
                resp.close()
                resp = self._raw(method, url, fresh, body, headers)
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

    @staticmethod
    def _calendar_path(calendar_id: str | None) -> str:
        return f"me/calendars/{quote(calendar_id, safe='')}" if calendar_id else "me/calendar"

    # ------------------------------------------------------------------------ calendars

    def get_calendar(self, calendar_id: str | None) -> dict[str, Any]:
        """GET /me/calendar (the default one) or /me/calendars/{id}."""
        return self._json(self._send("GET", self._calendar_path(calendar_id)))

    def list_calendars(self, link: str | None = None) -> dict[str, Any]:
        """GET /me/calendars: one page of the user's calendars."""
        return self._json(self._send("GET", link or "me/calendars"))

    # --------------------------------------------------------------------------- delta

    def calendar_view_delta(
        self,
        calendar_id: str | None,
        start: str,
        end: str,
        page_size: int,
    ) -> dict[str, Any]:
        """The first request of a delta round over [start, end) of a calendar's view."""
        prefix = f"{self._calendar_path(calendar_id)}/" if calendar_id else "me/"
        query = _odata_query({"startDateTime": start, "endDateTime": end})
        return self.follow_delta(prefix + "calendarView/delta", page_size, query=query)

    def follow_delta(
        self, link: str, page_size: int, *, query: str | None = None
    ) -> dict[str, Any]:
        """GET an @odata.nextLink / @odata.deltaLink (or the first delta URL)."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        return self._json(self._send("GET", link, query=query, headers=headers))

    # -------------------------------------------------------------------------- events

    def _event_path(self, event_id: str) -> str:
        return f"me/events/{quote(event_id, safe='')}"

    def get_event(self, event_id: str, properties: Sequence[str]) -> dict[str, Any]:
        """GET /me/events/{id} with our extended properties expanded."""
        query = _odata_query({"$expand": expand_properties(properties)}) if properties else None
        return self._json(self._send("GET", self._event_path(event_id), query=query))

    def get_events(
        self, event_ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, dict[str, Any] | None]:
        """Fetch events (properties expanded) by JSON batching; None for an event gone since.

        Delta responses cannot `$expand` extended properties, so the changed events are read
        again, twenty per POST /$batch. A throttled or failed member fails the whole call
        (nothing is half-applied; the caller retries the page).
        """
        out: dict[str, dict[str, Any] | None] = {}
        ids = list(dict.fromkeys(event_ids))
        expand = _odata_query({"$expand": expand_properties(properties)}) if properties else ""
        for start in range(0, len(ids), const.BATCH_LIMIT):
            chunk = ids[start : start + const.BATCH_LIMIT]
            requests_ = [
                {
                    "id": str(i),
                    "method": "GET",
                    "url": "/" + self._event_path(event_id) + (f"?{expand}" if expand else ""),
                }
                for i, event_id in enumerate(chunk)
            ]
            answer = self._json(self._send("POST", "$batch", body={"requests": requests_}))
            by_id = {str(r.get("id")): r for r in answer.get("responses", [])}
            for i, event_id in enumerate(chunk):
                member = by_id.get(str(i))
                if member is None:
                    raise TransientError(f"$batch answer lacks member {i}")
                status = int(member.get("status", 500))
                if 200 <= status < 300 and isinstance(member.get("body"), dict):
                    out[event_id] = member["body"]
                    continue
                error = translate_http_error(status, member.get("body"), member.get("headers"))
                if isinstance(error, NotFound):
                    out[event_id] = None
                    continue
                raise error
        return out

    def find_events(
        self, prop_name: str, value: str, properties: Sequence[str]
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
        data = self._json(self._send("GET", "me/events", query=_odata_query(options)))
        return [e for e in data.get("value", []) if isinstance(e, dict)]

    def create_event(self, calendar_id: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /me/events (default calendar) or /me/calendars/{id}/events."""
        path = f"{self._calendar_path(calendar_id)}/events" if calendar_id else "me/events"
        return self._json(self._send("POST", path, body=dict(body)))

    def update_event(
        self, event_id: str, body: Mapping[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        """PATCH /me/events/{id}, conditional on the @odata.etag when one is given."""
        headers = {"If-Match": if_match} if if_match else None
        return self._json(
            self._send("PATCH", self._event_path(event_id), body=dict(body), headers=headers)
        )

    def delete_event(self, event_id: str, if_match: str | None) -> None:
        """DELETE /me/events/{id}, conditional on the @odata.etag when one is given."""
        headers = {"If-Match": if_match} if if_match else None
        self._send("DELETE", self._event_path(event_id), headers=headers).close()

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
