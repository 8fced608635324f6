"""The plain records a connector returns: identities, remote records, pages, channels."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Cursor = dict[str, Any]
"""A connector's resumable position in a stream: JSON-serialisable and opaque to the caller."""

NOTIFICATION_STATES = ("sync", "exists", "not_exists")


@dataclass(frozen=True)
class Identity:
    """Who a connection is connected as (shown in the dashboard, checked on reconnect)."""

    id: str
    email: str | None = None
    display_name: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRecord:
    """One remote object as the remote returned it, with its id and version (etag)."""

    id: str
    etag: str | None
    data: dict[str, Any]
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page of changes: the caller applies it, then saves `next_cursor` before the next one."""

    records: list[RemoteRecord]
    deleted: list[str]
    next_cursor: Cursor
    done: bool


@dataclass(frozen=True)
class Channel:
    """A push-notification subscription: what to verify incoming calls against, and to stop."""

    id: str
    resource_id: str
    token: str
    expires_at: datetime | None
    stream: str = ""
    resource_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for storage."""
        data = dataclasses.asdict(self)
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Channel:
        """Rebuild a channel saved with `to_dict`."""
        expires = data.get("expires_at")
        return cls(
            id=data["id"],
            resource_id=data["resource_id"],
            token=data["token"],
            expires_at=datetime.fromisoformat(expires) if expires else None,
            stream=data.get("stream", ""),
            resource_uri=data.get("resource_uri"),
        )


@dataclass(frozen=True)
class Notification:
    """A parsed push notification; `changed` is False for the handshake sent on subscribe."""

    channel_id: str
    resource_id: str | None
    state: str
    message_number: int | None
    changed: bool
    expires_at: datetime | None = None
