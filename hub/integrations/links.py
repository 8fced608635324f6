"""Which calendar each technician's appointments go to, and the initial export of a link."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import connectors
from hub.ids import new_id
from hub.integrations.context import calendar_stream
from hub.integrations.outbox import APPOINTMENT, mark_pending
from hub.models import (
    Appointment,
    ExternalBusy,
    IntegrationConnection,
    IntegrationLink,
    IntegrationStream,
    Technician,
)

# Appointments still worth a calendar entry when a technician gets linked.
EXPORT_FROM = timedelta(days=1)


def calendar_summary(item: dict[str, Any]) -> dict[str, Any]:
    """The part of a remote calendar entry we keep (shown by the links API).

    `writable`: whether the connected account may write events there, as the connector says
    (None when it does not say); a calendar it may not write to is never linked.
    """
    writable = item.get("writable")
    return {
        "id": str(item.get("id")),
        "summary": item.get("summary"),
        "primary": bool(item.get("primary")),
        "access_role": item.get("accessRole") or item.get("access_role"),
        "owner": item.get("dataOwner") or item.get("owner"),
        "writable": None if writable is None else bool(writable),
    }


def match_calendar(
    email: str | None, calendars: list[dict[str, Any]], taken: set[str]
) -> str | None:
    """The writable calendar whose id or owner is the technician's e-mail (case-insensitive)."""
    if not email:
        return None
    wanted = email.strip().lower()
    for cal in calendars:
        if cal.get("writable") is False:
            continue
        cal_id = str(cal.get("id") or "")
        owner = str(cal.get("owner") or "").lower()
        if cal_id not in taken and wanted in (cal_id.lower(), owner):
            return cal_id
    return None


def export_appointments(
    session: Session, conn: IntegrationConnection, technician_id: str, now: datetime
) -> None:
    """Queue a push of a technician's current and future appointments (a new link)."""
    ids = session.scalars(
        select(Appointment.id).where(
            Appointment.account_id == conn.account_id,
            Appointment.environment == conn.environment,
            Appointment.technician_id == technician_id,
            Appointment.ends_at >= now - EXPORT_FROM,
        )
    ).all()
    mark_pending(
        session, conn.id, conn.account_id, conn.environment, ids, now, stream=_stream(conn)
    )


def _stream(conn: IntegrationConnection) -> str:
    """The name of the connection's per-technician stream."""
    return calendar_stream(connectors.spec_of(conn.connector)).name


def link(
    session: Session,
    conn: IntegrationConnection,
    technician_id: str,
    calendar_id: str,
    linked_by: str,
    now: datetime,
) -> IntegrationStream:
    """Link (or relink) a technician to a calendar; the old calendar's data is dropped."""
    row = session.scalars(
        select(IntegrationStream).where(
            IntegrationStream.connection_id == conn.id,
            IntegrationStream.technician_id == technician_id,
        )
    ).first()
    if row is not None and row.remote_id == calendar_id:
        row.linked_by = linked_by
        return row
    if row is not None:
        unlink(session, conn, row)
        session.flush()
    row = IntegrationStream(
        id=new_id("ical"),
        account_id=conn.account_id,
        environment=conn.environment,
        connection_id=conn.id,
        stream=_stream(conn),
        technician_id=technician_id,
        remote_id=calendar_id,
        linked_by=linked_by,
    )
    session.add(row)
    session.flush()
    export_appointments(session, conn, technician_id, now)
    conn.next_sync_at = now
    return row


def unlink(session: Session, conn: IntegrationConnection, row: IntegrationStream) -> None:
    """Stop syncing a calendar: busy periods dropped, channel and events removed later."""
    # The channels job stops the channel; the next push deletes the technician's events.
    drop_busy(session, conn, [row.technician_id] if row.technician_id else [])
    if row.channel_id and row.channel_resource_id:
        conn.stale_channels = [
            *(conn.stale_channels or []),
            {
                "id": row.channel_id,
                "resource_id": row.channel_resource_id,
                "calendar_id": row.remote_id,
            },
        ]
    live = session.scalars(
        select(IntegrationLink.local_id).where(
            IntegrationLink.connection_id == conn.id,
            IntegrationLink.local_type == APPOINTMENT,
            IntegrationLink.remote_parent == row.remote_id,
            IntegrationLink.remote_state == "live",
        )
    ).all()
    session.delete(row)
    session.flush()
    mark_pending(session, conn.id, conn.account_id, conn.environment, live, stream=row.stream)


def drop_busy(session: Session, conn: IntegrationConnection, technician_ids: list[str]) -> None:
    """Delete the busy periods this connection's source gave these technicians."""
    if technician_ids:
        session.execute(
            delete(ExternalBusy)
            .where(
                ExternalBusy.account_id == conn.account_id,
                ExternalBusy.environment == conn.environment,
                ExternalBusy.source == conn.connector,
                ExternalBusy.technician_id.in_(technician_ids),
            )
            .execution_options(synchronize_session=False)
        )


def ensure_connection_streams(session: Session, conn: IntegrationConnection) -> list[str]:
    """Create the stream rows kept once per connection (not per technician); their names."""
    spec = connectors.spec_of(conn.connector)
    wanted = [s.name for s in spec.streams if not s.per_technician]
    have = set(
        session.scalars(
            select(IntegrationStream.stream).where(
                IntegrationStream.connection_id == conn.id,
                IntegrationStream.technician_id.is_(None),
            )
        )
    )
    for name in wanted:
        if name not in have:
            session.add(
                IntegrationStream(
                    id=new_id("ical"),
                    account_id=conn.account_id,
                    environment=conn.environment,
                    connection_id=conn.id,
                    stream=name,
                    technician_id=None,
                    remote_id=name,
                    linked_by="auto",
                )
            )
    session.flush()
    return wanted


def auto_link(session: Session, conn: IntegrationConnection, now: datetime) -> int:
    """Link every unlinked technician whose e-mail names one of the account's calendars."""
    linked = session.execute(
        select(IntegrationStream.technician_id, IntegrationStream.remote_id).where(
            IntegrationStream.connection_id == conn.id
        )
    ).all()
    technicians_done = {row.technician_id for row in linked} | set(conn.unlinked_technicians or [])
    taken = {row.remote_id for row in linked}
    count = 0
    for tech in session.scalars(
        select(Technician)
        .where(
            Technician.account_id == conn.account_id,
            Technician.environment == conn.environment,
            Technician.email.is_not(None),
        )
        .order_by(Technician.created_at, Technician.id)
    ):
        if tech.id in technicians_done:
            continue
        calendar_id = match_calendar(tech.email, conn.calendars or [], taken)
        if calendar_id is not None:
            link(session, conn, tech.id, calendar_id, "auto", now)
            taken.add(calendar_id)
            count += 1
    return count
