"""The Google Calendar connector: events streams with sync tokens, etag writes, watch channels."""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.base import (
    Channel,
    Conflict,
    Connector,
    ConnectorError,
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
    TransientError,
    normalize_headers,
    register,
)

from . import const
from .api import GoogleCalendarApi, Pacer, rate_limited
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


def _rfc3339(moment: datetime) -> str:
    """An aware datetime as Google's timeMin/timeMax want it (UTC, Z)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
    (a fake's URL in tests), `timeout` seconds, `sync_days_back` / `sync_days_ahead` (the
    full sync's window around today, default 30 and 365 days), `requests_per_minute` (the
    pacing budget, default 500), `batch_size` (calls per batch, default 50),
    `rate_limit_attempts` (tries of a call refused for the rate limit, default 5), `now` (the
    app's clock: a callable giving an aware datetime), `sleep` and `monotonic` (for tests).
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
        self.days_back = int(self.config.get(const.CONF_SYNC_DAYS_BACK) or 0) or (
            const.DEFAULT_SYNC_DAYS_BACK
        )
        self.days_ahead = int(self.config.get(const.CONF_SYNC_DAYS_AHEAD) or 0) or (
            const.DEFAULT_SYNC_DAYS_AHEAD
        )
        batch_size = int(self.config.get(const.CONF_BATCH_SIZE) or const.DEFAULT_BATCH_SIZE)
        self.batch_size = max(1, min(batch_size, const.MAX_BATCH_SIZE))
        now = self.config.get("now")
        self._now: Callable[[], datetime] = now if callable(now) else (lambda: datetime.now(UTC))
        pacer = Pacer(
            int(self.config.get(const.CONF_REQUESTS_PER_MINUTE, const.DEFAULT_REQUESTS_PER_MINUTE)),
            clock=self.config.get("monotonic") or time.monotonic,
            sleep=self.config.get("sleep") or time.sleep,
        )
        self.api = api or GoogleCalendarApi(
            tokens,
            api_base_url=str(self.config.get(const.CONF_API_BASE_URL, const.API_BASE_URL)),
            timeout=float(self.config.get(const.CONF_TIMEOUT, const.DEFAULT_HTTP_TIMEOUT)),
            pacer=pacer,
            attempts=int(
                self.config.get(const.CONF_RATE_LIMIT_ATTEMPTS) or const.RATE_LIMIT_ATTEMPTS
            ),
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
        """Every calendar the user can see, for the "which calendar?" choice.

        `writable`: the user's access role lets events be written (writer or owner).
        `dataOwner`: for a secondary calendar the user may write to, its owner's e-mail
        (calendars.get, one call per such calendar; Google sets it for secondary calendars
        only), to match technicians.
        """
        calendars: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            resp = self.api.list_calendars(page_token)
            for item in resp.get("items", []):
                entry = {
                    key: item.get(key)
                    for key in ("id", "summary", "primary", "accessRole", "timeZone", "dataOwner")
                }
                entry["writable"] = item.get("accessRole") in const.WRITABLE_ROLES
                calendars.append(entry)
            page_token = resp.get("nextPageToken")
            if not page_token:
                break
        for entry in calendars:
            # A user's primary calendar has the user's e-mail as id (matched as it is); a
            # secondary one has a group.calendar.google.com id and a data owner to ask for.
            secondary = str(entry["id"]).endswith(const.SECONDARY_CALENDAR_SUFFIX)
            if entry["writable"] and secondary and not entry.get("dataOwner"):
                try:
                    owner = self.api.get_calendar(str(entry["id"])).get("dataOwner")
                except NotFound:
                    owner = None
                if owner:
                    entry["dataOwner"] = owner
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
        window = state.get("window")
        if not sync_token and not page_token:
            window = self._window()
        elif sync_token and not page_token and self._window_stale(window):
            # The window's far end comes near: list it again (the engine clears the cursor).
            raise CursorExpired("sync window ends soon: a new full sync", reason="window")
        time_min, time_max = (window or [None, None])[:2]
        while True:
            try:
                resp = self.api.list_events(
                    calendar_id,
                    sync_token=sync_token,
                    page_token=page_token,
                    max_results=self.page_size,
                    time_min=time_min,
                    time_max=time_max,
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
                elif not self._outside(item, time_max):
                    records.append(_record(item))
            page_token = resp.get("nextPageToken")
            if page_token:
                next_cursor: Cursor = {"page_token": page_token}
                if sync_token:
                    next_cursor["sync_token"] = sync_token
                if window:
                    next_cursor["window"] = window
                yield Page(records, deleted, next_cursor, done=False)
                continue
            next_sync = resp.get("nextSyncToken")
            if not next_sync:
                raise InvalidRequest("last page of events.list carried no nextSyncToken")
            done: Cursor = {"sync_token": next_sync}
            if window:
                done["window"] = window
            yield Page(records, deleted, done, done=True)
            return

    def _window(self) -> list[str]:
        """[timeMin, timeMax] of a full sync: days back and ahead of today by the app clock."""
        now = self._now().astimezone(UTC).replace(microsecond=0)
        start = now - timedelta(days=self.days_back)
        end = now + timedelta(days=self.days_ahead)
        return [_rfc3339(start), _rfc3339(end)]

    def _window_stale(self, window: Any) -> bool:
        """Whether a saved window ends too soon (or the cursor predates windows)."""
        if not isinstance(window, list) or len(window) != 2:
            return True
        end = _parse_rfc3339(str(window[1]))
        if end is None:
            return True
        horizon = self._now() + timedelta(days=self.days_ahead - const.WINDOW_REFRESH_DAYS)
        return end < horizon

    @staticmethod
    def _outside(item: Mapping[str, Any], time_max: str | None) -> bool:
        """An instance of a series starting past the window (an incremental read lists the
        instances of a changed series as far as Google expands them)."""
        if not time_max or not item.get("recurringEventId"):
            return False
        start = (item.get("start") or {}).get("dateTime") or (item.get("start") or {}).get("date")
        moment = _parse_rfc3339(str(start)) if start else None
        limit = _parse_rfc3339(time_max)
        if moment is None or limit is None:
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment >= limit

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
        return self._existing(calendar_id, payload)

    def _existing(self, calendar_id: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """The event a 409 says exists with our id (brought back if it was deleted)."""
        event_id = str(payload["id"])
        existing = self.api.get_event(calendar_id, event_id)
        if existing.get("status") != "cancelled":
            return _record(existing)
        body = {k: v for k, v in payload.items() if k != "id"}
        body.setdefault("status", "confirmed")
        return _record(self.api.patch_event(calendar_id, event_id, body, existing.get("etag")))

    def create_many(
        self, stream: str, payloads: Sequence[Mapping[str, Any]]
    ) -> list[RemoteRecord | ConnectorError]:
        """Insert many events through the batch endpoint, `batch_size` calls per batch.

        Returns, in order, each created event or the error that refused it. A call refused
        for the rate limit is sent again in a later batch after a back-off; a 409 (an id we
        inserted before) goes through `create`, which returns the existing event.
        """
        calendar_id = self._calendar(stream)
        results: list[RemoteRecord | ConnectorError | None] = [None] * len(payloads)
        todo = list(range(len(payloads)))
        attempt = 0
        while todo:
            retry: list[int] = []
            for offset in range(0, len(todo), self.batch_size):
                chunk = todo[offset : offset + self.batch_size]
                answers = self.api.execute_batch(
                    [self.api.insert_request(calendar_id, payloads[i]) for i in chunk]
                )
                for index, answer in zip(chunk, answers, strict=True):
                    if isinstance(answer, Conflict) and payloads[index].get("id"):
                        try:
                            results[index] = self._existing(calendar_id, payloads[index])
                        except ConnectorError as err:
                            results[index] = err
                    elif isinstance(answer, ConnectorError):
                        if rate_limited(answer) and attempt + 1 < self.api.attempts:
                            retry.append(index)
                        else:
                            results[index] = answer
                    else:
                        results[index] = _record(answer)
            if retry:
                self.api.backoff(attempt, TransientError("rate limited in a batch"))
                attempt += 1
            todo = retry
        return [r if r is not None else TransientError("not sent") for r in results]

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
