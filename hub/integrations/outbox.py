"""The outbox consumer: a committed change of a local object asks the worker to push it.

Registered with the outbox fan-out (hub/events/fanout.py lists this module). The event types
it listens to are the union of what the connectors' specs subscribe to (`StreamSpec.push_on`).
It runs inside the fan-out transaction and only writes rows: for every connection of the
tenant whose spec subscribes to the event type, it marks the local object's link `pending`
(one upsert per connection and stream); the sync job pushes the object's current state later,
so several changes in a row become one remote write of the latest state. A connection whose
connector syncs no such object (a payments connection and `appointment.*`) is never touched.
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

import connectors
from connectors.spec import StreamSpec, SyncSpec
from hub.events.fanout import register_consumer
from hub.ids import new_id
from hub.models import Event, IntegrationConnection, IntegrationLink
from hub.timeutil import utcnow

CONSUMER = "integrations-push"
APPOINTMENT = "appointment"


def subscribed_types(specs: Iterable[SyncSpec] | None = None) -> frozenset[str]:
    """Every event type some connector's spec asks a push for."""
    specs = connectors.all_specs().values() if specs is None else specs
    return frozenset(t for spec in specs for t in spec.push_events)


def mark_pending(
    session: Session,
    connection_id: str,
    account_id: str,
    environment: str,
    local_ids: Iterable[str],
    now: datetime | None = None,
    *,
    stream: str = "events",
    local_type: str = APPOINTMENT,
) -> None:
    """Ask for a push of these local objects (create their links if needed), in one statement."""
    now = now or utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("ilk"),
            "account_id": account_id,
            "environment": environment,
            "connection_id": connection_id,
            "stream": stream,
            "local_type": local_type,
            "local_id": local_id,
            "remote_state": "none",
            "pending": True,
            "pending_seq": 1,
            "push_attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for local_id in dict.fromkeys(local_ids)
    ]
    if not rows:
        return
    table = cast(Table, IntegrationLink.__table__)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):
        stmt = insert(table).values(rows[start : start + 500])
        stmt = stmt.on_conflict_do_update(
            index_elements=["connection_id", "local_type", "local_id"],
            set_={
                "pending": True,
                "pending_seq": table.c.pending_seq + 1,
                "updated_at": now,
            },
        )
        session.execute(stmt)


def _local_id(event: Event) -> str | None:
    return event.object_id or (event.data or {}).get("id")


def push_on_change(session: Session, events: list[Event]) -> None:
    """Batch consumer: mark the batch's objects for push in every subscribed connection.

    Per tenant: one query for its connections; per connection and stream, one upsert.
    """
    specs = connectors.all_specs()
    by_tenant: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        if _local_id(event):
            by_tenant[event.account_id, event.environment].append(event)
    c = IntegrationConnection
    for (account_id, environment), tenant_events in by_tenant.items():
        connections = session.execute(
            select(c.id, c.connector).where(
                c.account_id == account_id,
                c.environment == environment,
                c.remote_account_id.is_not(None),
            )
        ).all()
        for connection_id, name in connections:
            spec = specs.get(name)
            if spec is None:
                continue
            wanted: dict[StreamSpec, list[str]] = defaultdict(list)
            for event in tenant_events:
                for stream in spec.streams_for_event(event.type):
                    wanted[stream].append(str(_local_id(event)))
            for stream, ids in wanted.items():
                mark_pending(
                    session,
                    connection_id,
                    account_id,
                    environment,
                    ids,
                    stream=stream.name,
                    local_type=stream.local_type,
                )


def register() -> None:
    """Plug the consumer into the outbox fan-out for the types the specs subscribe to."""
    register_consumer(CONSUMER, push_on_change, types=subscribed_types(), batch=True)
