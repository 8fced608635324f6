"""Clean-up: events, delivery logs, sent notifications after 30 days; credentials' leftovers.

Idempotency keys go once their lifetime (`IVALID_IDEMPOTENCY_TTL`) is over, OAuth token rows
once both their access and refresh tokens have expired, and the encrypted answer a rotated
refresh token keeps for racing callers once its grace is over. Authorization codes are kept a
day past their expiry (a code replayed within it still revokes the grant it issued; later, its
tokens are short of their refresh lifetime anyway but the code is simply unknown).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from hub.config import Settings
from hub.db import Database, transaction
from hub.models import (
    Event,
    IdempotencyRecord,
    Notification,
    OAuthCode,
    OAuthToken,
    WebhookAttempt,
    WebhookDelivery,
)

KEEP = timedelta(days=30)
CODE_KEEP = timedelta(days=1)
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


def purge_credentials(db: Database, settings: Settings, now: datetime) -> dict[str, int]:
    """Delete expired idempotency keys, OAuth tokens and authorization codes; drop successors
    past their grace."""
    idempotency_cutoff = now - timedelta(seconds=settings.idempotency_ttl)
    removed = {
        "idempotency_keys": _purge(
            db,
            IdempotencyRecord,
            IdempotencyRecord.id,
            IdempotencyRecord.created_at < idempotency_cutoff,
        ),
        "oauth_tokens": _purge(
            db,
            OAuthToken,
            OAuthToken.id,
            (OAuthToken.access_expires_at < now)
            & or_(OAuthToken.refresh_expires_at.is_(None), OAuthToken.refresh_expires_at < now),
        ),
        "oauth_codes": _purge(
            db, OAuthCode, OAuthCode.code_hash, OAuthCode.expires_at < now - CODE_KEEP
        ),
    }
    grace_cutoff = now - timedelta(seconds=settings.refresh_grace_seconds)
    with db.session() as session, transaction(session):
        removed["refresh_successors"] = session.execute(
            update(OAuthToken)
            .where(OAuthToken.successor.is_not(None), OAuthToken.rotated_at < grace_cutoff)
            .values(successor=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    return removed
