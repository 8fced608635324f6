"""Pull: read a calendar's changes page by page, saving the cursor after every page.

No cursor: a full listing (`full_sync_started_at` marks when it began; at its last page, the
busy rows and links it did not show are checked one by one: deleted, or only changed after the
listing began). A cursor: only what changed since.
A 410 (CursorExpired) clears the cursor and starts a full listing once. A crash between a page
and its cursor only means that page is applied again, which changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from connectors.base import CursorExpired, NotFound, Page
from hub.db import transaction
from hub.integrations import busy, inbound, state
from hub.integrations.context import CalendarInfo, ConnectionContext
from hub.models import IntegrationLink, IntegrationStream


def pull_calendar(cc: ConnectionContext, cal: CalendarInfo) -> None:
    """Bring one calendar's changes in (incremental, or full when there is no cursor)."""
    restarted = False
    while True:
        try:
            if cal.cursor is None and cal.full_sync_started_at is None:
                _start_full(cc, cal)
            pages = cc.connector.read(cc.stream(cal.calendar_id), cal.cursor)
            for number, page in enumerate(pages, start=1):
                cc.stats["pages"] += 1
                cc.stats["records"] += len(page.records) + len(page.deleted)
                inbound.apply_page(cc, cal, page)
                cc.rt.hooks.after_page(cal.calendar_id, number)
                if page.done and cal.full_sync_started_at is not None:
                    _unseen(cc, cal, cal.full_sync_started_at)
                _save_cursor(cc, cal, page)
                cc.rt.hooks.after_cursor(cal.calendar_id, number)
            return
        except CursorExpired:
            if restarted:
                raise
            restarted = True
            cc.stats["full_resyncs"] += 1
            _reset(cc, cal)


def pull_done(cc: ConnectionContext, stream_id: str, started: datetime) -> None:
    """A stream row was pulled: its own due time (a notification) is met, unless one came
    after the pull began (`started`), which stays due."""
    with cc.session() as session, transaction(session):
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.id == stream_id, IntegrationStream.pull_due_at <= started)
            .values(pull_due_at=None)
            .execution_options(synchronize_session=False)
        )


def _start_full(cc: ConnectionContext, cal: CalendarInfo) -> None:
    now = cc.rt.clock.now()
    with cc.session() as session, transaction(session):
        state.renew(cc.rt, session, cc.connection_id)
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.id == cal.id)
            .values(full_sync_started_at=now)
            .execution_options(synchronize_session=False)
        )
    cal.full_sync_started_at = now
    cc.stats["full_syncs"] += 1


def _reset(cc: ConnectionContext, cal: CalendarInfo) -> None:
    """Forget the cursor (the remote refused it): the next read is a full listing."""
    with cc.session() as session, transaction(session):
        state.renew(cc.rt, session, cc.connection_id)
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.id == cal.id)
            .values(cursor=None, full_sync_started_at=None)
            .execution_options(synchronize_session=False)
        )
    cal.cursor = None
    cal.full_sync_started_at = None


def _gone(cc: ConnectionContext, cal: CalendarInfo, remote_id: str) -> bool:
    """Whether the remote event is deleted (asked directly: a listing is no proof)."""
    try:
        record = cc.connector.get(cc.stream(cal.calendar_id), remote_id)
    except NotFound:
        return True
    return record.data.get("status") == "cancelled"


def _unseen(cc: ConnectionContext, cal: CalendarInfo, started: datetime) -> None:
    """After a full listing, ask for each event it did not show whether it is deleted."""
    # A listing is a snapshot: an event changed after it began comes with the next read.
    now = cc.rt.clock.now()
    with cc.session() as session:
        link_rows = session.execute(
            select(IntegrationLink.id, IntegrationLink.remote_id).where(
                IntegrationLink.connection_id == cc.connection_id,
                IntegrationLink.remote_parent == cal.calendar_id,
                IntegrationLink.remote_state == "live",
                or_(
                    IntegrationLink.last_seen_at.is_(None),
                    IntegrationLink.last_seen_at < started,
                ),
                or_(
                    IntegrationLink.last_pushed_at.is_(None),
                    IntegrationLink.last_pushed_at < started,
                ),
            )
        ).all()
        busy_rows = busy.unseen(session, cc, cal, started)
    for link_id, remote_id in link_rows:
        if _gone(cc, cal, remote_id or ""):
            cc.stats["vanished"] += 1
            inbound.apply_remote_delete(cc, link_id)
    gone = [busy_id for busy_id, remote_id in busy_rows if _gone(cc, cal, remote_id)]
    with cc.session() as session, transaction(session):
        state.renew(cc.rt, session, cc.connection_id)
        cc.stats["busy_deleted"] += busy.remove(session, gone)
        busy.touch(session, [b for b, _ in busy_rows if b not in set(gone)], now)


def _save_cursor(cc: ConnectionContext, cal: CalendarInfo, page: Page) -> None:
    """Save where the next read starts (and finish a full listing) if we still hold the lease."""
    now = cc.rt.clock.now()
    done_full = page.done and cal.full_sync_started_at is not None
    with cc.session() as session, transaction(session):
        state.renew(cc.rt, session, cc.connection_id)
        values: dict[str, object] = {"cursor": page.next_cursor, "last_pulled_at": now}
        if done_full:
            values["full_sync_started_at"] = None
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.id == cal.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    cal.cursor = page.next_cursor
    if done_full:
        cal.full_sync_started_at = None
