"""Graph events ↔ connector records: timestamps, our extended properties, write bodies."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

from connectors.base import InvalidRequest, RemoteRecord

from . import const
from .api import property_id, property_name

# Fields Graph computes; never sent back in a write.
_READ_ONLY = frozenset(
    {
        "id",
        "@odata.etag",
        "@odata.context",
        "changeKey",
        "createdDateTime",
        "lastModifiedDateTime",
        "iCalUId",
        "webLink",
        "onlineMeetingUrl",
        "isOrganizer",
        "organizer",
        "responseStatus",
        "seriesMasterId",
        "type",
        "bodyPreview",
        "hasAttachments",
        "originalStart",
    }
)


def parse_time(value: Any) -> datetime | None:
    """Graph's "2025-01-15T14:32:05.1234567Z" timestamps as aware datetimes."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(moment: datetime) -> str:
    """An instant in the form Graph documents for query options and subscriptions."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def windows_zone(zone: str) -> str | None:
    """The Windows name of an IANA zone (CLDR's windowsZones table), as Graph accepts it.

    Graph takes Windows names everywhere but only the few IANA names it lists (one per
    Windows zone: "Europe/Brussels" is not one), so every zone is sent by its Windows name.
    """
    if zone.upper() in ("UTC", "ETC/UTC", "Z"):
        return "UTC"
    if zone in win_tz:  # already a Windows name
        return zone
    return tz_win.get(zone)


def iana_zone(zone: str) -> str:
    """The IANA zone behind a Windows name Graph answered with (IANA names pass through)."""
    if zone == "UTC":
        return "UTC"
    return win_tz.get(zone, zone)


def _outbound_when(when: Any, *, all_day: bool) -> Any:
    """A dateTimeTimeZone with a zone Graph accepts; all-day: midnight of that local day."""
    if not isinstance(when, Mapping) or not when.get("dateTime"):
        return when
    zone = str(when.get("timeZone") or "UTC")
    wall = str(when["dateTime"])
    if all_day:
        wall = wall[:10] + "T00:00:00"
    windows = windows_zone(zone)
    if windows is not None:
        return {**when, "dateTime": wall, "timeZone": windows}
    try:  # a zone CLDR does not map: the same instant, in UTC
        local = datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidRequest(f"unknown time zone {zone!r}", reason="invalid_time_zone") from err
    instant = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return {**when, "dateTime": instant, "timeZone": "UTC"}


def _inbound_when(when: Any, *, all_day: bool) -> Any:
    """An answered dateTimeTimeZone with an IANA zone; all-day: the local date only, so it
    covers that whole day wherever the technician is (midnight to midnight)."""
    if not isinstance(when, Mapping) or not when.get("dateTime"):
        return when
    if all_day:
        return {"date": str(when["dateTime"])[:10]}
    zone = when.get("timeZone")
    return {**when, "timeZone": iana_zone(str(zone))} if zone else dict(when)


def to_record(event: Mapping[str, Any]) -> RemoteRecord:
    """A Graph event as a RemoteRecord; our extended properties become a plain dict.

    Zones come back as IANA names; an all-day event's start and end as `{"date": ...}`.
    """
    data = dict(event)
    all_day = bool(data.get("isAllDay"))
    for key in ("start", "end"):
        if key in data:
            data[key] = _inbound_when(data[key], all_day=all_day)
    props: dict[str, Any] = {}
    for prop in data.pop("singleValueExtendedProperties", None) or []:
        name = property_name(str(prop.get("id", ""))) if isinstance(prop, dict) else None
        if name is not None:
            props[name] = prop.get("value")
    data.pop("singleValueExtendedProperties@odata.context", None)
    data[const.VIRTUAL_PROPERTIES_FIELD] = props
    return RemoteRecord(
        id=str(data["id"]),
        etag=data.get("@odata.etag"),
        data=data,
        updated_at=parse_time(data.get("lastModifiedDateTime")),
    )


def write_body(payload: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
    """A Graph write body from mapped fields: our properties become extended properties."""
    body = {k: v for k, v in payload.items() if k not in _READ_ONLY}
    body.pop(const.VIRTUAL_PROPERTIES_FIELD, None)
    all_day = bool(body.get("isAllDay"))
    for key in ("start", "end"):
        if key in body:
            body[key] = _outbound_when(body[key], all_day=all_day)
    if not create:
        body.pop("transactionId", None)  # immutable after creation
    props = {
        name: value
        for name, value in (payload.get(const.VIRTUAL_PROPERTIES_FIELD) or {}).items()
        if name != const.BODY_DIGEST_PROPERTY
    }
    if props:
        body["singleValueExtendedProperties"] = [
            {"id": property_id(name), "value": str(value)}
            for name, value in props.items()
            if value is not None
        ]
    digest = body_digest(body)
    body.setdefault("singleValueExtendedProperties", []).append(
        {"id": property_id(const.BODY_DIGEST_PROPERTY), "value": digest}
    )
    return body


def body_digest(body: Mapping[str, Any]) -> str:
    """32 hex characters identifying a write body (without its own digest, nor transactionId:
    the same content written by a create or a later PATCH has the same digest)."""
    data = {k: v for k, v in body.items() if k != "transactionId"}
    props = [
        p
        for p in data.get("singleValueExtendedProperties") or []
        if property_name(str(p.get("id", ""))) != const.BODY_DIGEST_PROPERTY
    ]
    data["singleValueExtendedProperties"] = props
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def with_sent(record: RemoteRecord, payload: Mapping[str, Any]) -> RemoteRecord:
    """A write's answer lacks extended properties: put back the ones we just wrote."""
    sent = payload.get(const.VIRTUAL_PROPERTIES_FIELD) or {}
    props = {**record.data.get(const.VIRTUAL_PROPERTIES_FIELD, {}), **sent}
    data = {**record.data, const.VIRTUAL_PROPERTIES_FIELD: props}
    return RemoteRecord(record.id, record.etag, data, record.updated_at)
