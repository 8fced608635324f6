"""A connection's sync lease, schedule and status: each change one short transaction.

The lease (`lease_owner`, `lease_until`) is taken with a conditional UPDATE, atomic on SQLite
(one writer) and PostgreSQL (the second UPDATE re-checks the row after the first commits), so
a connection is never synced by two workers at once; a worker that dies lets it expire.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from connectors.base import ConnectorError, retry_delay
from hub.db import transaction
from hub.events import outbox as events
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection, IntegrationLink, IntegrationStream
from hub.timeutil import iso

log = logging.getLogger(__name__)

BACKOFF_BASE = 5.0  # seconds before the first retry (then x2 each time, full jitter)
BACKOFF_CAP = 3600.0
_RNG = random.Random()


class LeaseLost(Exception):
    """This worker no longer holds the connection (it expired, or it was disconnected)."""


def _free(now: datetime) -> Any:
    """Nobody holds the lease (not even another thread of this worker: leases do not nest)."""
    c = IntegrationConnection
    return or_(c.lease_until.is_(None), c.lease_until < now)


def claim(rt: SyncRuntime, connection_id: str) -> bool:
    """Take the sync lease of one connection if nobody holds it."""
    now = rt.clock.now()
    c = IntegrationConnection
    with rt.db.session() as session, transaction(session):
        result = session.execute(
            update(c)
            .where(c.id == connection_id, _free(now))
            .values(lease_owner=rt.worker_id, lease_until=now + rt.lease)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_due(rt: SyncRuntime, limit: int) -> list[str]:
    """Lease up to `limit` connected connections with a pull due (theirs or one stream's) or
    objects to push."""
    now = rt.clock.now()
    c, link = IntegrationConnection, IntegrationLink
    pending = exists().where(link.connection_id == c.id, link.pending.is_(True))
    stream_due = exists().where(
        IntegrationStream.connection_id == c.id, IntegrationStream.pull_due_at <= now
    )
    with rt.db.session() as session, transaction(session):
        candidates = list(
            session.scalars(
                select(c.id)
                .where(
                    c.status == "connected",
                    or_(c.lease_until.is_(None), c.lease_until < now),
                    or_(c.backoff_until.is_(None), c.backoff_until <= now),
                    or_(c.next_sync_at <= now, pending, stream_due),
                )
                .order_by(c.next_sync_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        claimed = []
        for cid in candidates:
            result = session.execute(
                update(c)
                .where(c.id == cid, _free(now))
                .values(lease_owner=rt.worker_id, lease_until=now + rt.lease)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                claimed.append(cid)
        return claimed


def renew(rt: SyncRuntime, session: Session, connection_id: str) -> None:
    """Extend our lease inside the caller's transaction; LeaseLost if it is no longer ours."""
    now = rt.clock.now()
    c = IntegrationConnection
    result = session.execute(
        update(c)
        .where(c.id == connection_id, c.lease_owner == rt.worker_id, c.status == "connected")
        .values(lease_until=now + rt.lease)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LeaseLost(connection_id)


def release(rt: SyncRuntime, connection_id: str) -> None:
    """Give the lease back (only if still ours)."""
    c = IntegrationConnection
    with rt.db.session() as session, transaction(session):
        session.execute(
            update(c)
            .where(c.id == connection_id, c.lease_owner == rt.worker_id)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def succeeded(
    rt: SyncRuntime, connection_id: str, pulled: bool, stats: dict[str, Any], interval: int
) -> None:
    """Record a good run; after a pull, the next one is due in `interval` seconds."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        if conn is None:
            return
        conn.failure_count = 0
        conn.backoff_until = None
        conn.last_sync_status = "ok"
        conn.last_stats = stats
        if pulled:
            conn.last_sync_at = now
            conn.next_sync_at = now + timedelta(seconds=interval)


def backoff(rt: SyncRuntime, connection_id: str, err: Exception) -> datetime:
    """After a transient failure: retry at now + exponential back-off with jitter."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        if conn is None:
            return now
        attempt = conn.failure_count
        delay = (
            retry_delay(err, attempt, BACKOFF_BASE, BACKOFF_CAP, _RNG)
            if isinstance(err, ConnectorError)
            else min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        )
        conn.failure_count = attempt + 1
        conn.backoff_until = now + timedelta(seconds=max(delay, 1.0))
        # The pull stays due: it runs as soon as the back-off ends.
        if conn.next_sync_at is None or conn.next_sync_at > conn.backoff_until:
            conn.next_sync_at = conn.backoff_until
        _set_error(conn, err, now, "retrying")
        log.info("connection %s: %s; retry after %.1fs", connection_id, err, delay)
        return conn.backoff_until


def _set_error(conn: IntegrationConnection, err: Exception, now: datetime, status: str) -> None:
    conn.last_sync_status = status
    conn.last_error = str(err)[:2000]
    conn.last_error_code = _code(err)
    conn.last_error_at = now


def _code(err: Exception) -> str:
    if isinstance(err, ConnectorError) and err.reason:
        return str(err.reason)[:64]
    return type(err).__name__[:64]


def error_event(
    session: Session, conn: IntegrationConnection, err: Exception, **extra: Any
) -> None:
    """Record `integration.error` (delivered to webhooks subscribed to it)."""
    data = {
        "id": conn.id,
        "integration": conn.connector,
        "status": conn.status,
        "error": {"code": _code(err), "message": str(err)[:500]},
        **extra,
    }
    events.record(session, conn.account_id, conn.environment, "integration.error", data, conn.id)


def reauth_required(rt: SyncRuntime, connection_id: str, err: Exception) -> None:
    """The provider refused our grant: stop syncing until someone reconnects; tell them once."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        if conn is None:
            return
        _set_error(conn, err, now, "error")
        if conn.status != "connected":
            return
        conn.status = "reauth_required"
        conn.next_sync_at = None
        conn.lease_owner = conn.lease_until = None
        error_event(session, conn, err, occurred_at=iso(now))
        log.warning("connection %s: %s; reconnect required", connection_id, err)


def failed(rt: SyncRuntime, connection_id: str, err: Exception) -> None:
    """Record an error that retrying will not fix (the next scheduled run tries again)."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        if conn is not None:
            _set_error(conn, err, now, "error")
