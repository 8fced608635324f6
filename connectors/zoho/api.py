"""The one place that does HTTP to Zoho CRM: the Zoho-oauthtoken header, paging, error mapping.

Every call goes to the connection's own API domain. Zoho's answers map to the connector errors
of `connectors.base`: 401 INVALID_TOKEN refreshes once and retries, then `AuthError`; 401
OAUTH_SCOPE_MISMATCH is `AuthError`; 429 (TOO_MANY_REQUESTS, credits or concurrency) is
`RateLimited` with Retry-After when given; 5xx and network failures are `TransientError`; other
400s are `InvalidRequest` carrying Zoho's `code`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from connectors.base import (
    AuthError,
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    RejectableTokenProvider,
    TokenProvider,
    TransientError,
)
from connectors.zoho import const


@dataclass
class RecordPage:
    """One page of `GET /{module}`: records and what Zoho said about the next page."""

    records: list[dict[str, Any]]
    more: bool
    next_page_token: str | None
    page: int


@dataclass
class WriteResult:
    """One record's answer inside a multi-status write."""

    ok: bool
    id: str | None
    action: str | None
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    duplicate_field: str | None = None


@dataclass
class Usage:
    """What Zoho's rate-limit headers said on the last answer, when it sent them.

    The header names are those Zoho's own SDK reads: `X-RATELIMIT-DAY-LIMIT` and
    `X-RATELIMIT-DAY-REMAINING` (the organisation's API credits in the rolling 24 hours), and
    `X-RATELIMIT-LIMIT` / `X-RATELIMIT-REMAINING` / `X-RATELIMIT-RESET` (a shorter window).
    """

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    day_limit: int | None = None
    day_remaining: int | None = None
    calls: int = 0


class ZohoApi:
    """Zoho CRM v8 for one connection (its API domain and its token provider)."""

    def __init__(
        self,
        api_domain: str,
        tokens: TokenProvider,
        *,
        session: requests.Session | None = None,
        timeout: float = const.TIMEOUT,
    ) -> None:
        """Bind to the connection's API domain."""
        self.base = api_domain.rstrip("/") + const.API_PATH
        self.tokens = tokens
        self.http = session or requests.Session()
        self.timeout = timeout
        self.usage = Usage()

    def close(self) -> None:
        """Release pooled connections."""
        self.http.close()

    # -- records

    def list_records(
        self,
        module: str,
        fields: Sequence[str],
        *,
        page: int | None = None,
        page_token: str | None = None,
        per_page: int = const.PER_PAGE,
        sort_by: str = "Modified_Time",
        sort_order: str = "asc",
        modified_since: datetime | None = None,
        converted: str | None = None,
    ) -> RecordPage:
        """One page of records (`page` within the first 2,000, `page_token` past them);
        `converted` (leads: false, true or both) says which leads Zoho lists."""
        if not fields or len(fields) > const.MAX_FIELDS:
            raise InvalidRequest(f"Zoho needs 1 to {const.MAX_FIELDS} fields, got {len(fields)}")
        params: dict[str, Any] = {
            "fields": ",".join(fields),
            "per_page": per_page,
            "sort_by": sort_by,
            "sort_order": sort_order,
        }
        if converted is not None:
            params["converted"] = converted
        if page_token:
            params["page_token"] = page_token
        else:
            params["page"] = page or 1
        headers = {}
        if modified_since is not None:
            headers["If-Modified-Since"] = modified_since.isoformat()
        body = self._call("GET", f"/{module}", params=params, headers=headers)
        if body is None:
            return RecordPage([], False, None, page or 1)
        info = body.get("info") or {}
        return RecordPage(
            list(body.get("data") or []),
            bool(info.get("more_records")),
            info.get("next_page_token"),
            int(info.get("page") or page or 1),
        )

    def get_record(self, module: str, record_id: str) -> dict[str, Any]:
        """One record with all its fields."""
        try:
            body = self._call("GET", f"/{module}/{record_id}")
        except InvalidRequest as err:
            if err.reason == "INVALID_DATA":
                raise NotFound(f"{module} {record_id} not found", status=err.status) from err
            raise
        rows = (body or {}).get("data") or []
        if not rows:
            raise NotFound(f"{module} {record_id} not found")
        return dict(rows[0])

    def upsert(
        self,
        module: str,
        rows: Sequence[Mapping[str, Any]],
        duplicate_check_fields: Sequence[str] = const.DUPLICATE_CHECK_FIELDS,
    ) -> list[WriteResult]:
        """Insert or update up to 100 records matched on the duplicate check fields, in order."""
        self._check_batch(rows)
        body = self._call(
            "POST",
            f"/{module}/upsert",
            json={"data": list(rows), "duplicate_check_fields": list(duplicate_check_fields)},
            multi_status=True,
        )
        return _results(body)

    def update(self, module: str, rows: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        """Update up to 100 records, each carrying its `id`."""
        self._check_batch(rows)
        body = self._call("PUT", f"/{module}", json={"data": list(rows)}, multi_status=True)
        return _results(body)

    def delete(self, module: str, ids: Sequence[str]) -> list[WriteResult]:
        """Delete up to 100 records (to Zoho's recycle bin)."""
        self._check_batch(ids)
        body = self._call("DELETE", f"/{module}", params={"ids": ",".join(ids)}, multi_status=True)
        return _results(body)

    def deleted(
        self, module: str, *, page: int = 1, modified_since: datetime | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of the module's deleted records, and whether more follow."""
        headers = {}
        if modified_since is not None:
            headers["If-Modified-Since"] = modified_since.isoformat()
        body = self._call(
            "GET",
            f"/{module}/deleted",
            params={"type": "all", "page": page, "per_page": const.PER_PAGE},
            headers=headers,
        )
        if body is None:
            return [], False
        return list(body.get("data") or []), bool((body.get("info") or {}).get("more_records"))

    # -- metadata

    def fields(self, module: str) -> list[dict[str, Any]]:
        """The module's fields (standard and custom) from the fields metadata API."""
        body = self._call("GET", "/settings/fields", params={"module": module})
        return list((body or {}).get("fields") or [])

    def current_user(self) -> dict[str, Any]:
        """The user the connection acts as."""
        body = self._call("GET", "/users", params={"type": "CurrentUser"})
        users = (body or {}).get("users") or []
        if not users:
            raise AuthError("Zoho returned no current user")
        return dict(users[0])

    # -- notifications

    def enable_watch(
        self, channel_id: str, events: Sequence[str], notify_url: str, token: str, expiry: datetime
    ) -> dict[str, Any]:
        """Enable (or re-enable, which renews) a notification channel."""
        if len(token) > const.MAX_TOKEN_LENGTH:
            raise InvalidRequest(f"a channel token has at most {const.MAX_TOKEN_LENGTH} characters")
        item = {
            "channel_id": channel_id,
            "events": list(events),
            "notify_url": notify_url,
            "token": token,
            "channel_expiry": expiry.isoformat(),
        }
        body = self._call("POST", "/actions/watch", json={"watch": [item]}, multi_status=True)
        results = (body or {}).get("watch") or []
        if not results or results[0].get("status") != "success":
            first = results[0] if results else {}
            raise InvalidRequest(
                f"Zoho refused the channel: {first.get('code')}",
                reason=first.get("code"),
                details=first.get("details"),
            )
        return dict(results[0])

    def disable_watch(self, channel_ids: Sequence[str]) -> None:
        """Disable channels; an unknown channel counts as disabled."""
        self._call(
            "DELETE",
            "/actions/watch",
            params={"channel_ids": ",".join(channel_ids)},
            multi_status=True,
        )

    # -- transport

    def _check_batch(self, rows: Sequence[Any]) -> None:
        if not rows or len(rows) > const.MAX_WRITE:
            raise InvalidRequest(f"Zoho writes 1 to {const.MAX_WRITE} records a call")

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        multi_status: bool = False,
    ) -> dict[str, Any] | None:
        for attempt in (0, 1):
            token = self.tokens.get_access_token()
            try:
                resp = self.http.request(
                    method,
                    self.base + path,
                    params=params,
                    json=json,
                    headers={**(headers or {}), "Authorization": const.AUTH_HEADER_PREFIX + token},
                    timeout=self.timeout,
                )
            except requests.RequestException as err:
                raise TransientError(f"Zoho unreachable: {err}") from err
            self._note_usage(resp)
            if (
                resp.status_code == 401
                and attempt == 0
                and isinstance(self.tokens, RejectableTokenProvider)
                and _code(resp) == "INVALID_TOKEN"
            ):
                self.tokens.token_rejected(token)
                continue
            return _answer(resp, multi_status)
        raise AssertionError("unreachable")  # pragma: no cover

    def _note_usage(self, resp: requests.Response) -> None:
        self.usage.calls += 1
        for name, attr in const.USAGE_HEADERS:
            value = resp.headers.get(name)
            if value and value.isdigit():
                setattr(self.usage, attr, int(value))


def _code(resp: requests.Response) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _answer(resp: requests.Response, multi_status: bool) -> dict[str, Any] | None:
    status = resp.status_code
    if status == 204:
        return None
    try:
        body = resp.json() if resp.content else {}
    except ValueError:
        body = {}
    if status < 300 or (multi_status and status in (207, 400) and _is_batch(body)):
        return body if isinstance(body, dict) else {}
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message", resp.text[:200]) if isinstance(body, dict) else resp.text[:200]
    details = body.get("details") if isinstance(body, dict) else None
    error: ConnectorError
    if status == 429 or code == "TOO_MANY_REQUESTS":
        error = RateLimited(
            f"Zoho: {message}",
            status=status,
            reason=code or "TOO_MANY_REQUESTS",
            retry_after=retry_after(resp.headers.get("Retry-After")),
        )
    elif status == 401:
        error = AuthError(f"Zoho: {message}", status=status, reason=code, details=details)
    elif status >= 500:
        error = TransientError(f"Zoho answered {status}", status=status, reason=code)
    elif status == 404 and code != "INVALID_URL_PATTERN":
        error = NotFound(f"Zoho: {message}", status=status, reason=code)
    else:
        error = InvalidRequest(f"Zoho: {message}", status=status, reason=code, details=details)
    raise error


def _is_batch(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("data") or body.get("watch"), list)


def _results(body: dict[str, Any] | None) -> list[WriteResult]:
    out = []
    for item in (body or {}).get("data") or []:
        details = item.get("details") or {}
        ok = item.get("status") == "success"
        out.append(
            WriteResult(
                ok=ok,
                id=str(details["id"]) if ok and details.get("id") else None,
                action=item.get("action"),
                code=str(item.get("code")),
                message=str(item.get("message", "")),
                details=dict(details),
                duplicate_field=item.get("duplicate_field"),
            )
        )
    return out


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(moment.tzinfo)).total_seconds())
