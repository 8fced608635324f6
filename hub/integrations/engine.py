"""One sync run of one connection, and the worker's "run what is due" loop.

A run holds the connection's lease: it links new technicians, pushes pending appointments,
then, if a pull is due (schedule or "sync now"), pulls every linked calendar and every record
stream and pushes again (remote changes the rules refused are put back at once). A stream due
on its own (a push notification names it: `IntegrationStream.pull_due_at`) is pulled alone: a
notification for one technician's calendar or one CRM module does not read the others. Errors
decide what happens next: AuthError → `reauth_required`; TransientError (429, 403 rate
limits, 5xx, network) → exponential back-off with jitter (`backoff_until`), never a sleep;
anything else is recorded and retried at the next interval.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select

import connectors
from connectors.base import AuthError, ConnectorError, InvalidRequest, NotFound, TransientError
from hub.db import transaction
from hub.integrations import context, links, pull, push, records, state, streams
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection, IntegrationStream

log = logging.getLogger(__name__)


def interval_of(conn: IntegrationConnection) -> int:
    """Seconds between scheduled pulls: the connection's setting, else the manifest's."""
    configured = (conn.config or {}).get("sync_interval")
    if configured:
        return int(configured)
    return int(connectors.get(conn.connector).manifest.default_sync_interval)


def run_due(rt: SyncRuntime, limit: int = 20, stop: threading.Event | None = None) -> int:
    """Run every connection that is due (up to `limit`); returns how many ran."""
    ran = 0
    for connection_id in state.claim_due(rt, limit):
        if stop is not None and stop.is_set():
            state.release(rt, connection_id)
            continue
        run(rt, connection_id)
        ran += 1
    return ran


def sync_now(rt: SyncRuntime, connection_id: str, pull_all: bool = True) -> dict[str, Any] | None:
    """Take the lease and run at once (tests, benchmarks); None if another worker holds it."""
    if not state.claim(rt, connection_id):
        return None
    return run(rt, connection_id, force_pull=pull_all)


def _refresh_calendars(cc: context.ConnectionContext) -> None:
    """Re-read the account's calendar list (asked for by "sync now")."""
    lister = getattr(cc.connector, "list_calendars", None)
    if lister is None:
        return
    calendars = [links.calendar_summary(item) for item in lister()]
    with cc.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, cc.connection_id)
        if conn is not None:
            conn.calendars = calendars
            conn.refresh_calendars = False


def _refresh_fields(cc: context.ConnectionContext) -> None:
    """Re-read the record streams' field metadata (a custom field added since connecting)."""
    found = streams.discover_fields(cc.connector)
    with cc.session() as session, transaction(session):
        streams.save_fields(session, cc.connection_id, found)
        conn = session.get(IntegrationConnection, cc.connection_id)
        if conn is not None:
            conn.refresh_calendars = False


def _prepare(
    rt: SyncRuntime, connection_id: str
) -> tuple[IntegrationConnection, bool, set[str]] | None:
    """Link new technicians; returns the connection, whether its pull is due, and the ids of
    the stream rows due on their own (a notification for them)."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        if conn is None or conn.status != "connected" or conn.lease_owner != rt.worker_id:
            return None
        links.auto_link(session, conn, now)
        due = conn.next_sync_at is not None and conn.next_sync_at <= now
        rows = session.execute(
            select(
                IntegrationStream.id, IntegrationStream.stream, IntegrationStream.technician_id
            ).where(
                IntegrationStream.connection_id == connection_id,
                IntegrationStream.pull_due_at <= now,
            )
        ).all()
        # Calendars by row id, record streams (one row per connection) by stream name.
        streams = {r.id for r in rows} | {r.stream for r in rows if r.technician_id is None}
        session.expunge(conn)
        return conn, due, streams


def run(rt: SyncRuntime, connection_id: str, force_pull: bool = False) -> dict[str, Any]:
    """One run under the lease the caller claimed; the lease is released at the end."""
    # Except when the process is torn down (a BaseException): then the lease expires.
    prepared = _prepare(rt, connection_id)
    if prepared is None:
        state.release(rt, connection_id)
        return {}
    conn, due, due_streams = prepared
    pulled = force_pull or due  # every stream (the schedule: polling stays the fallback)
    errors: list[ConnectorError] = []
    with rt.db.session() as session:
        cc = context.build(rt, session, conn)
    calendar = cc.spec.per_technician_stream() is not None
    try:
        for stream in records.record_streams(cc):
            records.push_stream(cc, stream)
        due_records = [s for s in records.record_streams(cc) if pulled or s.name in due_streams]
        if due_records:
            config = dict(conn.config or {})
            for stream in due_records:
                if stream.pulls and records.stream_enabled(cc, stream, config):
                    records.pull_stream(cc, stream)
                else:
                    records.pull_done(cc, stream.name)
            for stream in records.record_streams(cc):
                records.push_stream(cc, stream)
        if calendar and conn.refresh_calendars:
            _refresh_calendars(cc)
        elif conn.refresh_calendars:  # "sync now" also reads the streams' fields again
            _refresh_fields(cc)
        if calendar:
            push.push_pending(cc)
        chosen = [c for c in cc.calendars if pulled or c.id in due_streams] if calendar else []
        for cal in chosen:
            started = rt.clock.now()
            try:
                pull.pull_calendar(cc, cal)
            except (NotFound, InvalidRequest) as err:  # this calendar only (gone, refused)
                log.warning("connection %s calendar %s: %s", connection_id, cal.calendar_id, err)
                errors.append(err)
            pull.pull_done(cc, cal.id, started)
        if chosen:
            push.push_pending(cc)
    except AuthError as err:
        state.reauth_required(rt, connection_id, err)
    except TransientError as err:
        state.backoff(rt, connection_id, err)
    except state.LeaseLost:
        log.info("connection %s: lease lost, run abandoned", connection_id)
        return dict(cc.stats)
    except Exception as err:  # a bug or an unexpected answer: record it, retry later
        log.exception("connection %s: sync failed", connection_id)
        state.backoff(rt, connection_id, err)
    else:
        state.succeeded(rt, connection_id, pulled, dict(cc.stats), interval_of(conn))
        if errors:
            state.failed(rt, connection_id, errors[0])
    finally:
        state.remote_usage(rt, connection_id, cc.connector)
        cc.close()
    state.release(rt, connection_id)
    return dict(cc.stats)


def request_stream_pull(rt: SyncRuntime, stream_id: str) -> None:
    """Make a pull of one stream due now (a push notification for it): the next run pulls
    that stream only, unless the connection's scheduled pull is due too."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        row = session.get(IntegrationStream, stream_id)
        if row is None:
            return
        if row.pull_due_at is None or row.pull_due_at > now:
            row.pull_due_at = now


def request_sync(rt: SyncRuntime, connection_id: str, refresh_calendars: bool = False) -> None:
    """Make a pull due now (push notification, "sync now"); back-off still applies."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        if conn is None or conn.status != "connected":
            return
        if conn.next_sync_at is None or conn.next_sync_at > now:
            conn.next_sync_at = now
        if refresh_calendars:
            conn.refresh_calendars = True
