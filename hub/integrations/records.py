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
from typing import Any

from sqlalchemy import select, update

from connectors.base import AuthError, ConnectorError, NotFound, TransientError
from connectors.spec import StreamSpec
from hub import representations as rep
from hub.db import transaction
from hub.integrations import mapping as sync_mapping
from hub.integrations import state
from hub.integrations.context import ConnectionContext
from hub.models import Customer, IntegrationConnection, IntegrationLink

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
    log.warning("connection %s: %s %s refused: %s", cc.connection_id, "record", item.local_id, err)
