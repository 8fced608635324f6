"""The Outlook connector: calendarView delta streams, etag writes, Graph subscriptions."""

from __future__ import annotations

import time
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
    PreconditionFailed,
    RemoteRecord,
    TokenProvider,
    register,
)

from . import const
from .api import GraphApi, MailboxPacer
from .auth import MsalAuth, MsalTokenProvider
from .authority import endpoints_to_authority
from .oauth import OutlookOAuthClient
from .records import body_digest, format_time, parse_time, to_record, with_sent, write_body
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
    """Outlook / Microsoft 365: stream `events` or `events:<mailbox>`, a mailbox's calendar.

    A stream reads and writes the default calendar of one mailbox: `events` is the signed-in
    user's (`/me`, delegated permissions) or `user_id`'s; `events:<user id or UPN>` is that
    user's (`/users/{id}`: application permissions for other users' mailboxes; a delegated
    token reaches only its own). Per-calendar delta is beta-only in Graph, so other calendars
    are not synced.

    Config: `permissions` ("delegated" or "application"), `tenant`, `user_id`, `page_size`
    (50), `api_base_url` (a fake's URL in tests), `timeout`, `sync_days_back` /
    `sync_days_ahead` (the calendarView window, 365 / 730), `subscription_max_minutes`
    (lower the clamp), `extended_properties` (names read back with each event; default
    ours), `mailbox_budget` (requests per mailbox per 10 minutes, 10,000), `reread_foreign`
    (re-read events that carry no transactionId too; default False).
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
        permissions = str(self.config.get(const.CONF_PERMISSIONS) or const.PERMISSIONS_DELEGATED)
        if permissions not in const.PERMISSIONS:
            raise InvalidRequest(f"permissions must be one of {', '.join(const.PERMISSIONS)}")
        self.permissions = permissions
        self.tenant: str | None = self.config.get(const.CONF_TENANT) or None
        self.user_id: str | None = self.config.get(const.CONF_USER_ID) or None
        self.reread_foreign = bool(self.config.get(const.CONF_REREAD_FOREIGN, False))
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
        now = self.config.get("now")  # the hub's clock: it dates expiries and windows
        self._clock = clock or (now if callable(now) else None) or (lambda: datetime.now(UTC))
        budget = int(self.config.get(const.CONF_MAILBOX_BUDGET, const.MAILBOX_BUDGET))
        # How to wait (Retry-After, the mailbox budget): `sleep` in the config for tests.
        sleep_fn = self.config.get("sleep")
        sleep: Callable[[float], None] = sleep_fn if callable(sleep_fn) else time.sleep
        self.api = api or GraphApi(
            tokens,
            api_base_url=str(self.config.get(const.CONF_API_BASE_URL, const.API_BASE_URL)),
            timeout=float(self.config.get(const.CONF_TIMEOUT, const.DEFAULT_HTTP_TIMEOUT)),
            pacer=MailboxPacer(min(budget, const.MAILBOX_BUDGET), sleep=sleep),
            sleep=sleep,
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
        permissions: str | None = None,
        **endpoints: str,
    ) -> OutlookOAuthClient:
        """The msal-backed OAuth client for one app registration.

        `tenant` (or a full `authority`) pins the directory; "common" by default. A
        `token_url` among `endpoints` (the hub's IVALID_OUTLOOK_TOKEN_URL) selects the cloud
        and tenant from its URL, or reaches a loopback fake through msal's `http_client`.
        `permissions="application"`: the connect page asks an admin for consent, and tokens
        come from the client credentials grant in `tenant` (see `OutlookOAuthClient`).
        """
        manifest = cls.manifest.with_endpoints(**endpoints) if endpoints else cls.manifest
        if authority is None and http_client is None and endpoints.get("token_url"):
            authority, http_client = endpoints_to_authority(endpoints["token_url"], tenant)
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
            permissions=permissions or const.PERMISSIONS_DELEGATED,
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

    def _mailbox(self, stream: str) -> str | None:
        """The mailbox a stream designates (None: the signed-in user's, `/me`)."""
        if stream == const.STREAM_EVENTS:
            if self.permissions == const.PERMISSIONS_APPLICATION:
                if not self.user_id:
                    raise InvalidRequest(
                        "with application permissions, name the mailbox: 'events:<user id>'"
                    )
                return self.user_id
            return self.user_id
        prefix = const.STREAM_EVENTS + ":"
        if stream.startswith(prefix) and len(stream) > len(prefix):
            return stream[len(prefix) :]
        raise InvalidRequest(f"unknown stream {stream!r} (use 'events' or 'events:<user id>')")

    # -- identity

    def check(self) -> Identity:
        """Who the connection acts as: the signed-in user, or (application) the tenant."""
        if self.permissions == const.PERMISSIONS_APPLICATION:
            if not self.tenant:
                raise InvalidRequest("application permissions need the tenant id")
            users = self.api.list_users().get("value", [])  # proves the consent is in place
            return Identity(
                id=self.tenant,
                email=None,
                display_name=f"Microsoft 365 tenant {self.tenant}",
                extra={"permissions": self.permissions, "users": len(users)},
            )
        calendar = self.api.get_calendar(self.user_id)
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
                "permissions": self.permissions,
            },
        )

    def list_calendars(self) -> list[dict[str, Any]]:
        """The mailboxes this connection can sync, with the keys the hub's links use.

        Delegated: the signed-in user's own, as "me" (its streams read `/me/calendarView/delta`
        and subscribe to `/me/events`), owner = his address. Application: every user of the
        tenant (`/users`), by object id, owner = mail (or UPN), so the hub links each
        technician to the mailbox of his e-mail.
        """
        if self.permissions != const.PERMISSIONS_APPLICATION:
            calendar = self.api.get_calendar(self.user_id)
            owner = (calendar.get("owner") or {}).get("address")
            return [
                {
                    "id": self.user_id or "me",
                    "summary": calendar.get("name"),
                    "primary": True,
                    "accessRole": _access_role(calendar),
                    "timeZone": None,
                    "owner": owner,
                }
            ]
        calendars: list[dict[str, Any]] = []
        link: str | None = None
        while True:
            resp = self.api.list_users(link)
            for user in resp.get("value", []):
                if not isinstance(user, dict) or not user.get("id"):
                    continue
                calendars.append(
                    {
                        "id": user["id"],
                        "summary": user.get("displayName"),
                        "primary": True,
                        "accessRole": "owner",
                        "timeZone": None,
                        "owner": user.get("mail") or user.get("userPrincipalName"),
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
        mailbox = self._mailbox(stream)
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
            resp = self.api.calendar_view_delta(mailbox, start, end_, self.page_size)
        while True:
            records, deleted = self._page(mailbox, resp)
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

    def _page(
        self, mailbox: str | None, resp: Mapping[str, Any]
    ) -> tuple[list[RemoteRecord], list[str]]:
        """Records and deletions of one delta page, with our extended properties read back.

        Delta cannot `$expand` them (calendarView delta takes no $expand or $select), so
        changed events are fetched again in batches — only those that may be ours: every
        event we create carries a transactionId, so an event without one (made in Outlook)
        holds none of our properties and is taken as delta gave it (`reread_foreign`
        re-reads them too). An `@removed` event that still exists left the window (moved far
        away): it is reported as changed, not deleted, so no appointment is cancelled.
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
        given = {
            str(e["id"]): e
            for e in changed
            if not e.get("transactionId") and not self.reread_foreign
        }
        wanted = [str(e["id"]) for e in changed if str(e["id"]) not in given] + removed
        fetched = self.api.get_events(mailbox, wanted, self.properties) if wanted else {}
        records: list[RemoteRecord] = []
        deleted: list[str] = []
        for event_id in [str(e["id"]) for e in changed] + removed:
            full = given.get(event_id) or fetched.get(event_id)
            if full is None:
                deleted.append(event_id)
            else:
                records.append(to_record(full))
        return records, deleted

    # -- write

    def get(self, stream: str, remote_id: str) -> RemoteRecord:
        """Fetch one event, our extended properties expanded."""
        mailbox = self._mailbox(stream)
        return to_record(self.api.get_event(mailbox, remote_id, self.properties))

    def find(self, appointment_id: str, stream: str = const.STREAM_EVENTS) -> list[RemoteRecord]:
        """Events of a stream's mailbox carrying our appointment id (recovering a lost link)."""
        found = self.api.find_events(
            self._mailbox(stream), const.APPOINTMENT_ID_PROPERTY, appointment_id, self.properties
        )
        return [to_record(e) for e in found]

    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Create an event; the mapped `transactionId` makes a retried create harmless.

        Graph de-duplicates creates carrying the same transactionId. Should it answer 409
        instead, the event carrying our appointment id is looked up and returned.
        """
        mailbox = self._mailbox(stream)
        try:
            created = self.api.create_event(mailbox, write_body(payload, create=True))
        except Conflict:
            appointment_id = (payload.get(const.VIRTUAL_PROPERTIES_FIELD) or {}).get(
                const.APPOINTMENT_ID_PROPERTY
            )
            existing = self.find(str(appointment_id), stream) if appointment_id else []
            if not existing:
                raise
            return existing[0]
        return with_sent(to_record(created), payload)

    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        """PATCH an event with If-Match (PreconditionFailed when someone changed it since).

        After a 412 the event is read again: holding the digest of this same body, it already
        has our write (a retry after a worker died), and it is returned as written.
        """
        mailbox = self._mailbox(stream)
        body = write_body(payload, create=False)
        try:
            updated = self.api.update_event(mailbox, remote_id, body, etag)
        except PreconditionFailed:
            # The change key moved. If the event holds the digest of this very body, our
            # write already landed (its answer was lost): that is the result, not a conflict.
            current = to_record(self.api.get_event(mailbox, remote_id, self.properties))
            held = current.data.get(const.VIRTUAL_PROPERTIES_FIELD, {})
            if held.get(const.BODY_DIGEST_PROPERTY) == body_digest(body):
                return with_sent(current, payload)
            raise
        return with_sent(to_record(updated), payload)

    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        """Delete an event with If-Match; an event already gone counts as deleted."""
        mailbox = self._mailbox(stream)
        try:
            self.api.delete_event(mailbox, remote_id, etag)
        except NotFound:
            return
