"""Which record streams a connection reads: the spec's required ones, and the optional ones
its settings turn on (`config["streams"]`), e.g. a CRM's leads next to its contacts.

A stream is optional when it is not pushed and is not the connector's first stream; the
required ones are always read. Turning an optional stream on makes its pull due at once and
its push channel due for the channels job; turning it off hands its channel to the job to stop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import connectors
from connectors.base import ConnectorError
from connectors.spec import StreamSpec, SyncSpec
from hub.errors import ApiError
from hub.models import IntegrationConnection, IntegrationStream

log = logging.getLogger(__name__)


def record_streams(spec: SyncSpec) -> list[StreamSpec]:
    """The spec's streams kept once per connection (not per technician)."""
    return [s for s in spec.streams if not s.per_technician]


def optional(spec: SyncSpec, stream: StreamSpec) -> bool:
    """Whether a connection may leave `stream` unread."""
    return stream.pulls and not stream.pushes and stream is not spec.streams[0]


def enabled(spec: SyncSpec, stream: StreamSpec, config: Mapping[str, Any]) -> bool:
    """Whether the connection reads `stream`: an optional stream only when its settings list
    it in `streams` (a list stored before optional streams existed is read as it is)."""
    listed = config.get("streams")
    if listed is not None:
        return stream.name in listed
    return not optional(spec, stream)


def set_enabled(
    session: Session,
    spec: SyncSpec,
    conn: IntegrationConnection,
    changes: Mapping[str, bool],
    now: datetime,
) -> None:
    """Turn optional streams on or off (in the caller's transaction).

    422 `UNKNOWN_STREAM` for a name the connector has no record stream of, 422
    `STREAM_REQUIRED` for turning off one it always reads; nothing changes then.
    """
    by_name = {s.name: s for s in record_streams(spec)}
    for name, on in changes.items():
        stream = by_name.get(name)
        if stream is None:
            raise ApiError(
                422,
                "UNKNOWN_STREAM",
                {"stream": name, "streams": sorted(by_name)},
                name=name,
                streams=", ".join(sorted(by_name)),
            )
        if not on and not optional(spec, stream):
            raise ApiError(422, "STREAM_REQUIRED", {"stream": name}, name=name)
    config = dict(conn.config or {})
    before = {n for n, s in by_name.items() if enabled(spec, s, config)}
    after = {n for n, s in by_name.items() if changes.get(n, n in before) or not optional(spec, s)}
    config["streams"] = [n for n in by_name if n in after]
    conn.config = config
    rows = {
        r.stream: r
        for r in session.scalars(
            select(IntegrationStream).where(
                IntegrationStream.connection_id == conn.id,
                IntegrationStream.technician_id.is_(None),
            )
        )
    }
    for name in after - before:  # read now, and watched as soon as the channels job runs
        row = rows.get(name)
        if row is not None:
            row.pull_due_at = now
            if row.channel_id is None:
                row.channel_expires_at = None
    for name in before - after:  # no longer read: its channel is stopped by the job
        row = rows.get(name)
        if row is None:
            continue
        row.pull_due_at = None
        if row.channel_id:
            conn.stale_channels = [
                *(conn.stale_channels or []),
                {"id": row.channel_id, "resource_id": row.channel_resource_id, "stream": name},
            ]
            row.channel_id = row.channel_resource_id = row.channel_token = None
            row.channel_expires_at = None


def summary(
    spec: SyncSpec, config: Mapping[str, Any], rows: Mapping[str, IntegrationStream]
) -> list[dict[str, Any]]:
    """Each record stream as the connection's status shows it."""
    out = []
    for stream in record_streams(spec):
        row = rows.get(stream.name)
        fields = row.remote_fields if row is not None else None
        out.append(
            {
                "name": stream.name,
                "local_type": stream.local_type,
                "direction": stream.direction,
                "optional": optional(spec, stream),
                "enabled": enabled(spec, stream, config),
                "last_pulled_at": row.last_pulled_at if row is not None else None,
                "watched": bool(row is not None and row.channel_id),
                "fields": list(fields) if fields is not None else None,
            }
        )
    return out


def discover_fields(connector: connectors.Connector) -> dict[str, list[dict[str, Any]]]:
    """The fields of each record stream, from the remote's field metadata (a connector's
    `describe_fields(stream)`: [{name, label, type, custom}]); a stream whose metadata the
    remote refuses is left out (its mapping is then not checked against it)."""
    describe = getattr(connector, "describe_fields", None)
    if describe is None:
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for stream in connectors.spec_of(connector.manifest.name).streams:
        if stream.per_technician:
            continue
        try:
            found[stream.name] = list(describe(stream.name))
        except ConnectorError as err:
            log.warning("fields of %s not discovered: %s", stream.name, err)
    return found


def save_fields(session: Any, connection_id: str, fields: dict[str, list[dict[str, Any]]]) -> None:
    """Store discovered fields on the connection's stream rows (in the caller's transaction)."""
    for name, items in fields.items():
        session.execute(
            update(IntegrationStream)
            .where(
                IntegrationStream.connection_id == connection_id,
                IntegrationStream.stream == name,
                IntegrationStream.technician_id.is_(None),
            )
            .values(remote_fields=items)
            .execution_options(synchronize_session=False)
        )
