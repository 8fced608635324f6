"""The Outlook connector: calendarView delta streams, etag writes, Graph subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Conflict,
    Connector,
    Cursor,
    CursorExpired,
    Identity,
    InvalidRequest,
    Manifest,
    NotFound,
    Page,
    RemoteRecord,
    TokenProvider,
    register,
)

from . import const
from .api import GraphApi
from .auth import MsalAuth, MsalTokenProvider
from .authority import endpoints_to_authority
from .oauth import OutlookOAuthClient
from .records import format_time, parse_time, to_record, with_sent, write_body
from .subscriptions import SubscriptionsMixin
from .sync import SPEC

MANIFEST = Manifest(
    name=const.NAME,
    display_name=const.DISPLAY_NAME,
    authorize_url=const.AUTHORIZE_URL,
    token_url=const.TOKEN_URL,
    scopes=const.SCOPES,
    streams=const.STREAMS,
    default_sync_interval=const.DEFAULT_SYNC_INTERVAL,
    supports_push=True,
)


def _access_role(calendar: Mapping[str, Any]) -> str:
    """Google's vocabulary for what we may do in a Graph calendar."""
    if calendar.get("isDefaultCalendar") or calendar.get("canShare"):
        return "owner"
    return "writer" if calendar.get("canEdit") else "reader"


@register
class OutlookConnector(SubscriptionsMixin, Connector):
    """Outlook / Microsoft 365: stream `events` (or `events:<calendarId>`) of one calendar.

    Config: `calendar_id` (default: the user's default calendar), `page_size` (50),
    `api_base_url` (a fake's URL in tests), `timeout`, `sync_days_back` / `sync_days_ahead`
    (the calendarView window, 365 / 730), `subscription_max_minutes` (lower the clamp),
    `extended_properties` (names read back with each event; default ours).
    """

    manifest = MANIFEST
    spec = SPEC

    def __init__(
        self,
        tokens: TokenProvider,
        config: Mapping[str, Any] | None = None,
        *,
        api: GraphApi | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Build the connector; `api` may be injected, otherwise it is built from `config`."""
        super().__init__(tokens, config)
        self.calendar_id: str | None = self.config.get(const.CONF_CALENDAR_ID) or None
        page_size = int(self.config.get(const.CONF_PAGE_SIZE, const.DEFAULT_PAGE_SIZE))
        self.page_size = max(1, min(page_size, const.MAX_PAGE_SIZE))
        self.days_back = int(
            self.config.get(const.CONF_SYNC_DAYS_BACK, const.DEFAULT_SYNC_DAYS_BACK)
        )
        self.days_ahead = int(
            self.config.get(const.CONF_SYNC_DAYS_AHEAD, const.DEFAULT_SYNC_DAYS_AHEAD)
        )
        names = self.config.get(const.CONF_EXTENDED_PROPERTIES, const.EXTENDED_PROPERTY_NAMES)
        self.properties: tuple[str, ...] = tuple(str(n) for n in names)
        max_minutes = int(
            self.config.get(const.CONF_SUBSCRIPTION_MAX_MINUTES, const.MAX_SUBSCRIPTION_MINUTES)
        )
        self.subscription_max_minutes = min(max_minutes, const.MAX_SUBSCRIPTION_MINUTES)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.api = api or GraphApi(
            tokens,
            api_base_url=str(self.config.get(const.CONF_API_BASE_URL, const.API_BASE_URL)),
            timeout=float(self.config.get(const.CONF_TIMEOUT, const.DEFAULT_HTTP_TIMEOUT)),
        )

    @classmethod
    def oauth_client(  # type: ignore[override]
        cls,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        *,
        authority: str | None = None,
        tenant: str | None = None,
        http_client: Any = None,
        cache: str | None = None,
        instance_discovery: bool | None = None,
        **endpoints: str,
    ) -> OutlookOAuthClient:
        """The msal-backed OAuth client for one app registration.

        `tenant` (or a full `authority`) pins the directory; "common" by default. A
        `token_url` among `endpoints` (the hub's IVALID_OUTLOOK_TOKEN_URL) selects the cloud
        and tenant from its URL, or reaches a loopback fake through msal's `http_client`.
        """
        manifest = cls.manifest.with_endpoints(**endpoints) if endpoints else cls.manifest
        if authority is None and http_client is None and endpoints.get("token_url"):
            authority, http_client = endpoints_to_authority(endpoints["token_url"])
        return OutlookOAuthClient(
            manifest,
            client_id,
            client_secret,
            redirect_uri,
            authority=authority,
            tenant=tenant,
            http_client=http_client,
            cache=cache,
            instance_discovery=instance_discovery,
        )

    @classmethod
    def token_provider(
        cls,
        client_id: str,
        client_secret: str | None,
        cache: str,
        *,
        home_account_id: str | None = None,
        on_cache_change: Callable[[str], None] | None = None,
        authority: str | None = None,
        tenant: str | None = None,
        http_client: Any = None,
        token_url: str | None = None,
    ) -> MsalTokenProvider:
        """A TokenProvider over a connection's stored msal cache (refreshes through msal).

        `on_cache_change(serialized)` receives the cache whenever msal changed it (new access
        token, rotated refresh token): store it, encrypted. `token_url` works as in
        `oauth_client`.
        """
        if authority is None and http_client is None and token_url:
            authority, http_client = endpoints_to_authority(token_url)
        auth = MsalAuth(
            client_id,
            client_secret,
            authority=authority,
            tenant=tenant,
            http_client=http_client,
            cache=cache,
        )
        return auth.token_provider(home_account_id, on_cache_change)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api.close()

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _calendar(self, stream: str) -> str | None:
        """The calendar a stream designates (None: the default calendar)."""
        if stream == const.STREAM_EVENTS:
            return self.calendar_id
        prefix = const.STREAM_EVENTS + ":"
        if stream.startswith(prefix) and len(stream) > len(prefix):
            return stream[len(prefix) :]
        raise InvalidRequest(f"unknown stream {stream!r} (use 'events' or 'events:<calendarId>')")

    # -- identity

    def check(self) -> Identity:
        """Read the configured calendar: its owner is who the connection acts as."""
        calendar = self.api.get_calendar(self.calendar_id)
        owner = calendar.get("owner") or {}
        address = str(owner.get("address") or calendar.get("id"))
        return Identity(
            id=address,
            email=owner.get("address"),
            display_name=owner.get("name"),
            extra={
                "calendar_id": calendar.get("id"),
                "calendar_summary": calendar.get("name"),
                "time_zone": None,  # Graph keeps the zone per event, not per calendar
                "access_role": _access_role(calendar),
                "is_default": calendar.get("isDefaultCalendar"),
            },
        )

    def list_calendars(self) -> list[dict[str, Any]]:
        """Every calendar of the user, with the keys Google's connector uses (and Graph's)."""
        calendars: list[dict[str, Any]] = []
        link: str | None = None
        while True:
            resp = self.api.list_calendars(link)
            for item in resp.get("value", []):
                calendars.append(
                    {
                        "id": item.get("id"),
                        "summary": item.get("name"),
                        "primary": bool(item.get("isDefaultCalendar")),
                        "accessRole": _access_role(item),
                        "timeZone": None,
                        "owner": (item.get("owner") or {}).get("address"),
                    }
                )
            link = resp.get("@odata.nextLink")
            if not link:
                return calendars

    # -- read

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[Page]:
        """Yield pages of changes; the cursor after the last page holds the deltaLink.

        No cursor: a full round over the window [now - sync_days_back, now + sync_days_ahead)
        (every cursor repeats it as window_start/window_end: events outside were not listed,
        so they must not count as deleted). `{"delta_link": ...}`: what changed since. A
        cursor saved mid-round holds the nextLink, so a crash resumes on the page it stopped
        at. A token Graph forgot (410, or
        syncStateNotFound), or a window whose end comes near, raises CursorExpired: the
        caller clears the cursor and full-syncs.
        """
        calendar_id = self._calendar(stream)
        state = dict(cursor or {})
        link: str | None = state.get("next_link") or state.get("delta_link")
        window = {"window_start": state.get("window_start"), "window_end": state.get("window_end")}
        now = self._now()
        if link and not state.get("next_link"):
            end = parse_time(window["window_end"])
            if end is None or end - now < timedelta(days=self.days_ahead) / 2:
                raise CursorExpired(
                    "the delta window is ending: start a new round", reason="windowExpired"
                )
        if link:
            resp = self._follow(link)
        else:
            start = format_time(now - timedelta(days=self.days_back))
            end_ = format_time(now + timedelta(days=self.days_ahead))
            window = {"window_start": start, "window_end": end_}
            resp = self.api.calendar_view_delta(calendar_id, start, end_, self.page_size)
        while True:
            records, deleted = self._page(resp)
            next_link = resp.get("@odata.nextLink")
            if next_link:
                yield Page(records, deleted, {"next_link": next_link, **window}, done=False)
                resp = self._follow(next_link)
                continue
            delta_link = resp.get("@odata.deltaLink")
            if not delta_link:
                raise InvalidRequest("the last delta page carried no @odata.deltaLink")
            yield Page(records, deleted, {"delta_link": delta_link, **window}, done=True)
            return

    def _follow(self, link: str) -> dict[str, Any]:
        try:
            return self.api.follow_delta(link, self.page_size)
        except InvalidRequest as err:
            if err.reason == "foreign_link":  # a cursor saved against another API root
                raise CursorExpired(str(err), reason=err.reason) from err
            raise

    def _page(self, resp: Mapping[str, Any]) -> tuple[list[RemoteRecord], list[str]]:
        """Records and deletions of one delta page, with our extended properties read back.

        Delta cannot `$expand` them, so changed events are fetched again in batches. An
        `@removed` event that still exists left the window (moved far away): it is reported
        as changed, not deleted, so no appointment is cancelled by mistake.
        """
        changed: list[dict[str, Any]] = []
        removed: list[str] = []
        for item in resp.get("value", []):
            if not isinstance(item, dict) or "id" not in item:
                continue
            if "@removed" in item:
                removed.append(str(item["id"]))
            else:
                changed.append(item)
        if not self.properties:
            return [to_record(e) for e in changed], removed
        fetched = self.api.get_events([str(e["id"]) for e in changed] + removed, self.properties)
        records: list[RemoteRecord] = []
        deleted: list[str] = []
        for event_id in [str(e["id"]) for e in changed] + removed:
            full = fetched.get(event_id)
            if full is None:
                deleted.append(event_id)
            else:
                records.append(to_record(full))
        return records, deleted

    # -- write

    def get(self, stream: str, remote_id: str) -> RemoteRecord:
        """Fetch one event, our extended properties expanded."""
        self._calendar(stream)
        return to_record(self.api.get_event(remote_id, self.properties))

    def find(self, appointment_id: str) -> list[RemoteRecord]:
        """Events carrying our appointment id (recovering a lost link)."""
        found = self.api.find_events(const.APPOINTMENT_ID_PROPERTY, appointment_id, self.properties)
        return [to_record(e) for e in found]

    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Create an event; the mapped `transactionId` makes a retried create harmless.

        Graph de-duplicates creates carrying the same transactionId. Should it answer 409
        instead, the event carrying our appointment id is looked up and returned.
        """
        calendar_id = self._calendar(stream)
        try:
            created = self.api.create_event(calendar_id, write_body(payload, create=True))
        except Conflict:
            appointment_id = (payload.get(const.VIRTUAL_PROPERTIES_FIELD) or {}).get(
                const.APPOINTMENT_ID_PROPERTY
            )
            existing = self.find(str(appointment_id)) if appointment_id else []
            if not existing:
                raise
            return existing[0]
        return with_sent(to_record(created), payload)

    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        """PATCH an event with If-Match (PreconditionFailed when someone changed it since)."""
        self._calendar(stream)
        updated = self.api.update_event(remote_id, write_body(payload, create=False), etag)
        return with_sent(to_record(updated), payload)

    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        """Delete an event with If-Match; an event already gone counts as deleted."""
        self._calendar(stream)
        try:
            self.api.delete_event(remote_id, etag)
        except NotFound:
            return
