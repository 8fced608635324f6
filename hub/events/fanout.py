"""Fan-out of committed events: webhook deliveries, then every registered consumer.

This is the extension point of the outbox. The worker's dispatch job claims undispatched
events (``dispatched_at IS NULL``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and, in one
transaction per batch, creates one webhook delivery per matching active endpoint, calls each
registered consumer once per event, and marks the events dispatched. A crash anywhere rolls the
whole batch back, so every consumer sees every event, and only once per committed fan-out.

A consumer is ``callable(session, event)``. It runs inside the fan-out transaction and must
only write rows (its own outbox: a push to Google Calendar is a row the sync job sends later),
never talk to the network, and never commit. Register it at import time of its package::

    from hub.events.fanout import register_consumer

    def push_to_calendars(session, event):
        ...

    register_consumer("calendar-sync", push_to_calendars, types={"appointment.created", ...})

A consumer that would run a query per event should take batches instead
(``register_consumer(..., batch=True)``: ``callable(session, events)``, once per fan-out
batch of up to 500 events): the fan-out is on the path of every webhook, and a query per event
halves the worker's throughput (bench/webhooks.py).

The fan-out loads the modules listed in ``CONSUMER_MODULES`` itself (:func:`load_consumers`,
on first use), and calls each one's ``register()``: that is the one way a consumer is plugged
in, so no import elsewhere can be forgotten. Add yours to that tuple.

A consumer gets the batch's events in one savepoint. If it raises, that savepoint is rolled
back and the consumer is called again event by event, each in its own savepoint, so only the
event it fails on is skipped (and logged); the other consumers and the webhooks are
unaffected, and one broken consumer cannot stall the outbox. (So a consumer may see an event a
second time after it raised itself: only its committed writes count.) Register with ``types``
so it is only called for the events it cares about.
"""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from hub.events import payload
from hub.ids import new_id
from hub.models import Event, WebhookDelivery, WebhookEndpoint
from hub.services.events import TEST_EVENT

log = logging.getLogger(__name__)

Consumer = Callable[[Session, Event], None]
BatchConsumer = Callable[[Session, list[Event]], None]

# Delivered to every other active endpoint of the account, subscribed or not: it is how an
# integrator learns that one of their endpoints stopped receiving.
BROADCAST_TYPES = frozenset({"webhook.disabled"})


@dataclass(frozen=True)
class Registration:
    """A registered consumer and the event types it wants (None: all)."""

    name: str
    consumer: Consumer | BatchConsumer
    types: frozenset[str] | None
    batch: bool = False

    def call(self, session: Session, events: list[Event]) -> None:
        """Hand `events` to the consumer (all at once if it takes batches)."""
        if self.batch:
            cast(BatchConsumer, self.consumer)(session, events)
            return
        for event in events:
            cast(Consumer, self.consumer)(session, event)


_CONSUMERS: dict[str, Registration] = {}
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_EVENTS = cast(Table, Event.__table__)

# Modules whose import registers a consumer (see the module docstring).
CONSUMER_MODULES: tuple[str, ...] = (
    "hub.services.notifications",
    "hub.integrations.outbox",
    "hub.services.payments",
)


_MODULES_LOADED = False


def load_consumers() -> None:
    """Import every module of CONSUMER_MODULES and call its `register()` (idempotent)."""
    global _MODULES_LOADED
    _MODULES_LOADED = True
    for name in CONSUMER_MODULES:
        register = getattr(importlib.import_module(name), "register", None)
        if callable(register):
            register()


def register_consumer(
    name: str,
    consumer: Consumer | BatchConsumer,
    *,
    types: Iterable[str] | None = None,
    batch: bool = False,
) -> None:
    """Register (or replace) the consumer `name`, called for every event of `types`.

    With `batch=True` it is called once per fan-out batch with the list of its events
    (`callable(session, events)`): one query for a hundred events instead of a hundred.
    """
    _CONSUMERS[name] = Registration(name, consumer, frozenset(types) if types else None, batch)


def unregister_consumer(name: str) -> None:
    """Remove a consumer (tests, or a feature switched off)."""
    _CONSUMERS.pop(name, None)


def consumers() -> list[Registration]:
    """The registered consumers, in registration order."""
    return list(_CONSUMERS.values())


def subscribes(endpoint: WebhookEndpoint, event: Event) -> bool:
    """Whether `endpoint` receives `event`: only events recorded since the endpoint exists (one
    created while older events still wait to be dispatched is not handed that backlog)."""
    if event.created_at < endpoint.created_at:
        return False
    if endpoint.platform is not None:  # a REST hook: its one event, never the broadcasts
        return event.type in (endpoint.events or ())
    if event.type in BROADCAST_TYPES and (event.data or {}).get("id") != endpoint.id:
        return True
    return event.type in (endpoint.events or ())


def claim_events(session: Session, limit: int) -> list[Event]:
    """Undispatched events, oldest first, locked for this transaction (others skip them)."""
    stmt = (
        select(Event)
        .where(Event.dispatched_at.is_(None))
        .order_by(Event.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def _endpoints_by_tenant(
    session: Session, events: Sequence[Event]
) -> dict[tuple[str, str], list[WebhookEndpoint]]:
    """Active endpoints of the accounts in `events`, by (account, environment)."""
    accounts = {e.account_id for e in events}
    grouped: dict[tuple[str, str], list[WebhookEndpoint]] = defaultdict(list)
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.account_id.in_(accounts), WebhookEndpoint.active.is_(True)
    )
    for endpoint in session.scalars(stmt):
        grouped[(endpoint.account_id, endpoint.environment)].append(endpoint)
    return grouped


def delivery_row(
    endpoint: WebhookEndpoint, event_id: str, event_type: str, body: bytes, now: datetime
) -> dict[str, Any]:
    """The values of a new pending delivery of an event to `endpoint`, due now."""
    return {
        "id": new_id("whd"),
        "account_id": endpoint.account_id,
        "environment": endpoint.environment,
        "endpoint_id": endpoint.id,
        "event_id": event_id,
        "event_type": event_type,
        "body": body,
        "status": "pending",
        "attempt_count": 0,
        "run_attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _call_consumers(session: Session, events: Sequence[Event]) -> None:
    """Call each consumer for its events of the batch, in one savepoint per consumer.

    A consumer that raises has its savepoint rolled back and gets the batch again one event
    at a time, each in its own savepoint, so that only the event it fails on is skipped.
    """
    for reg in list(_CONSUMERS.values()):
        mine = [e for e in events if reg.types is None or e.type in reg.types]
        if not mine:
            continue
        try:
            with session.begin_nested():
                reg.call(session, mine)
            continue
        except Exception:
            log.warning(
                "consumer %s failed in a batch of %d events: one by one", reg.name, len(mine)
            )
        for event in mine:
            try:
                with session.begin_nested():
                    reg.call(session, [event])
            except Exception:
                log.exception("consumer %s failed on event %s (%s)", reg.name, event.id, event.type)


def fan_out(session: Session, events: Sequence[Event], now: datetime) -> int:
    """Create the deliveries of `events`, call the consumers, mark them dispatched.

    Runs in the caller's transaction, which must hold the events (see claim_events).
    Returns the number of deliveries created.
    """
    if not events:
        return 0
    if not _MODULES_LOADED:  # every fan-out sees every listed consumer, whoever calls it
        load_consumers()
    endpoints = _endpoints_by_tenant(session, events)
    rows: list[dict[str, Any]] = []
    for event in events:
        body: bytes | None = None
        if event.type != TEST_EVENT:
            for endpoint in endpoints.get((event.account_id, event.environment), ()):
                if subscribes(endpoint, event):
                    if body is None:
                        body = payload.body(event)  # once per event, for all its endpoints
                    rows.append(delivery_row(endpoint, event.id, event.type, body, now))
    _call_consumers(session, events)
    conn = session.connection()
    if rows:
        conn.execute(insert(_DELIVERIES), rows)  # Core: thousands of rows a second
    conn.execute(
        update(_EVENTS).where(_EVENTS.c.seq.in_([e.seq for e in events])).values(dispatched_at=now)
    )
    return len(rows)
