"""The outbox consumer: a committed appointment change asks the worker to push it.

Registered with the outbox fan-out (hub/events/fanout.py). It runs inside the fan-out
transaction and only writes rows: it marks the appointment's link of every connection of the
tenant `pending` (one upsert); the sync job pushes the appointment's current state later, so
several changes in a row become one remote write of the latest state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hub.events.fanout import register_consumer
from hub.ids import new_id
from hub.models import Event, IntegrationConnection, IntegrationLink
from hub.timeutil import utcnow

CONSUMER = "integrations-push"
APPOINTMENT_EVENTS = frozenset(
    {
        "appointment.created",
        "appointment.updated",
        "appointment.confirmed",
        "appointment.cancelled",
        "appointment.completed",
    }
)


def mark_pending(
    session: Session,
    connection_id: str,
    account_id: str,
    environment: str,
    appointment_ids: Iterable[str],
    now: datetime | None = None,
) -> None:
    """Ask for a push of these appointments (create their links if needed), in one statement."""
    now = now or utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("ilk"),
            "account_id": account_id,
            "environment": environment,
            "connection_id": connection_id,
            "appointment_id": appointment_id,
            "remote_state": "none",
            "pending": True,
            "pending_seq": 1,
            "push_attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for appointment_id in dict.fromkeys(appointment_ids)
    ]
    if not rows:
        return
    table = cast(Table, IntegrationLink.__table__)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):
        stmt = insert(table).values(rows[start : start + 500])
        stmt = stmt.on_conflict_do_update(
            index_elements=["connection_id", "appointment_id"],
            set_={
                "pending": True,
                "pending_seq": table.c.pending_seq + 1,
                "updated_at": now,
            },
        )
        session.execute(stmt)


def push_on_change(session: Session, events: list[Event]) -> None:
    """Batch consumer: mark the batch's appointments for push in every connection that ever
    connected, per tenant: one query for a tenant's connections, one upsert per connection."""
    by_tenant: dict[tuple[str, str], list[str]] = defaultdict(list)
    for event in events:
        appointment_id = event.object_id or (event.data or {}).get("id")
        if appointment_id:
            by_tenant[event.account_id, event.environment].append(appointment_id)
    c = IntegrationConnection
    for (account_id, environment), appointment_ids in by_tenant.items():
        connection_ids = session.scalars(
            select(c.id).where(
                c.account_id == account_id,
                c.environment == environment,
                c.remote_account_id.is_not(None),
            )
        ).all()
        for connection_id in connection_ids:
            mark_pending(session, connection_id, account_id, environment, appointment_ids)


def register() -> None:
    """Plug the consumer into the outbox fan-out (idempotent)."""
    register_consumer(CONSUMER, push_on_change, types=APPOINTMENT_EVENTS, batch=True)
