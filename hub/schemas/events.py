"""Events: the webhook payload shape {id, event, timestamp, data} and the list filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from hub.schemas.common import DateBound, Meta, Out, PageQuery


class EventQuery(PageQuery):
    """Filters of GET /v2/events: type (comma-separated or repeated), a date range."""

    type: str | list[str] | None = None
    date_from: DateBound | None = None
    date_to: DateBound | None = None

    def types(self) -> list[str]:
        """The requested types, split and de-duplicated."""
        raw = self.type if isinstance(self.type, list) else [self.type] if self.type else []
        return list(dict.fromkeys(t.strip() for v in raw for t in v.split(",") if t.strip()))


class EventOut(Out):
    """An event exactly as webhooks deliver it."""

    id: str = Field(examples=["evt_1234567890"])
    event: str = Field(examples=["appointment.created"])
    timestamp: datetime
    data: dict[str, Any]


class EventList(Out):
    """A page of events, newest first (kept 30 days)."""

    data: list[EventOut]
    meta: Meta
