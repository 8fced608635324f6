"""Clean-up of what the hub keeps for 30 days: events, delivery logs, sent notifications."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from hub.db import Database, transaction
from hub.models import Event, Notification, WebhookAttempt, WebhookDelivery

KEEP = timedelta(days=30)
BATCH = 1000  # rows per transaction: never hold the (SQLite) write lock for long


def _purge(db: Database, model: type, key: object, condition: object) -> int:
    """Delete rows matching `condition` in batches of BATCH; returns how many."""
    total = 0
    while True:
        session = db.session()
        try:
            with transaction(session):
                ids = list(session.scalars(select(key).where(condition).limit(BATCH)))  # type: ignore[call-overload]
                if ids:
                    session.execute(
                        delete(model)
                        .where(key.in_(ids))  # type: ignore[attr-defined]
                        .execution_options(synchronize_session=False)
                    )
        finally:
            session.close()
        total += len(ids)
        if len(ids) < BATCH:
            return total


def purge(db: Database, now: datetime) -> dict[str, int]:
    """Delete events, attempts, deliveries and notifications older than 30 days."""
    cutoff = now - KEEP
    return {
        "webhook_attempts": _purge(
            db, WebhookAttempt, WebhookAttempt.id, WebhookAttempt.attempted_at < cutoff
        ),
        "webhook_deliveries": _purge(
            db,
            WebhookDelivery,
            WebhookDelivery.id,
            (WebhookDelivery.created_at < cutoff) & (WebhookDelivery.status != "pending"),
        ),
        # An event not dispatched yet is kept whatever its age: nothing is lost to clean-up.
        "events": _purge(
            db, Event, Event.seq, (Event.created_at < cutoff) & Event.dispatched_at.is_not(None)
        ),
        "notifications": _purge(
            db,
            Notification,
            Notification.id,
            (Notification.created_at < cutoff) & (Notification.status != "pending"),
        ),
    }
