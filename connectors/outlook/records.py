"""Graph events ↔ connector records: timestamps, our extended properties, write bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import RemoteRecord

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


def to_record(event: Mapping[str, Any]) -> RemoteRecord:
    """A Graph event as a RemoteRecord; our extended properties become a plain dict."""
    data = dict(event)
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
    if not create:
        body.pop("transactionId", None)  # immutable after creation
    props = payload.get(const.VIRTUAL_PROPERTIES_FIELD) or {}
    if props:
        body["singleValueExtendedProperties"] = [
            {"id": property_id(name), "value": str(value)}
            for name, value in props.items()
            if value is not None
        ]
    return body


def with_sent(record: RemoteRecord, payload: Mapping[str, Any]) -> RemoteRecord:
    """A write's answer lacks extended properties: put back the ones we just wrote."""
    sent = payload.get(const.VIRTUAL_PROPERTIES_FIELD) or {}
    props = {**record.data.get(const.VIRTUAL_PROPERTIES_FIELD, {}), **sent}
    data = {**record.data, const.VIRTUAL_PROPERTIES_FIELD: props}
    return RemoteRecord(record.id, record.etag, data, record.updated_at)
