"""The webhook payload `{id, event, timestamp, data}` and its exact bytes.

The bytes are a pure function of the stored event, so every attempt of a delivery, a manual
retry, a recovery and a duplicate after a crash all carry identical bytes and signatures
over them. UTF-8, no ASCII escaping, no spaces: what the spec's Node.js verifier reads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from hub.timeutil import iso_ms


class EventLike(Protocol):
    """What the payload needs of an event (a model row or a row of a Core query)."""

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


def envelope(event: EventLike) -> dict[str, Any]:
    """The payload as a dict, the spec's shape: id, event, timestamp, data."""
    return make(event.id, event.type, event.created_at, event.data)


def make(event_id: str, event_type: str, created_at: datetime, data: Any) -> dict[str, Any]:
    """The payload of an event given by its fields."""
    return {"id": event_id, "event": event_type, "timestamp": iso_ms(created_at), "data": data}


def body(event: EventLike) -> bytes:
    """The raw JSON body sent (and signed) for an event."""
    return encode(envelope(event))


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, key order kept."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
