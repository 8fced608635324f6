"""Recording events in the outbox, inside the transaction of the change they describe."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import NotFound
from hub.events import payload
from hub.events.outbox import record
from hub.models import Event
from hub.services.tenancy import paginate, scoped
from hub.timeutil import parse_datetime, utcnow

__all__ = ["CATALOGUE", "INTERNAL", "SUBSCRIBABLE", "TEST_EVENT", "get", "list_", "record"]

if TYPE_CHECKING:
    from hub.auth.guard import Principal
    from hub.schemas.events import EventQuery

CATALOGUE = (
    "appointment.created",
    "appointment.updated",
    "appointment.confirmed",
    "appointment.cancelled",
    "appointment.completed",
    "appointment.reminder",
    "customer.created",
    "customer.updated",
)

# Operational events of the hub itself: never part of the spec's catalogue, delivered only to
# endpoints that subscribe to them by name (and `webhook.disabled` to the account's other
# endpoints, see hub/events/fanout.py).
INTERNAL = (
    "webhook.disabled",
    "integration.error",
    "integration.conflict",
)

# What an endpoint may subscribe to.
SUBSCRIBABLE = CATALOGUE + INTERNAL

# The ping of POST /v2/webhooks/:id/test: sent to that one endpoint, never fanned out.
TEST_EVENT = "webhook.test"


RETENTION = timedelta(days=30)


def _bound(session: Session, p: Principal, text: str, end: bool) -> datetime:
    """A filter bound: a date is a whole local day of the account (date_to includes it)."""
    if len(text.strip()) == 10:
        from hub.services.teams import account_zone, local_day_bounds, parse_day

        tz = account_zone(session, p)
        start, stop = local_day_bounds(parse_day(text.strip(), tz), tz)
        return stop if end else start
    return parse_datetime(text)


def list_(session: Session, p: Principal, q: EventQuery) -> dict[str, Any]:
    """A page of the caller's events of the last 30 days, newest first."""
    stmt = scoped(select(Event), Event, p).where(Event.created_at >= utcnow() - RETENTION)
    types = q.types()
    if types:
        stmt = stmt.where(Event.type.in_(types))
    if q.date_from:
        stmt = stmt.where(Event.created_at >= _bound(session, p, q.date_from, False))
    if q.date_to:
        stmt = stmt.where(Event.created_at < _bound(session, p, q.date_to, True))
    stmt = stmt.order_by(Event.seq.desc())
    items, meta = paginate(session, stmt, q.page, q.per_page)
    return {"data": [payload.envelope(e) for e in items], "meta": meta}


def get(session: Session, p: Principal, event_id: str) -> dict[str, Any]:
    """One event, as webhooks deliver it; 404 once it is past the 30 days kept."""
    event = session.scalars(
        scoped(select(Event), Event, p).where(
            Event.id == event_id, Event.created_at >= utcnow() - RETENTION
        )
    ).first()
    if event is None:
        raise NotFound("event", event_id)
    return payload.envelope(event)
