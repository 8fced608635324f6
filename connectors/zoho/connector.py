"""The Zoho CRM connector: contacts and leads read page by page, written in batches of 100.

Reading (`read`) is a full pass sorted by `Modified_Time` (pages of 200; `page` for the first
2,000 records, `page_token` after), then incremental passes with `If-Modified-Since`. Zoho's times
have one-second resolution, so an incremental pass asks from one second before its high-water
mark and skips the records it already saw, as they were, at that second (a tie-break on id and
content: a second edit within the same second is still read). Each pass ends with
the module's deleted records. Leads are read with `converted=both`: a lead converted in Zoho
comes back once more with `$converted: true`, so the engine can hand its customer to the new
contact (matched by e-mail, then phone). The cursor is yielded with every page, so the
caller saves it after each one and a killed sync resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Channel,
    Connector,
    Cursor,
    Identity,
    InvalidRequest,
    Manifest,
    NotFound,
    Notification,
    NotSupported,
    Page,
    RemoteRecord,
    TokenProvider,
    register,
)
from connectors.zoho import const
from connectors.zoho.api import WriteResult, ZohoApi
from connectors.zoho.datacentres import ZOHO_DATA_CENTRES, DataCentres
from connectors.zoho.sync import SPEC

CONTACT_FIELDS = (
    "First_Name",
    "Last_Name",
    "Email",
    "Phone",
    "Mobile",
    "Mailing_Street",
    "Mailing_City",
    "Mailing_Zip",
    "Mailing_State",
    "Mailing_Country",
    "Email_Opt_Out",
    "Description",
    "Tag",
    "Modified_Time",
)
LEAD_FIELDS = (
    "First_Name",
    "Last_Name",
    "Company",
    "Email",
    "Phone",
    "Mobile",
    "Street",
    "City",
    "Zip_Code",
    "State",
    "Country",
    "Email_Opt_Out",
    "Description",
    "Tag",
    "Modified_Time",
)
DEFAULT_FIELDS = {const.STREAM_CONTACTS: CONTACT_FIELDS, const.STREAM_LEADS: LEAD_FIELDS}
ONE_SECOND = timedelta(seconds=1)


@register
class ZohoConnector(Connector):
    """Zoho CRM contacts ↔ customers, leads → customers."""

    manifest = Manifest(
        name=const.NAME,
        display_name=const.DISPLAY_NAME,
        authorize_url=ZOHO_DATA_CENTRES["us"].authorize_url,
        token_url=ZOHO_DATA_CENTRES["us"].token_url,
        revoke_url=ZOHO_DATA_CENTRES["us"].revoke_url,
        scopes=const.SCOPES,
        streams=const.STREAMS,
        default_sync_interval=const.DEFAULT_SYNC_INTERVAL,
        supports_push=True,
        authorize_params=const.AUTHORIZE_PARAMS,
    )
    spec = SPEC

    def __init__(
        self,
        tokens: TokenProvider,
        config: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Config: `location` and `api_domain` (from the connection), optional `data_centres`
        (the trusted table, for tests), `custom_fields` per stream (and `mapped_fields`, the
        custom fields the connection's mapping names, from the engine), `page_size`, `now` (the
        engine's clock); `clock` dates channel expiries (a pinned clock in tests)."""
        super().__init__(tokens, config)
        now = self.config.get("now")
        self.clock = clock or (now if callable(now) else None) or (lambda: datetime.now(UTC))
        centres = DataCentres.from_config(self.config.get("data_centres"))
        centre = centres.get(str(self.config.get("location") or "us"))
        api_domain = centres.check_api_domain(centre, self.config.get("api_domain"))
        self.api = ZohoApi(api_domain, tokens)
        # The engine asks for large pages; Zoho serves at most 200 records a page.
        self.page_size = min(int(self.config.get("page_size") or const.PER_PAGE), const.PER_PAGE)

    def close(self) -> None:
        """Release the HTTP pool."""
        self.api.close()

    # -- identity and metadata

    def check(self) -> Identity:
        """Who the connection acts as."""
        user = self.api.current_user()
        return Identity(
            id=str(user.get("id")), email=user.get("email"), display_name=user.get("full_name")
        )

    def remote_usage(self) -> dict[str, Any] | None:
        """The API credits Zoho last reported (24 hours), or None if it reported none."""
        usage = self.api.usage
        if usage.day_limit is None and usage.day_remaining is None:
            return None
        used = (
            usage.day_limit - usage.day_remaining
            if usage.day_limit is not None and usage.day_remaining is not None
            else None
        )
        return {
            "limit": usage.day_limit,
            "remaining": usage.day_remaining,
            "used": used,
            "window": "24h",
        }

    def describe_fields(self, stream: str) -> list[dict[str, Any]]:
        """Every field of the stream's module (standard and custom), from Zoho's field
        metadata, as the hub stores it: name (Zoho's `api_name`), label, type, custom."""
        return [
            {
                "name": str(f.get("api_name")),
                "label": f.get("field_label"),
                "type": f.get("data_type"),
                "custom": bool(f.get("custom_field")),
            }
            for f in self.api.fields(_module(stream))
            if f.get("api_name")
        ]

    def custom_fields(self, stream: str) -> list[dict[str, Any]]:
        """The module's custom fields, from Zoho's field metadata."""
        return [f for f in self.api.fields(_module(stream)) if f.get("custom_field")]

    def fields_for(self, stream: str) -> list[str]:
        """The `fields` list sent when reading `stream`: defaults plus mapped custom fields."""
        extra = [
            *(self.config.get("custom_fields") or {}).get(stream, ()),
            *(self.config.get("mapped_fields") or {}).get(stream, ()),
        ]
        names = list(dict.fromkeys([*DEFAULT_FIELDS[stream], *extra]))
        if len(names) > const.MAX_FIELDS:
            raise InvalidRequest(f"Zoho reads at most {const.MAX_FIELDS} fields a call")
        return names

    # -- reading

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[Page]:
        """Yield pages of changes since `cursor`; every page carries the cursor to save."""
        module = _module(stream)
        fields = self.fields_for(stream)
        state: dict[str, Any] = dict(cursor or {})
        if not state:
            state = {"phase": "records", "since": None, "seen": {}, "high": None, "high_seen": {}}
        while True:
            if state["phase"] == "records":
                page, state = self._records_page(module, fields, state)
                yield page
                continue
            page, state, done = self._deleted_page(module, state)
            yield page
            if done:
                return

    def _records_page(
        self, module: str, fields: list[str], state: dict[str, Any]
    ) -> tuple[Page, dict[str, Any]]:
        since = _time(state.get("since"))
        page_no = int(state.get("page") or 1)
        token = state.get("page_token")
        if token is None and page_no * self.page_size > const.DISCRETE_LIMIT:
            token = state.get("next_token")
        try:
            result = self.api.list_records(
                module,
                fields,
                page=None if token else page_no,
                page_token=token,
                per_page=self.page_size,
                modified_since=since - ONE_SECOND if since else None,
                converted="both" if module == const.MODULES[const.STREAM_LEADS] else None,
            )
        except InvalidRequest as err:
            if not token or err.reason != "EXPIRED_VALUE":
                raise
            # The saved page token outlived its expiry (a sync stopped for long): read this
            # pass again from its first page; what was already read is applied again, harmlessly.
            return self._records_page(module, fields, dict(state, page=1, page_token=None))
        seen: dict[str, str] = dict(state.get("seen") or {})
        high = _time(state.get("high"))
        high_seen: dict[str, str] = dict(state.get("high_seen") or {})
        records = []
        for row in result.records:
            modified = _time(row.get("Modified_Time"))
            digest = _digest(row)
            if _already_seen(modified, f"{row['id']}:{digest}", since, _keys(seen)):
                continue  # read, as it is now, by the pass that set the high-water mark
            records.append(_record(row))
            if modified is not None:
                if high is None or modified > high:
                    high, high_seen = modified, {row["id"]: digest}
                elif modified == high:
                    high_seen[row["id"]] = digest
        nxt = dict(state, high=_iso(high), high_seen=high_seen)
        if result.more:
            if (page_no + 1) * self.page_size <= const.DISCRETE_LIMIT and not token:
                nxt.update(page=page_no + 1, page_token=None)
            else:
                nxt.update(page=page_no + 1, page_token=result.next_page_token)
        else:
            nxt.update(phase="deleted", page=1, page_token=None)
        return Page(records, [], nxt, done=False), nxt

    def _deleted_page(
        self, module: str, state: dict[str, Any]
    ) -> tuple[Page, dict[str, Any], bool]:
        del_since = _time(state.get("del_since"))
        del_seen = set(state.get("del_seen") or [])
        page_no = int(state.get("page") or 1)
        # A full pass (a first connection, or a reconnection: the cursor was dropped) reads the
        # whole list: a record deleted while disconnected must unlink its customer; a deletion
        # of a record that was never linked changes nothing.
        rows, more = self.api.deleted(
            module, page=page_no, modified_since=del_since - ONE_SECOND if del_since else None
        )
        del_high = _time(state.get("del_high")) or del_since
        deleted = []
        del_high_seen = set(state.get("del_high_seen") or del_seen)
        for row in rows:
            when = _time(row.get("deleted_time"))
            if _already_seen(when, row["id"], del_since, del_seen):
                continue
            deleted.append(str(row["id"]))
            if when is not None:
                if del_high is None or when > del_high:
                    del_high, del_high_seen = when, {row["id"]}
                elif when == del_high:
                    del_high_seen.add(row["id"])
        if more:
            nxt = dict(
                state,
                page=page_no + 1,
                del_high=_iso(del_high),
                del_high_seen=sorted(del_high_seen),
            )
            return Page([], deleted, nxt, done=False), nxt, False
        high = state.get("high") or state.get("since")
        nxt = {
            "phase": "records",
            "since": high,
            "seen": state.get("high_seen") if state.get("high") else state.get("seen", {}),
            "high": None,
            "high_seen": {},
            "page": 1,
            "page_token": None,
            "del_since": _iso(del_high) if del_high else high,
            "del_seen": sorted(del_high_seen),
        }
        return Page([], deleted, nxt, done=True), nxt, True

    def get(self, stream: str, remote_id: str) -> RemoteRecord:
        """One record with all its fields."""
        return _record(self.api.get_record(_module(stream), remote_id))

    # -- writing

    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Upsert one record (an existing one with the same e-mail, then phone, is updated)."""
        result = self.upsert_many(stream, [payload])[0]
        if not result.ok or result.id is None:
            raise InvalidRequest(
                f"Zoho refused the record: {result.code}",
                reason=result.code,
                details=result.details,
            )
        return RemoteRecord(result.id, result.details.get("Modified_Time"), dict(payload))

    def upsert_many(self, stream: str, payloads: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        """Upsert any number of records, 100 a call; one result per payload, in order."""
        results: list[WriteResult] = []
        for start in range(0, len(payloads), const.MAX_WRITE):
            chunk = payloads[start : start + const.MAX_WRITE]
            results.extend(self.api.upsert(_module(stream), chunk))
        return results

    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        """Change fields of one record (Zoho has no etag precondition on records; last write
        wins, which the engine's conflict rule accounts for)."""
        result = self.api.update(_module(stream), [{**payload, "id": remote_id}])[0]
        if (
            not result.ok
            and result.code == "INVALID_DATA"
            and result.details.get("api_name") == "id"
        ):
            raise NotFound(f"{stream} {remote_id} not found", reason=result.code)  # deleted
        if not result.ok:
            raise InvalidRequest(
                f"Zoho refused the update: {result.code}",
                reason=result.code,
                details=result.details,
            )
        return RemoteRecord(remote_id, result.details.get("Modified_Time"), dict(payload))

    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        """Delete one record; one already gone counts as deleted."""
        result = self.api.delete(_module(stream), [remote_id])[0]
        if not result.ok and result.code != "INVALID_DATA":
            raise InvalidRequest(f"Zoho refused the delete: {result.code}", reason=result.code)

    # -- notifications

    def subscribe(
        self,
        stream: str,
        address: str,
        *,
        channel_id: str | None = None,
        token: str | None = None,
        ttl: int | None = None,
    ) -> Channel:
        """Enable (or renew) the module's watch channel; Zoho calls `address` on each change."""
        if not channel_id or not token:
            raise InvalidRequest("a Zoho channel needs a numeric channel_id and a token")
        module = _module(stream)
        expiry = self.clock().replace(microsecond=0) + timedelta(seconds=ttl or const.CHANNEL_TTL)
        answer = self.api.enable_watch(channel_id, [f"{module}.all"], address, token, expiry)
        events = (answer.get("details") or {}).get("events") or [{}]
        expires = _time(events[0].get("channel_expiry")) or expiry
        return Channel(
            id=channel_id,
            resource_id=str(events[0].get("resource_id") or module),
            token=token,
            expires_at=expires,
            stream=stream,
            resource_uri=events[0].get("resource_uri"),
        )

    @staticmethod
    def new_channel_id() -> str:
        """A fresh channel id: Zoho wants a number (a long)."""
        return str(10**17 + secrets.randbelow(9 * 10**17))

    def unsubscribe(self, channel: Channel) -> None:
        """Disable the channel."""
        self.api.disable_watch([channel.id])

    def verify_notification(
        self, headers: Mapping[str, str], body: bytes, expected: Channel
    ) -> bool:
        """True if the callback names `expected`'s channel and carries its token."""
        try:
            data = json.loads(body)
        except ValueError:
            return False
        if not isinstance(data, dict) or str(data.get("channel_id")) != expected.id:
            return False
        return hmac.compare_digest(str(data.get("token") or ""), expected.token)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """What changed: the module's records (the caller pulls that module)."""
        try:
            data = json.loads(body)
        except ValueError as err:
            raise InvalidRequest("notification body is not JSON") from err
        if not isinstance(data, dict) or "channel_id" not in data:
            raise NotSupported("not a Zoho notification")
        return Notification(
            channel_id=str(data["channel_id"]),
            resource_id=str(data.get("module") or ""),
            state=str(data.get("operation") or "exists"),
            message_number=None,
            changed=True,
        )


def stream_of_module(module: str) -> str:
    """The stream reading a Zoho module (`Contacts` → `contacts`)."""
    for stream, name in const.MODULES.items():
        if name == module:
            return stream
    raise InvalidRequest(f"no stream reads the Zoho module {module!r}")


def _already_seen(
    moment: datetime | None, record_id: str, since: datetime | None, seen: set[str]
) -> bool:
    """True for a record at or before the high-water mark that the last pass already read."""
    if since is None or moment is None:
        return False
    return moment < since or (moment == since and record_id in seen)


def _digest(row: Mapping[str, Any]) -> str:
    """A short hash of a record as read: Zoho's times have one-second resolution, so two
    versions within one second differ only in content."""
    raw = json.dumps(row, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _keys(seen: Mapping[str, str]) -> set[str]:
    return {f"{record_id}:{digest}" for record_id, digest in seen.items()}


def _module(stream: str) -> str:
    try:
        return const.MODULES[stream]
    except KeyError:
        raise InvalidRequest(f"unknown Zoho stream {stream!r}") from None


def _record(row: Mapping[str, Any]) -> RemoteRecord:
    modified = row.get("Modified_Time")
    return RemoteRecord(str(row["id"]), modified, dict(row), _time(modified))


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
