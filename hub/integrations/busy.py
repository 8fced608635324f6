"""Remote events that are not ours: ExternalBusy rows that block the technician's time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from connectors.base import RemoteRecord
from hub.ids import new_id
from hub.integrations.context import CalendarInfo, ConnectionContext
from hub.models import ExternalBusy
from hub.timeutil import parse_datetime

CHUNK = 500


def is_free(cc: ConnectionContext, data: dict[str, Any]) -> bool:
    """Whether a remote event leaves its owner available, by the stream's declared busy rule."""
    rule = cc.calendar_spec.busy
    return bool(rule and rule(data))


def chunks(values: list[str]) -> Iterable[list[str]]:
    """`values` in slices small enough for an IN (...) on every backend."""
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def existing(
    session: Session, cc: ConnectionContext, cal: CalendarInfo, remote_ids: list[str]
) -> dict[str, ExternalBusy]:
    """The busy rows of this calendar's technician for these remote ids."""
    found: dict[str, ExternalBusy] = {}
    for part in chunks(remote_ids):
        rows = session.scalars(
            select(ExternalBusy).where(
                ExternalBusy.technician_id == cal.technician_id,
                ExternalBusy.source == cc.name,
                ExternalBusy.external_id.in_(part),
            )
        )
        for row in rows:
            found[row.external_id or ""] = row
    return found


def _period(meaning: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The times a foreign event blocks; nothing else of it is kept (not its title or
    description: a technician's private events stay private)."""
    if not meaning.get("scheduled_at") or meaning.get("duration") is None:
        return None
    start = parse_datetime(str(meaning["scheduled_at"]))
    end = start + timedelta(minutes=max(int(meaning["duration"]), 0))
    return start, end


def upsert(
    session: Session,
    cc: ConnectionContext,
    cal: CalendarInfo,
    record: RemoteRecord,
    meaning: dict[str, Any],
    row: ExternalBusy | None,
    now: datetime,
) -> dict[str, Any] | None:
    """Refresh (or drop) a foreign event's busy period; a new one is returned as a row."""
    # New rows are inserted by `insert_many`: one statement per page.
    period = None if is_free(cc, record.data) else _period(meaning)
    if period is None or period[1] <= period[0]:
        if row is not None:
            session.delete(row)
            cc.stats["busy_deleted"] += 1
        return None
    start, end = period
    if row is None:
        cc.stats["busy_created"] += 1
        return {
            "id": new_id("busy"),
            "account_id": cc.account_id,
            "environment": cc.environment,
            "technician_id": cal.technician_id,
            "starts_at": start,
            "ends_at": end,
            "source": cc.name,
            "external_id": record.id,
            "summary": None,
            "created_at": now,
            "updated_at": now,
        }
    row.starts_at, row.ends_at, row.summary = start, end, None
    row.updated_at = now  # marks it seen by this listing (see `unseen`)
    cc.stats["busy_updated"] += 1
    return None


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new busy periods in one executemany."""
    if rows:
        session.execute(insert(ExternalBusy), rows)


def unseen(
    session: Session, cc: ConnectionContext, cal: CalendarInfo, started: datetime
) -> list[tuple[str, str]]:
    """(busy id, remote id) of the rows a full listing begun at `started` did not touch."""
    rows = session.execute(
        select(ExternalBusy.id, ExternalBusy.external_id).where(
            ExternalBusy.technician_id == cal.technician_id,
            ExternalBusy.source == cc.name,
            ExternalBusy.updated_at < started,
        )
    ).all()
    return [(row.id, row.external_id or "") for row in rows]


def remove(session: Session, ids: list[str]) -> int:
    """Delete busy rows by id."""
    count = 0
    for part in chunks(ids):
        result = session.execute(
            delete(ExternalBusy)
            .where(ExternalBusy.id.in_(part))
            .execution_options(synchronize_session=False)
        )
        count += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return count


def touch(session: Session, ids: list[str], now: datetime) -> None:
    """Mark busy rows as seen (they still exist remotely)."""
    for part in chunks(ids):
        session.execute(
            update(ExternalBusy)
            .where(ExternalBusy.id.in_(part))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
