"""Recording an event in the outbox, inside the transaction of the change it describes.

The one function every writer of events calls (services, the integration engine): the row is
committed with the change or not at all, and the worker fans it out later.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.ids import new_id
from hub.models import Event
from hub.timeutil import utcnow


def record(
    session: Session,
    account_id: str,
    environment: str,
    event_type: str,
    data: dict[str, Any],
    object_id: str | None = None,
) -> Event:
    """Add an event row to the session's current transaction (committed with the change)."""
    event = Event(
        id=new_id("evt"),
        account_id=account_id,
        environment=environment,
        type=event_type,
        object_id=object_id if object_id is not None else data.get("id"),
        data=data,
        created_at=utcnow(),
    )
    session.add(event)
    return event
