"""Push of record streams (one stream per connection, e.g. customers ↔ CRM contacts).

For each pending link of a stream that pushes: the local object's representation goes
through the connection's mapping; a payload equal to the last one written or read
(`payload_hash`) is not written again, so a change that came from the remote never goes
back. Linked records are updated one by one; new ones are created in batches through the
connector's `upsert_many` when it has one (the remote matches an existing record by its
duplicate checks and answers per record), else one `create` each. A record the remote
refuses is marked on its link (`push_error`), reported on the connection and as an
`integration.error` event; the others of the batch go through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.base import AuthError, ConnectorError, NotFound, RemoteRecord, TransientError
from connectors.spec import StreamSpec
from hub import representations as rep
from hub.db import transaction
from hub.errors import ApiError
from hub.ids import new_id
from hub.integrations import mapping as sync_mapping
from hub.integrations import state, streams
from hub.integrations.context import ConnectionContext
from hub.models import Customer, IntegrationConnection, IntegrationLink, IntegrationStream
from mappings import FieldMapping

log = logging.getLogger(__name__)

BATCH = 100

# How the engine reads a local object of a record stream: its model and representation.
LOADERS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    "customer": (Customer, rep.customer),
}


@dataclass(frozen=True)
class _Pending:
    link_id: str
    seq: int
    local_id: str
    remote_id: str | None
    remote_state: str
    payload_hash: str | None


class RemoteRefused(ConnectorError):
    """One record of a batch refused by the remote (its code and message)."""


def record_streams(cc: ConnectionContext) -> list[StreamSpec]:
    """The connection's streams kept once per connection (not per technician)."""
    return [s for s in cc.spec.streams if not s.per_technician]


def push_stream(cc: ConnectionContext, stream: StreamSpec) -> int:
    """Push every pending link of `stream` once; returns how many were handled."""
    if not stream.pushes or stream.local_type not in LOADERS:
        return 0
    model, represent = LOADERS[stream.local_type]
    handled, last = 0, ""
    while True:
        with cc.session() as session:
            links = session.scalars(
                select(IntegrationLink)
                .where(
                    IntegrationLink.connection_id == cc.connection_id,
                    IntegrationLink.stream == stream.name,
                    IntegrationLink.local_type == stream.local_type,
                    IntegrationLink.pending.is_(True),
                    IntegrationLink.id > last,
                )
                .order_by(IntegrationLink.id)
                .limit(BATCH)
            ).all()
            pending = [
                _Pending(
                    k.id, k.pending_seq, k.local_id, k.remote_id, k.remote_state, k.payload_hash
                )
                for k in links
            ]
            objects = {
                o.id: represent(o)
                for o in session.scalars(
                    select(model).where(model.id.in_([p.local_id for p in pending]))
                )
            }
        if not pending:
            return handled
        _push_batch(cc, stream, pending, objects)
        handled += len(pending)
        last = pending[-1].link_id
        with cc.session() as session, transaction(session):
            state.renew(cc.rt, session, cc.connection_id)


def _push_batch(
    cc: ConnectionContext,
    stream: StreamSpec,
    pending: list[_Pending],
    objects: dict[str, dict[str, Any]],
) -> None:
    """Write one batch: updates one by one, creations in one upsert."""
    creations: list[tuple[_Pending, dict[str, Any], str]] = []
    for item in pending:
        local = objects.get(item.local_id)
        if local is None:  # the object is gone (another tenant's cleanup): nothing to write
            _done(cc, item, None, None)
            continue
        if item.remote_state == "merged":  # merged into another object: never written
            _settled(cc, item)
            continue
        payload = sync_mapping.mappings.apply(cc.mapping, "outbound", local, cc.map_context)
        digest = sync_mapping.payload_hash(payload)
        if item.remote_state == "live" and item.payload_hash == digest:
            _done(cc, item, item.remote_id, digest, wrote=False)
            continue
        if item.remote_id and item.remote_state == "live":
            try:
                cc.connector.update(stream.name, item.remote_id, payload, None)
            except NotFound:
                creations.append((item, payload, digest))  # deleted remotely meanwhile
                continue
            except ConnectorError as err:
                if isinstance(err, (AuthError, TransientError)):
                    raise
                _refused(cc, item, err)
                continue
            cc.stats["remote_updated"] += 1
            _done(cc, item, item.remote_id, digest)
        else:
            creations.append((item, payload, digest))
    if creations:
        _create(cc, stream, creations)


def _create(
    cc: ConnectionContext, stream: StreamSpec, items: list[tuple[_Pending, dict[str, Any], str]]
) -> None:
    upsert = getattr(cc.connector, "upsert_many", None)
    if upsert is None:
        for item, payload, digest in items:
            try:
                record = cc.connector.create(stream.name, payload)
            except ConnectorError as err:
                if isinstance(err, (AuthError, TransientError)):
                    raise
                _refused(cc, item, err)
                continue
            cc.stats["remote_created"] += 1
            _done(cc, item, record.id, digest)
        return
    results = upsert(stream.name, [payload for _, payload, _ in items])
    for (item, _payload, digest), result in zip(items, results, strict=True):
        if result.ok and result.id:
            cc.stats["remote_created" if result.action == "insert" else "remote_matched"] += 1
            _done(cc, item, str(result.id), digest)
        else:
            refusal = RemoteRefused(f"{result.code}: {result.message}", reason=result.code)
            _refused(cc, item, refusal, details=result.details)


def _done(
    cc: ConnectionContext,
    item: _Pending,
    remote_id: str | None,
    digest: str | None,
    wrote: bool = True,
) -> None:
    """The link now matches the remote; still pending if the object changed meanwhile."""
    now = cc.rt.clock.now()
    values: dict[str, Any] = {
        "remote_id": remote_id,
        "remote_state": "live" if remote_id else "none",
        "payload_hash": digest,
        "push_error": None,
        "push_attempts": 0,
    }
    if wrote:
        values["last_pushed_at"] = now
    with cc.session() as session, transaction(session):
        session.execute(
            update(IntegrationLink)
            .where(IntegrationLink.id == item.link_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(IntegrationLink)
            .where(IntegrationLink.id == item.link_id, IntegrationLink.pending_seq == item.seq)
            .values(pending=False)
            .execution_options(synchronize_session=False)
        )


def _settled(cc: ConnectionContext, item: _Pending) -> None:
    """Nothing to write for this link: it is no longer pending (unless changed meanwhile)."""
    with cc.session() as session, transaction(session):
        session.execute(
            update(IntegrationLink)
            .where(IntegrationLink.id == item.link_id, IntegrationLink.pending_seq == item.seq)
            .values(pending=False)
            .execution_options(synchronize_session=False)
        )


def _refused(cc: ConnectionContext, item: _Pending, err: Exception, details: Any = None) -> None:
    """The remote refused this record: mark it, report it on the connection and as an event."""
    cc.stats["refused"] += 1
    with cc.session() as session, transaction(session):
        link = session.get(IntegrationLink, item.link_id)
        conn = session.get(IntegrationConnection, cc.connection_id)
        if link is None or conn is None:
            return
        link.push_error = str(err)[:500]
        link.push_attempts += 1
        if link.pending_seq == item.seq:
            link.pending = False
        conn.last_error = str(err)[:500]
        conn.last_error_code = str(getattr(err, "reason", None) or type(err).__name__)[:64]
        conn.last_error_at = cc.rt.clock.now()
        extra: dict[str, Any] = {"object": {"type": link.local_type, "id": link.local_id}}
        if details:
            extra["details"] = details
        state.error_event(session, conn, err, **extra)
    log.warning("connection %s: record %s refused: %s", cc.connection_id, item.local_id, err)


# -- pull ---------------------------------------------------------------------------------


def stream_enabled(cc: ConnectionContext, stream: StreamSpec, config: dict[str, Any]) -> bool:
    """Whether the connection reads `stream` (`hub.integrations.streams.enabled`)."""
    return streams.enabled(cc.spec, stream, config)


def pull_stream(cc: ConnectionContext, stream: StreamSpec) -> None:
    """Read one record stream's changes page by page, saving the cursor after every page."""
    with cc.session() as session:
        row = session.scalars(
            select(IntegrationStream).where(
                IntegrationStream.connection_id == cc.connection_id,
                IntegrationStream.stream == stream.name,
                IntegrationStream.technician_id.is_(None),
            )
        ).first()
        if row is None:
            return
        row_id, cursor = row.id, row.cursor
    started = cc.rt.clock.now()
    mapping = _stream_mapping(cc, stream)
    for number, page in enumerate(cc.connector.read(stream.name, cursor), start=1):
        cc.stats["pages"] += 1
        cc.stats["records"] += len(page.records) + len(page.deleted)
        for record in page.records:
            apply_record(cc, stream, mapping, record)
        for remote_id in page.deleted:
            apply_delete(cc, stream, remote_id)
        cc.rt.hooks.after_page(stream.name, number)
        with cc.session() as session, transaction(session):
            state.renew(cc.rt, session, cc.connection_id)
            session.execute(
                update(IntegrationStream)
                .where(IntegrationStream.id == row_id)
                .values(cursor=page.next_cursor, last_pulled_at=cc.rt.clock.now())
                .execution_options(synchronize_session=False)
            )
        cc.rt.hooks.after_cursor(stream.name, number)
    pull_done(cc, stream.name, started)


def pull_done(cc: ConnectionContext, stream: str, started: datetime | None = None) -> None:
    """The stream was pulled: its own due time (a notification) is met, unless one came
    after the pull began (`started`), which stays due."""
    started = started or cc.rt.clock.now()
    with cc.session() as session, transaction(session):
        session.execute(
            update(IntegrationStream)
            .where(
                IntegrationStream.connection_id == cc.connection_id,
                IntegrationStream.stream == stream,
                IntegrationStream.technician_id.is_(None),
                IntegrationStream.pull_due_at <= started,
            )
            .values(pull_due_at=None)
            .execution_options(synchronize_session=False)
        )


def _stream_mapping(cc: ConnectionContext, stream: StreamSpec) -> FieldMapping:
    """The stream's mapping: the connection's (with its override) for the connector's main
    mapping, the built-in one for another stream's (e.g. leads)."""
    if stream.mapping is None or stream.mapping == cc.mapping.name:
        return cc.mapping
    return sync_mapping.mappings.load(stream.mapping)


def _link_of(session: Session, cc: ConnectionContext, local_type: str, **where: Any) -> Any:
    stmt = select(IntegrationLink).where(
        IntegrationLink.connection_id == cc.connection_id,
        IntegrationLink.local_type == local_type,
    )
    for name, value in where.items():
        stmt = stmt.where(getattr(IntegrationLink, name) == value)
    return session.scalars(stmt.with_for_update()).first()


def apply_record(
    cc: ConnectionContext, stream: StreamSpec, mapping: FieldMapping, record: RemoteRecord
) -> None:
    """Bring one remote record in: update its linked object, else match one (e-mail, then
    phone) and link it, else create one. A record that was converted into another stream's
    record (`$converted`) is left to that one, which matches the same object."""
    if record.data.get("$converted") is True:
        cc.stats["converted"] += 1
        return
    objects = cc.rt.local_services.matchable(stream.local_type)
    fields = sync_mapping.mappings.apply(mapping, "inbound", record.data, cc.map_context)
    with cc.session() as session:
        link = _link_of(session, cc, stream.local_type, stream=stream.name, remote_id=record.id)
        local_id = link.local_id if link is not None else None
        session.rollback()
        try:
            if local_id is None:
                local_id = objects.match(session, cc.principal, fields)
                if local_id is not None:
                    other = _link_of(session, cc, stream.local_type, local_id=local_id)
                    session.rollback()
                    if other is not None and other.stream != stream.name and not stream.pushes:
                        cc.stats["skipped_linked_elsewhere"] += 1
                        return  # e.g. a lead for a customer already linked to a contact
                    cc.stats["matched"] += 1
                    view = objects.update(session, cc.principal, local_id, fields)
                else:
                    view = objects.create(session, cc.principal, fields)
                    local_id = str(view["id"])
                    cc.stats["local_created"] += 1
            else:
                view = objects.update(session, cc.principal, local_id, fields)
                cc.stats["local_updated"] += 1
        except ApiError as err:
            _inbound_refused(cc, stream, record.id, err)
            return
    _link(cc, stream, str(local_id), record, view)


def _link(
    cc: ConnectionContext,
    stream: StreamSpec,
    local_id: str,
    record: RemoteRecord,
    view: dict[str, Any],
) -> None:
    """Point the object's link at `record`; its hash is our payload for the object as it now
    is, so the push that its change event asks for writes nothing back (no loop)."""
    digest = sync_mapping.payload_hash(
        sync_mapping.mappings.apply(cc.mapping, "outbound", view, cc.map_context)
    )
    now = cc.rt.clock.now()
    with cc.session() as session, transaction(session):
        state.renew(cc.rt, session, cc.connection_id)
        link = _link_of(session, cc, stream.local_type, local_id=local_id)
        if link is None:
            link = IntegrationLink(
                id=new_id("ilk"),
                account_id=cc.account_id,
                environment=cc.environment,
                connection_id=cc.connection_id,
                local_type=stream.local_type,
                local_id=local_id,
                pending=False,
                pending_seq=0,
                push_attempts=0,
            )
            session.add(link)
        # A record of the pushed stream takes over a link of a pull-only one (a lead
        # converted into a contact): the customer stays the same.
        push_stream_name = stream.name if stream.pushes else (link.stream or stream.name)
        if stream.pushes or link.remote_id is None:
            link.stream = push_stream_name
            link.remote_id = record.id
        link.remote_state = "live"
        link.remote_version = record.etag
        link.payload_hash = digest
        link.last_seen_at = now
        link.push_error = None


def apply_delete(cc: ConnectionContext, stream: StreamSpec, remote_id: str) -> None:
    """A remote record was deleted (or merged into another): its link goes; the object stays.

    A remote merge reads as the survivor changed and the others deleted, and the remote says
    no more. So when the deleted record's object duplicates (the services' `duplicates`: same
    e-mail, else same phone) an object linked to a live record of the same stream, it is
    merged into that one first (the services' `merge`: its appointments move, nothing is lost);
    the merge is idempotent, so a page applied again after a crash merges nothing twice.
    """
    merged = _merge_duplicate(cc, stream, remote_id)
    with cc.session() as session, transaction(session):
        link = _link_of(session, cc, stream.local_type, stream=stream.name, remote_id=remote_id)
        if link is None:
            return
        objects = cc.rt.local_services.of(stream.local_type)
        objects.cancel(session, cc.principal, link.local_id)
        if merged:
            # The merged object stays linked to nothing, for good: its changes are never
            # pushed (they would bring the merged record back as a new one).
            link.remote_state = "merged"
            link.remote_id = link.remote_version = link.payload_hash = None
            link.pending = False
        else:
            session.delete(link)
        cc.stats["unlinked"] += 1


def _merge_duplicate(cc: ConnectionContext, stream: StreamSpec, remote_id: str) -> bool:
    """Merge the deleted record's object into a duplicate linked to a live record, if any."""
    objects = cc.rt.local_services.of(stream.local_type)
    duplicates = getattr(objects, "duplicates", None)
    merge = getattr(objects, "merge", None)
    if not callable(duplicates) or not callable(merge):
        return False
    with cc.session() as session:
        link = _link_of(session, cc, stream.local_type, stream=stream.name, remote_id=remote_id)
        loser = link.local_id if link is not None else None
        session.rollback()
        if loser is None:
            return False
        candidates = [str(c) for c in duplicates(session, cc.principal, loser)]
        if not candidates:
            return False
        live = set(
            session.scalars(
                select(IntegrationLink.local_id).where(
                    IntegrationLink.connection_id == cc.connection_id,
                    IntegrationLink.stream == stream.name,
                    IntegrationLink.local_type == stream.local_type,
                    IntegrationLink.local_id.in_(candidates),
                    IntegrationLink.remote_state == "live",
                    IntegrationLink.remote_id.is_not(None),
                    IntegrationLink.remote_id != remote_id,
                )
            )
        )
        session.rollback()
        survivor = next((c for c in candidates if c in live), None)
        if survivor is None:
            return False
        try:
            merge(session, cc.principal, loser, survivor)
        except ApiError as err:
            _inbound_refused(cc, stream, remote_id, err)
            return False
    cc.stats["merged"] += 1
    return True


def _inbound_refused(
    cc: ConnectionContext, stream: StreamSpec, remote_id: str, err: ApiError
) -> None:
    """A remote record our rules refuse: reported on the connection and as integration.error."""
    cc.stats["refused_inbound"] += 1
    with cc.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, cc.connection_id)
        if conn is None:
            return
        conn.last_error = f"{stream.name} {remote_id}: {err.code}"[:500]
        conn.last_error_code = err.code[:64]
        conn.last_error_at = cc.rt.clock.now()
        state.error_event(
            session,
            conn,
            err,
            object={"type": stream.local_type, "remote_id": remote_id, "stream": stream.name},
            details=err.details,
        )
