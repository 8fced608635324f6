"""The Google Calendar connector: events streams with sync tokens, etag writes, watch channels."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.base import (
    Channel,
    Conflict,
    Connector,
    Cursor,
    CursorExpired,
    Identity,
    InvalidRequest,
    Manifest,
    NotFound,
    Notification,
    Page,
    RemoteRecord,
    TokenProvider,
    normalize_headers,
    register,
)

from . import const
from .api import GoogleCalendarApi
from .sync import SPEC

MANIFEST = Manifest(
    name=const.NAME,
    display_name=const.DISPLAY_NAME,
    authorize_url=const.AUTHORIZE_URL,
    token_url=const.TOKEN_URL,
    revoke_url=const.REVOKE_URL,
    scopes=const.SCOPES,
    streams=const.STREAMS,
    default_sync_interval=const.DEFAULT_SYNC_INTERVAL,
    supports_push=True,
    authorize_params=const.AUTHORIZE_PARAMS,
)

# A notification may arrive a little after the channel's expiry because of clock skew.
_EXPIRY_GRACE = timedelta(minutes=5)


def _parse_rfc3339(value: str | None) -> datetime | None:
    """Parse Google's "2025-01-15T14:32:05.123Z" timestamps."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _record(item: Mapping[str, Any]) -> RemoteRecord:
    """A Google event as a RemoteRecord."""
    return RemoteRecord(
        id=str(item["id"]),
        etag=item.get("etag"),
        data=dict(item),
        updated_at=_parse_rfc3339(item.get("updated")),
    )


@register
class GoogleCalendarConnector(Connector):
    """Google Calendar: stream `events` (or `events:<calendarId>`) of one calendar.

    Config: `calendar_id` (default "primary"), `page_size` (default 250), `api_base_url`
    (a fake's URL in tests), `timeout` seconds, `sync_days_back` (limit the first full sync).
    One instance per thread: httplib2 connections are not thread-safe (building one is ~1 ms).
    """

    manifest = MANIFEST
    spec = SPEC

    def __init__(
        self,
        tokens: TokenProvider,
        config: Mapping[str, Any] | None = None,
        *,
        api: GoogleCalendarApi | None = None,
    ) -> None:
        """Build the connector; `api` may be injected, otherwise it is built from `config`."""
        super().__init__(tokens, config)
        self.calendar_id = str(self.config.get(const.CONF_CALENDAR_ID, const.PRIMARY_CALENDAR))
        page_size = int(self.config.get(const.CONF_PAGE_SIZE, const.DEFAULT_PAGE_SIZE))
        self.page_size = max(1, min(page_size, const.MAX_PAGE_SIZE))
        self.api = api or GoogleCalendarApi(
            tokens,
            api_base_url=str(self.config.get(const.CONF_API_BASE_URL, const.API_BASE_URL)),
            timeout=float(self.config.get(const.CONF_TIMEOUT, const.DEFAULT_HTTP_TIMEOUT)),
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api.close()

    def _calendar(self, stream: str) -> str:
        """The calendar id a stream name designates."""
        if stream == const.STREAM_EVENTS:
            return self.calendar_id
        prefix = const.STREAM_EVENTS + ":"
        if stream.startswith(prefix) and len(stream) > len(prefix):
            return stream[len(prefix) :]
        raise InvalidRequest(f"unknown stream {stream!r} (use 'events' or 'events:<calendarId>')")

    # -- identity

    def check(self) -> Identity:
        """Read the primary calendar (its id is the account's email) and the configured one."""
        primary = self.api.get_calendar_list_entry(const.PRIMARY_CALENDAR)
        calendar = primary
        if self.calendar_id != const.PRIMARY_CALENDAR and self.calendar_id != primary["id"]:
            calendar = self.api.get_calendar_list_entry(self.calendar_id)
        return Identity(
            id=str(primary["id"]),
            email=str(primary["id"]),
            display_name=primary.get("summaryOverride") or primary.get("summary"),
            extra={
                "calendar_id": calendar["id"],
                "calendar_summary": calendar.get("summary"),
                "time_zone": calendar.get("timeZone"),
                "access_role": calendar.get("accessRole"),
            },
        )

    def list_calendars(self) -> list[dict[str, Any]]:
        """Every calendar the user can see, for the "which calendar?" choice."""
        calendars: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            resp = self.api.list_calendars(page_token)
            for item in resp.get("items", []):
                calendars.append(
                    {
                        key: item.get(key)
                        for key in ("id", "summary", "primary", "accessRole", "timeZone")
                    }
                )
            page_token = resp.get("nextPageToken")
            if not page_token:
                return calendars

    # -- read

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[Page]:
        """Yield pages of changes; the cursor after the last page holds the next sync token.

        No cursor: full sync of every event (deleted ones included, recurring events expanded).
        `{"sync_token": ...}`: only what changed since. A cursor saved mid-way through a listing
        also holds the page token, so a crash resumes on the page it stopped at. A 410 (or a
        stale page token) raises CursorExpired: the caller clears the cursor and full-syncs.
        """
        calendar_id = self._calendar(stream)
        state = dict(cursor or {})
        sync_token: str | None = state.get("sync_token")
        page_token: str | None = state.get("page_token")
        time_min: str | None = state.get("time_min")
        if not sync_token and not page_token and time_min is None:
            time_min = self._full_sync_time_min()
        while True:
            try:
                resp = self.api.list_events(
                    calendar_id,
                    sync_token=sync_token,
                    page_token=page_token,
                    max_results=self.page_size,
                    time_min=time_min,
                )
            except InvalidRequest as err:
                if page_token:  # a page token that outlived the listing it belonged to
                    raise CursorExpired(str(err), status=err.status, reason=err.reason) from err
                raise
            records: list[RemoteRecord] = []
            deleted: list[str] = []
            for item in resp.get("items", []):
                if item.get("status") == "cancelled":
                    deleted.append(str(item["id"]))
                else:
                    records.append(_record(item))
            page_token = resp.get("nextPageToken")
            if page_token:
                next_cursor: Cursor = {"page_token": page_token}
                if sync_token:
                    next_cursor["sync_token"] = sync_token
                if time_min:
                    next_cursor["time_min"] = time_min
                yield Page(records, deleted, next_cursor, done=False)
                continue
            next_sync = resp.get("nextSyncToken")
            if not next_sync:
                raise InvalidRequest("last page of events.list carried no nextSyncToken")
            yield Page(records, deleted, {"sync_token": next_sync}, done=True)
            return

    def _full_sync_time_min(self) -> str | None:
        days = self.config.get(const.CONF_SYNC_DAYS_BACK)
        if days is None:
            return None
        start = datetime.now(UTC) - timedelta(days=int(days))
        return start.replace(microsecond=0).isoformat().replace("+00:00", "Z")

    # -- write

    def get(self, stream: str, remote_id: str) -> RemoteRecord:
        """Fetch one event (cancelled ones included)."""
        return _record(self.api.get_event(self._calendar(stream), remote_id))

    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Insert an event; with a client-chosen `id`, a retry after a lost answer is harmless.

        Google refuses a second insert with the same id (409): the event we created on the
        first attempt is then fetched and returned, so creates are idempotent. Google keeps
        deleted events (and their ids) as `cancelled`: such an event is patched back to life.
        """
        calendar_id = self._calendar(stream)
        try:
            return _record(self.api.insert_event(calendar_id, payload))
        except Conflict:
            if not payload.get("id"):
                raise
        event_id = str(payload["id"])
        existing = self.api.get_event(calendar_id, event_id)
        if existing.get("status") != "cancelled":
            return _record(existing)
        body = {k: v for k, v in payload.items() if k != "id"}
        body.setdefault("status", "confirmed")
        return _record(self.api.patch_event(calendar_id, event_id, body, existing.get("etag")))

    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        """Patch an event with If-Match (PreconditionFailed when someone changed it since)."""
        body = {k: v for k, v in payload.items() if k != "id"}
        return _record(self.api.patch_event(self._calendar(stream), remote_id, body, etag))

    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        """Delete an event with If-Match; an event already gone counts as deleted."""
        try:
            self.api.delete_event(self._calendar(stream), remote_id, etag)
        except NotFound:
            return

    # -- push notifications

    def subscribe(
        self,
        stream: str,
        address: str,
        *,
        channel_id: str | None = None,
        token: str | None = None,
        ttl: int | None = None,
    ) -> Channel:
        """events.watch: Google will POST to `address` (HTTPS in production) on every change."""
        body: dict[str, Any] = {
            "id": channel_id or str(uuid.uuid4()),
            "type": "web_hook",
            "address": address,
            "token": token or secrets.token_urlsafe(32),
            "params": {"ttl": str(ttl or const.DEFAULT_CHANNEL_TTL)},
        }
        resp = self.api.watch_events(self._calendar(stream), body)
        expiration = resp.get("expiration")
        return Channel(
            id=str(resp.get("id", body["id"])),
            resource_id=str(resp["resourceId"]),
            token=str(resp.get("token", body["token"])),
            expires_at=(
                datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None
            ),
            stream=stream,
            resource_uri=resp.get("resourceUri"),
        )

    def unsubscribe(self, channel: Channel) -> None:
        """channels.stop; a channel Google no longer knows (expired) counts as stopped."""
        try:
            self.api.stop_channel({"id": channel.id, "resourceId": channel.resource_id})
        except NotFound:
            return

    def verify_notification(
        self,
        headers: Mapping[str, str],
        body: bytes,
        expected: Channel,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Check channel id, secret token (constant time), resource id, state and expiry."""
        h = normalize_headers(headers)
        if h.get(const.HEADER_CHANNEL_ID) != expected.id:
            return False
        token = h.get(const.HEADER_CHANNEL_TOKEN, "")
        if not expected.token or not hmac.compare_digest(
            token.encode("utf-8"), expected.token.encode("utf-8")
        ):
            return False
        if h.get(const.HEADER_RESOURCE_ID) != expected.resource_id:
            return False
        if h.get(const.HEADER_RESOURCE_STATE) not in ("sync", "exists", "not_exists"):
            return False
        if expected.expires_at is not None:
            current = now or datetime.now(UTC)
            if current > expected.expires_at + _EXPIRY_GRACE:
                return False
        return True

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Read the X-Goog-* headers; Google sends no body for Calendar notifications."""
        h = normalize_headers(headers)
        channel_id = h.get(const.HEADER_CHANNEL_ID)
        state = h.get(const.HEADER_RESOURCE_STATE)
        if not channel_id or not state:
            raise InvalidRequest("not a Google push notification (X-Goog-* headers missing)")
        number = h.get(const.HEADER_MESSAGE_NUMBER)
        expires: datetime | None = None
        if h.get(const.HEADER_CHANNEL_EXPIRATION):
            try:
                expires = parsedate_to_datetime(h[const.HEADER_CHANNEL_EXPIRATION])
            except (TypeError, ValueError):
                expires = None
        return Notification(
            channel_id=channel_id,
            resource_id=h.get(const.HEADER_RESOURCE_ID),
            state=state,
            message_number=int(number) if number and number.isdigit() else None,
            changed=state != "sync",
            expires_at=expires,
        )
