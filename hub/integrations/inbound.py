"""Pull side: what one page of remote changes does to our data.

Per record: our own write coming back (same etag as we stored) is skipped; an event of ours
that the remote user changed becomes a reschedule/cancel through the appointment services
(so the scheduling rules apply), a retitle is kept on the link; any other event becomes an
ExternalBusy row. A change the rules refuse is a conflict: the remote is put back by the next
push and `integration.conflict` is recorded. Everything here is idempotent: a page applied
twice (a crash before its cursor was saved) changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import Page, RemoteRecord
from hub import representations as rep
from hub.db import transaction
from hub.errors import ApiError
from hub.events import outbox as events
from hub.ids import new_id
from hub.integrations import busy, state
from hub.integrations import mapping as sync_mapping
from hub.integrations.context import CalendarInfo, ConnectionContext
from hub.integrations.outbox import APPOINTMENT
from hub.models import Appointment, IntegrationLink
from hub.timeutil import iso

MOVABLE = ("pending", "confirmed")


@dataclass(frozen=True)
class Change:
    """A remote change of one of our events to apply (record None: deleted)."""

    link_id: str
    record: RemoteRecord | None


def apply_page(cc: ConnectionContext, cal: CalendarInfo, page: Page) -> None:
    """Apply one page: bookkeeping in one transaction, then each real change on its own."""
    now = cc.rt.clock.now()
    ids = [r.id for r in page.records] + list(page.deleted)
    changes: list[Change] = []
    with cc.session() as session, transaction(session):
        links = _links_by_remote(session, cc, ids)
        busy_rows = busy.existing(session, cc, cal, ids)
        new_busy: list[dict[str, Any]] = []
        for record in page.records:
            link = links.get(record.id)
            if link is None:
                meaning = sync_mapping.inbound(cc.mapping, record.data, cc.map_context)
                link = _adopt(session, cc, cal, record, meaning, now)
                if link is None:
                    new = busy.upsert(
                        session, cc, cal, record, meaning, busy_rows.get(record.id), now
                    )
                    if new is not None:
                        new_busy.append(new)
                    continue
            if link.remote_parent == cal.calendar_id or link.remote_state != "live":
                link.last_seen_at = now
                if record.etag and record.etag == link.remote_version:
                    cc.stats["echoes"] += 1
                else:
                    changes.append(Change(link.id, record))
        for remote_id in page.deleted:
            link = links.get(remote_id)
            if link is None:
                gone = busy_rows.get(remote_id)
                if gone is not None:
                    session.delete(gone)
                    cc.stats["busy_deleted"] += 1
            elif link.remote_parent == cal.calendar_id and link.remote_state == "live":
                changes.append(Change(link.id, None))
            else:
                cc.stats["echoes"] += 1
        busy.insert_many(session, new_busy)
        state.renew(cc.rt, session, cc.connection_id)
    for change in changes:
        if change.record is None:
            apply_remote_delete(cc, change.link_id)
        else:
            apply_remote_change(cc, cal, change.link_id, change.record)


def _links_by_remote(
    session: Session, cc: ConnectionContext, remote_ids: list[str]
) -> dict[str, IntegrationLink]:
    found: dict[str, IntegrationLink] = {}
    for part in busy.chunks(remote_ids):
        for link in session.scalars(
            select(IntegrationLink).where(
                IntegrationLink.connection_id == cc.connection_id,
                IntegrationLink.remote_id.in_(part),
            )
        ):
            found[link.remote_id or ""] = link
    return found


def _adopt(
    session: Session,
    cc: ConnectionContext,
    cal: CalendarInfo,
    record: RemoteRecord,
    meaning: dict[str, Any],
    now: datetime,
) -> IntegrationLink | None:
    """Link again an unknown event that carries one of our appointment ids."""
    # A crash between an insert and saving its link, or lost links: push once to be sure.
    appointment_id = meaning.get("id")
    if not appointment_id:
        return None
    link = session.scalars(
        select(IntegrationLink).where(
            IntegrationLink.connection_id == cc.connection_id,
            IntegrationLink.local_type == APPOINTMENT,
            IntegrationLink.local_id == str(appointment_id),
        )
    ).first()
    if link is None:
        appointment = session.get(Appointment, str(appointment_id))
        if appointment is None or (appointment.account_id, appointment.environment) != (
            cc.account_id,
            cc.environment,
        ):
            return None
        link = IntegrationLink(
            id=new_id("ilk"),
            account_id=cc.account_id,
            environment=cc.environment,
            connection_id=cc.connection_id,
            stream=cc.calendar_spec.name,
            local_type=APPOINTMENT,
            local_id=appointment.id,
            pending_seq=0,
            push_attempts=0,
        )
        session.add(link)
    elif link.remote_state == "live":
        return None  # a copy of one of our events, made by the user: it is just busy time
    link.remote_id, link.remote_parent, link.remote_state = record.id, cal.calendar_id, "live"
    link.remote_version = link.payload_hash = None
    link.pending, link.pending_seq = True, (link.pending_seq or 0) + 1
    link.last_seen_at = now
    session.flush()
    cc.stats["adopted"] += 1
    return link


def _local_changes(meaning: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """The fields of the appointment the remote event now says otherwise."""
    changes: dict[str, Any] = {}
    if meaning.get("scheduled_at") and meaning["scheduled_at"] != view["scheduled_at"]:
        changes["scheduled_at"] = meaning["scheduled_at"]
    if meaning.get("duration") is not None and meaning["duration"] != view["duration"]:
        changes["duration"] = meaning["duration"]
    return changes


def apply_remote_change(
    cc: ConnectionContext, cal: CalendarInfo, link_id: str, record: RemoteRecord
) -> None:
    """A remote edit of one of our events: move it here too, or refuse and put it back."""
    with cc.session() as session:
        link = session.get(IntegrationLink, link_id)
        appointment = session.get(Appointment, link.local_id) if link else None
        if link is None or appointment is None:
            return
        view = rep.appointment(appointment)
        kept_title, known_hash = link.title, link.payload_hash
    meaning = sync_mapping.inbound(cc.mapping, record.data, cc.map_context)
    ours = sync_mapping.default_title(
        cc.mapping, sync_mapping.render(cc.mapping, view, cc.map_context)
    )
    title = str(meaning["title"]) if meaning.get("title") and meaning["title"] != ours else None
    local = sync_mapping.render(cc.mapping, view, cc.map_context, kept_title)
    if known_hash is not None and sync_mapping.payload_hash(local) != known_hash:
        # Changed on both sides since the last sync: iValid wins (the push overwrites the
        # remote, keeping its title).
        cc.stats["local_wins"] += 1
        _save_link(cc, link_id, record, title, pending=True)
        return
    status, cal_now = view["status"], cc.calendar_of((view["technician"] or {}).get("id"))
    if status == "cancelled" or cal_now is None or cal_now.calendar_id != cal.calendar_id:
        _save_link(
            cc, link_id, record, title, pending=True
        )  # should not be here: the push fixes it
        return
    changes = _local_changes(meaning, view)
    if not changes:
        payload = sync_mapping.render(cc.mapping, view, cc.map_context, title)
        _save_link(cc, link_id, record, title, sync_mapping.payload_hash(payload))
        cc.stats["retitled" if title != kept_title else "unchanged"] += 1
        return
    if status not in MOVABLE:
        _conflict(cc, link_id, record, view, meaning, "INVALID_STATUS_TRANSITION", title)
        return
    try:
        with cc.session() as session:
            updated = cc.rt.local_services.of(APPOINTMENT).update(
                session, cc.principal, view["id"], changes
            )
    except ApiError as err:
        _conflict(cc, link_id, record, view, meaning, err.code, title)
        return
    except IntegrityError as err:  # the database's own guard (PostgreSQL exclusion constraint)
        _conflict(cc, link_id, record, view, meaning, _integrity_code(err), title)
        return
    payload = sync_mapping.render(cc.mapping, updated, cc.map_context, title)
    _save_link(cc, link_id, record, title, sync_mapping.payload_hash(payload))
    cc.stats["applied_moves"] += 1


def apply_remote_delete(cc: ConnectionContext, link_id: str) -> None:
    """Our event was deleted remotely: cancel the appointment, or put the event back."""
    with cc.session() as session:
        link = session.get(IntegrationLink, link_id)
        appointment = session.get(Appointment, link.local_id) if link else None
        if link is None:
            return
        view = rep.appointment(appointment) if appointment is not None else None
        kept_title, known_hash = link.title, link.payload_hash
    if view is None or view["status"] == "cancelled":
        _mark_deleted(cc, link_id, pending=False)
        return
    local = sync_mapping.render(cc.mapping, view, cc.map_context, kept_title)
    if known_hash is not None and sync_mapping.payload_hash(local) != known_hash:
        cc.stats["local_wins"] += 1
        _mark_deleted(cc, link_id, pending=True)  # changed here meanwhile: recreate it
        return
    try:
        with cc.session() as session:
            cc.rt.local_services.of(APPOINTMENT).cancel(session, cc.principal, view["id"])
    except (ApiError, IntegrityError) as err:
        code = err.code if isinstance(err, ApiError) else _integrity_code(err)
        _mark_deleted(cc, link_id, pending=True)
        _conflict(cc, link_id, None, view, {}, code, kept_title, deleted=True)
        return
    _mark_deleted(cc, link_id, pending=False)
    cc.stats["applied_cancels"] += 1


def _integrity_code(err: IntegrityError) -> str:
    """The API's code for a database guard that refused a change."""
    return "SLOT_NOT_AVAILABLE" if "no_double_booking" in str(err.orig) else "CONFLICT"


def _save_link(
    cc: ConnectionContext,
    link_id: str,
    record: RemoteRecord,
    title: str | None,
    payload_hash: str | None = None,
    pending: bool = False,
) -> None:
    """Record the remote event as seen: pending (to push over), or showing `payload_hash`."""
    with cc.session() as session, transaction(session):
        link = session.get(IntegrationLink, link_id, with_for_update=True)
        if link is None:
            return
        link.remote_version = record.etag
        link.remote_state = "live"
        link.title = title
        if pending:
            link.pending, link.pending_seq = True, link.pending_seq + 1
        else:
            link.payload_hash = payload_hash


def _mark_deleted(cc: ConnectionContext, link_id: str, pending: bool) -> None:
    with cc.session() as session, transaction(session):
        link = session.get(IntegrationLink, link_id, with_for_update=True)
        if link is None:
            return
        link.remote_state = "deleted"
        link.remote_version = None
        link.payload_hash = None
        if pending:
            link.pending, link.pending_seq = True, link.pending_seq + 1


def _conflict(
    cc: ConnectionContext,
    link_id: str,
    record: RemoteRecord | None,
    view: dict[str, Any],
    meaning: dict[str, Any],
    reason: str,
    title: str | None,
    deleted: bool = False,
) -> None:
    """Refuse a remote change: the next push puts the event back; tell the integrator."""
    cc.stats["conflicts"] += 1
    with cc.session() as session, transaction(session):
        link = session.get(IntegrationLink, link_id, with_for_update=True)
        if link is None:
            return
        if record is not None:
            link.remote_version = record.etag
            link.remote_state = "live"
            link.title = title
            link.payload_hash = None  # the remote no longer shows our payload: push it
            link.pending, link.pending_seq = True, link.pending_seq + 1
        data = {
            "id": link.id,
            "integration": cc.name,
            "appointment_id": view["id"],
            "remote_id": link.remote_id,
            "reason": reason,
            "action": "reverted",
            "remote": {"deleted": True}
            if deleted
            else {
                "scheduled_at": meaning.get("scheduled_at"),
                "duration": meaning.get("duration"),
            },
            "kept": {
                "scheduled_at": view["scheduled_at"],
                "duration": view["duration"],
                "status": view["status"],
            },
            "occurred_at": iso(cc.rt.clock.now()),
        }
        events.record(
            session, cc.account_id, cc.environment, "integration.conflict", data, view["id"]
        )
