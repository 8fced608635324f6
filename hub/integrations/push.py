"""Push: make each pending appointment's remote event match it.

Active appointment of a technician with a linked calendar → the event exists and shows the
mapping's payload (insert with our derived id; PATCH with If-Match); otherwise (cancelled,
no technician, calendar unlinked) → the event is deleted (with If-Match). A push that would
change nothing is skipped, so changes that came from the remote are never written back.
Concurrent remote edits (412): the remote is re-read; iValid's appointment wins, a title the
remote user gave is kept. Transient and auth errors propagate (the run backs off); a record
the remote refuses is marked failed and reported as `integration.error`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from connectors.base import (
    AuthError,
    ConnectorError,
    NotFound,
    PreconditionFailed,
    RemoteRecord,
    TransientError,
)
from hub import representations as rep
from hub.db import transaction
from hub.integrations import mapping as sync_mapping
from hub.integrations import state
from hub.integrations.context import ConnectionContext
from hub.models import Appointment, IntegrationConnection, IntegrationLink

log = logging.getLogger(__name__)

PUSHED_STATUSES = ("pending", "confirmed", "completed")
BATCH = 200


@dataclass(frozen=True)
class RemoteState:
    """What a link says of the remote event."""

    calendar_id: str | None
    remote_id: str | None
    remote_state: str
    remote_etag: str | None
    payload_hash: str | None
    title: str | None


def push_pending(cc: ConnectionContext) -> int:
    """Push every pending appointment of the connection once; returns how many were handled."""
    handled, last = 0, ""
    while True:
        with cc.session() as session:
            ids = list(
                session.scalars(
                    select(IntegrationLink.id)
                    .where(
                        IntegrationLink.connection_id == cc.connection_id,
                        IntegrationLink.local_type == cc.calendar_spec.local_type,
                        IntegrationLink.pending.is_(True),
                        IntegrationLink.id > last,
                    )
                    .order_by(IntegrationLink.id)
                    .limit(BATCH)
                )
            )
        if not ids:
            return handled
        creator = getattr(cc.connector, "create_many", None)
        rest = _push_creates(cc, ids, creator) if callable(creator) else ids
        for link_id in rest:
            push_one(cc, link_id)
        handled += len(ids)
        last = ids[-1]
        with cc.session() as session, transaction(session):
            state.renew(cc.rt, session, cc.connection_id)


@dataclass(frozen=True)
class _NewEvent:
    link_id: str
    seq: int
    remote: RemoteState
    target: str
    payload: dict[str, Any]


def _push_creates(cc: ConnectionContext, ids: list[str], creator: Any) -> list[str]:
    """Send the plain creates among `ids` in batches (a newly linked calendar's export: one
    call per batch, not one per event); returns the ids left for `push_one`.

    Only links without a live remote event whose appointment goes to a calendar qualify, and
    only when a stream has two or more. A crash after a batch and before its links are saved
    is harmless: the derived ids make the next insert a 409 answered with the existing event.
    A refusal for the rate limit saves what was created, then backs the run off.
    """
    by_stream: dict[str, list[_NewEvent]] = {}
    for link_id in ids:
        loaded = _appointment_view(cc, link_id)
        if loaded is None:
            continue
        seq, remote, view = loaded
        if view is None or view["status"] not in PUSHED_STATUSES or remote.remote_state == "live":
            continue
        cal = cc.calendar_of((view.get("technician") or {}).get("id"))
        if cal is None:
            continue
        payload = sync_mapping.render(cc.mapping, view, cc.map_context, remote.title)
        new = _NewEvent(link_id, seq, remote, cal.calendar_id, payload)
        by_stream.setdefault(cc.stream(cal.calendar_id), []).append(new)
    batched: set[str] = set()
    for stream, items in by_stream.items():
        if len(items) < 2:
            continue
        results = creator(stream, [item.payload for item in items])
        deferred: ConnectorError | None = None
        for item, result in zip(items, results, strict=True):
            batched.add(item.link_id)
            if isinstance(result, (TransientError, AuthError)):
                deferred = deferred or result  # stays pending: the next run sends it
                continue
            if isinstance(result, ConnectorError):
                _save_failure(cc, item.link_id, item.seq, result)
                continue
            cc.stats["pushed_creates"] += 1
            cc.stats["batched_creates"] += 1
            record = result
            if sync_mapping.fingerprint(cc.mapping, record.data, cc.map_context) != (
                sync_mapping.fingerprint(cc.mapping, item.payload, cc.map_context)
            ):
                record = cc.connector.update(stream, record.id, item.payload, record.etag)
                cc.stats["pushed_updates"] += 1
            outcome = replace(
                item.remote,
                calendar_id=item.target,
                remote_id=record.id,
                remote_state="live",
                remote_etag=record.etag,
                payload_hash=sync_mapping.payload_hash(item.payload),
            )
            _save(cc, item.link_id, item.seq, outcome)
            cc.rt.hooks.after_push(item.link_id, cc.stats["pushed_creates"])
        if deferred is not None:
            raise deferred
    return [link_id for link_id in ids if link_id not in batched]


def _appointment_view(
    cc: ConnectionContext, link_id: str
) -> tuple[int, RemoteState, dict[str, Any] | None] | None:
    """(pending_seq, link state, appointment representation or None) — None if nothing to do."""
    with cc.session() as session:
        link = session.get(IntegrationLink, link_id)
        if link is None or not link.pending:
            return None
        remote = RemoteState(
            link.remote_parent,
            link.remote_id,
            link.remote_state,
            link.remote_version,
            link.payload_hash,
            link.title,
        )
        appointment = session.get(Appointment, link.local_id)
        view = rep.appointment(appointment) if appointment is not None else None
        return link.pending_seq, remote, view


def push_one(cc: ConnectionContext, link_id: str) -> None:
    """Push one appointment; saves the outcome on its link."""
    loaded = _appointment_view(cc, link_id)
    if loaded is None:
        return
    seq, remote, view = loaded
    target = None
    if view is not None and view["status"] in PUSHED_STATUSES:
        cal = cc.calendar_of((view.get("technician") or {}).get("id"))
        target = cal.calendar_id if cal is not None else None
    try:
        outcome = _sync_remote(cc, remote, target, view)
    except (TransientError, AuthError):
        raise
    except (ConnectorError, ValueError) as err:
        _save_failure(cc, link_id, seq, err)
        return
    _save(cc, link_id, seq, outcome)
    cc.stats["pushed"] += 1
    cc.rt.hooks.after_push(link_id, cc.stats["pushed"])


def _sync_remote(
    cc: ConnectionContext, remote: RemoteState, target: str | None, view: dict[str, Any] | None
) -> RemoteState:
    """Do the remote writes that make the event match; returns the new link state."""
    if remote.remote_state == "live" and remote.calendar_id != target and remote.remote_id:
        _delete(cc, remote.calendar_id or "", remote.remote_id, remote.remote_etag)
        remote = replace(remote, remote_state="deleted", payload_hash=None)
    if target is None or view is None:
        return remote
    payload = sync_mapping.render(cc.mapping, view, cc.map_context, remote.title)
    digest = sync_mapping.payload_hash(payload)
    stream = cc.stream(target)
    if remote.remote_state == "live" and remote.remote_id:
        if digest == remote.payload_hash:
            cc.stats["push_skipped"] += 1
            return remote
        try:
            record = cc.connector.update(stream, remote.remote_id, payload, remote.remote_etag)
            cc.stats["pushed_updates"] += 1
        except PreconditionFailed:
            record, remote, digest = _resolve_412(cc, stream, remote, view)
        except NotFound:
            record = _create(cc, stream, payload)
    else:
        record = _create(cc, stream, payload)
    return replace(
        remote,
        calendar_id=target,
        remote_id=record.id,
        remote_state="live",
        remote_etag=record.etag,
        payload_hash=digest,
    )


def _create(cc: ConnectionContext, stream: str, payload: dict[str, Any]) -> RemoteRecord:
    """Insert (idempotent: our derived id); an existing event is brought up to date."""
    record = cc.connector.create(stream, payload)
    cc.stats["pushed_creates"] += 1
    if sync_mapping.fingerprint(cc.mapping, record.data, cc.map_context) != (
        sync_mapping.fingerprint(cc.mapping, payload, cc.map_context)
    ):
        record = cc.connector.update(stream, record.id, payload, record.etag)
        cc.stats["pushed_updates"] += 1
    return record


def _resolve_412(
    cc: ConnectionContext, stream: str, remote: RemoteState, view: dict[str, Any]
) -> tuple[RemoteRecord, RemoteState, str]:
    """The remote changed since we last saw it: re-read, keep its title, push ours over it."""
    remote_id = remote.remote_id or ""
    cc.stats["push_conflicts"] += 1
    current = cc.connector.get(stream, remote_id)
    if current.data.get("status") == "cancelled":
        payload = sync_mapping.render(cc.mapping, view, cc.map_context, remote.title)
        return _create(cc, stream, payload), remote, sync_mapping.payload_hash(payload)
    title = _remote_title(cc, current.data, view) or remote.title
    remote = replace(remote, title=title)
    payload = sync_mapping.render(cc.mapping, view, cc.map_context, title)
    record = cc.connector.update(stream, remote_id, payload, current.etag)
    cc.stats["pushed_updates"] += 1
    return record, remote, sync_mapping.payload_hash(payload)


def _remote_title(cc: ConnectionContext, data: dict[str, Any], view: dict[str, Any]) -> str | None:
    """The remote's title if the remote user changed it from ours, else None."""
    title = sync_mapping.inbound(cc.mapping, data, cc.map_context).get("title")
    ours = sync_mapping.default_title(
        cc.mapping, sync_mapping.render(cc.mapping, view, cc.map_context)
    )
    return str(title) if title and title != ours else None


def _delete(cc: ConnectionContext, calendar_id: str, remote_id: str, etag: str | None) -> None:
    """Delete with If-Match; after a 412 the remote is re-read and deleted anyway (we win)."""
    stream = cc.stream(calendar_id)
    try:
        cc.connector.delete(stream, remote_id, etag)
    except PreconditionFailed:
        cc.stats["push_conflicts"] += 1
        current = cc.connector.get(stream, remote_id)
        if current.data.get("status") == "cancelled":
            return
        cc.connector.delete(stream, remote_id, current.etag)
    cc.stats["pushed_deletes"] += 1


def _save(cc: ConnectionContext, link_id: str, seq: int, outcome: RemoteState) -> None:
    """Store the new remote state; the link stays pending if it changed while we pushed."""
    now = cc.rt.clock.now()
    with cc.session() as session, transaction(session):
        link = session.get(IntegrationLink, link_id, with_for_update=True)
        if link is None:
            return
        link.remote_parent = outcome.calendar_id
        link.remote_id = outcome.remote_id
        link.remote_state = outcome.remote_state
        link.remote_version = outcome.remote_etag
        link.payload_hash = outcome.payload_hash
        link.title = outcome.title
        link.pending = link.pending_seq != seq
        link.push_attempts = 0
        link.push_error = None
        link.last_pushed_at = now


def _save_failure(cc: ConnectionContext, link_id: str, seq: int, err: Exception) -> None:
    """The remote refused this appointment: stop retrying it and report it."""
    log.warning("push of link %s refused: %s", link_id, err)
    cc.stats["push_failures"] += 1
    with cc.session() as session, transaction(session):
        link = session.get(IntegrationLink, link_id, with_for_update=True)
        conn = session.get(IntegrationConnection, cc.connection_id)
        if link is None or conn is None:
            return
        link.push_attempts += 1
        link.push_error = str(err)[:2000]
        link.pending = link.pending_seq != seq
        state.error_event(session, conn, err, appointment_id=link.local_id)
