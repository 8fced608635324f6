"""Push channels: open one per linked calendar, renew before expiry, verify notifications.

A notification only makes a pull due (the worker does it): the endpoint answers at once.
Renewal opens the new channel before stopping the old one, so no change goes unnoticed;
polling at the manifest's interval stays as the backstop.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

import connectors
from connectors.base import (
    AuthError,
    Channel,
    Connector,
    ConnectorError,
    InvalidRequest,
    Notification,
    StaticTokenProvider,
    TransientError,
)
from connectors.base import (
    NotFound as ConnectorNotFound,
)
from hub import crypto
from hub.db import transaction
from hub.errors import ApiError, NotFound
from hub.integrations import context, engine, records, state
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection, IntegrationStream
from hub.timeutil import iso

log = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(hours=24)
RETRY_REFUSED = timedelta(hours=6)  # a refused watch (e.g. address not https) is retried later


def _needs_channel(now: datetime) -> ColumnElement[bool]:
    cal = IntegrationStream
    return or_(
        and_(
            cal.channel_id.is_(None),
            or_(cal.channel_expires_at.is_(None), cal.channel_expires_at <= now),
        ),
        and_(cal.channel_id.is_not(None), cal.channel_expires_at < now + RENEW_BEFORE),
    )


def due_connections(rt: SyncRuntime) -> list[str]:
    """Connected connections with a channel to open, renew or stop."""
    now = rt.clock.now()
    c, cal = IntegrationConnection, IntegrationStream
    push_names = [m.name for m in connectors.all_manifests() if m.supports_push]
    with rt.db.session() as session:
        with_calendars = set()
        if rt.push_enabled:
            with_calendars = set(
                session.scalars(
                    select(cal.connection_id)
                    .join(c, c.id == cal.connection_id)
                    .where(
                        c.status == "connected", c.connector.in_(push_names), _needs_channel(now)
                    )
                )
            )
        stale = {
            row.id
            for row in session.execute(
                select(c.id, c.stale_channels).where(c.status == "connected")
            )
            if row.stale_channels
        }
    return sorted(with_calendars | stale)


def renew_due(rt: SyncRuntime) -> int:
    """The worker job: maintain the channels of every connection that needs it."""
    done = 0
    for connection_id in due_connections(rt):
        if not state.claim(rt, connection_id):
            continue  # a sync holds it; the next round will do it
        try:
            maintain(rt, connection_id)
            done += 1
        except AuthError as err:
            state.reauth_required(rt, connection_id, err)
        except TransientError as err:
            log.info("channels of %s: %s (next round)", connection_id, err)
        finally:
            state.release(rt, connection_id)
    return done


def maintain(rt: SyncRuntime, connection_id: str) -> None:
    """Stop stale channels, then open or renew the ones that expire soon (lease held)."""
    now = rt.clock.now()
    with rt.db.session() as session:
        conn = session.get(IntegrationConnection, connection_id)
        if conn is None or conn.status != "connected":
            return
        cc = context.build(rt, session, conn)
        stale = list(conn.stale_channels or [])
        config = dict(conn.config or {})
        rows = (
            list(
                session.scalars(
                    select(IntegrationStream).where(
                        IntegrationStream.connection_id == connection_id, _needs_channel(now)
                    )
                )
            )
            if rt.push_enabled and cc.connector.manifest.supports_push
            else []
        )
        session.expunge_all()
    try:
        for item in stale:
            _stop(
                cc.connector,
                Channel(
                    item["id"],
                    item["resource_id"],
                    "",
                    None,
                    item.get("stream") or cc.stream(item.get("calendar_id", "")),
                ),
            )
        if stale:
            with rt.db.session() as session, transaction(session):
                fresh = session.get(IntegrationConnection, connection_id)
                if fresh is not None:
                    fresh.stale_channels = [s for s in fresh.stale_channels or [] if s not in stale]
        for row in rows:
            if row.technician_id is None:
                spec = next((s for s in cc.spec.streams if s.name == row.stream), None)
                if spec is None or not spec.pulls or not records.stream_enabled(cc, spec, config):
                    _not_watched(rt, row.id, now)
                    continue
            _renew(rt, cc, row)
    finally:
        cc.close()


def _not_watched(rt: SyncRuntime, row_id: str, now: datetime) -> None:
    """A stream the connection does not read: asked again later, like a refused watch."""
    with rt.db.session() as session, transaction(session):
        row = session.get(IntegrationStream, row_id)
        if row is not None and row.channel_id is None:
            row.channel_expires_at = now + RETRY_REFUSED


def _stop(connector: Connector, channel: Channel) -> None:
    try:
        connector.unsubscribe(channel)
    except (InvalidRequest, ConnectorError) as err:
        if isinstance(err, (AuthError, TransientError)):
            raise
        log.info("stopping channel %s: %s", channel.id, err)


def _stream_of(cc: context.ConnectionContext, row: IntegrationStream) -> str:
    """The connector stream a row watches: a calendar's, or a per-connection stream's name."""
    return row.stream if row.technician_id is None else cc.stream(row.remote_id)


def _channel_id(connector: Connector) -> str:
    """A new channel id, in the form the connector asks for (`new_channel_id`), else hex."""
    make = getattr(connector, "new_channel_id", None)
    return str(make()) if callable(make) else secrets.token_hex(16)


def _extend(rt: SyncRuntime, cc: context.ConnectionContext, row: IntegrationStream) -> bool:
    """Extend a live channel in place, for connectors that can (`renew`); True if handled.

    Gone (NotFound): False, a new channel is opened instead. Refused: the channel keeps
    running until it expires; the error is reported on the stream, on the connection and
    once as `integration.error`, and the next round tries again.
    """
    renew = getattr(cc.connector, "renew", None)
    now = rt.clock.now()
    if not callable(renew) or not row.channel_id or row.channel_expires_at is None:
        return False
    if row.channel_expires_at <= now:
        return False
    current = Channel(
        row.channel_id,
        row.channel_resource_id or "",
        crypto.decrypt_optional(rt.settings, row.channel_token) or "",
        row.channel_expires_at,
        _stream_of(cc, row),
    )
    try:
        renewed = renew(current)
    except ConnectorNotFound:
        log.info("channel %s is gone: opening a new one", row.channel_id)
        return False
    except (AuthError, TransientError):
        raise
    except ConnectorError as err:
        log.warning("renewal refused for channel %s: %s", row.channel_id, err)
        _refused(rt, cc, row.id, err)
        return True
    with rt.db.session() as session, transaction(session):
        cal = session.get(IntegrationStream, row.id)
        if cal is not None and cal.channel_id == current.id:
            cal.channel_expires_at = renewed.expires_at or cal.channel_expires_at
            cal.channel_error = None
    return True


def _refused(
    rt: SyncRuntime, cc: context.ConnectionContext, row_id: str, err: ConnectorError
) -> None:
    """A refused renewal: on the stream row and the connection; `integration.error` once."""
    now = rt.clock.now()
    message = str(err)[:2000]
    with rt.db.session() as session, transaction(session):
        cal = session.get(IntegrationStream, row_id)
        conn = session.get(IntegrationConnection, cc.connection_id)
        if cal is None or conn is None:
            return
        first = cal.channel_error != message
        cal.channel_error = message
        conn.last_error = message
        conn.last_error_code = str(err.reason or type(err).__name__)[:64]
        conn.last_error_at = now
        if first:
            state.error_event(session, conn, err, occurred_at=iso(now), channel_id=cal.channel_id)


def _renew(rt: SyncRuntime, cc: context.ConnectionContext, row: IntegrationStream) -> None:
    """Extend the stream's channel, or open a new one, save it, then stop the one replaced."""
    if _extend(rt, cc, row):
        return
    now = rt.clock.now()
    token = secrets.token_urlsafe(32)
    try:
        channel = cc.connector.subscribe(
            _stream_of(cc, row),
            rt.notification_url(cc.name),
            channel_id=_channel_id(cc.connector),
            token=token,
        )
    except (AuthError, TransientError):
        raise
    except ConnectorError as err:
        log.warning("watch refused for calendar %s: %s", row.remote_id, err)
        with rt.db.session() as session, transaction(session):
            cal = session.get(IntegrationStream, row.id)
            if cal is not None:
                cal.channel_error = str(err)[:2000]
                if cal.channel_id is None:
                    cal.channel_expires_at = now + RETRY_REFUSED
        return
    with rt.db.session() as session, transaction(session):
        cal = session.get(IntegrationStream, row.id)
        if cal is None:
            _stop(cc.connector, channel)
            return
        cal.channel_id = channel.id
        cal.channel_resource_id = channel.resource_id
        cal.channel_token = crypto.encrypt(rt.settings, channel.token)
        cal.channel_expires_at = channel.expires_at
        cal.channel_error = None
    if row.channel_id and row.channel_resource_id and row.channel_id != channel.id:
        _stop(
            cc.connector,
            Channel(row.channel_id, row.channel_resource_id, "", None, _stream_of(cc, row)),
        )


def stop_all(rt: SyncRuntime, connector: Connector, rows: list[IntegrationStream]) -> None:
    """Stop every open channel of a connection (disconnect); failures are only logged."""
    for row in rows:
        if row.channel_id and row.channel_resource_id:
            try:
                _stop(
                    connector,
                    Channel(
                        row.channel_id,
                        row.channel_resource_id,
                        "",
                        None,
                        f"{row.stream}:{row.remote_id}",
                    ),
                )
            except ConnectorError as err:
                log.warning("could not stop channel %s: %s", row.channel_id, err)


@lru_cache(maxsize=16)
def _verifier(name: str) -> Connector:
    """A connector instance used only to parse and verify notifications (no network)."""
    return connectors.get(name)(StaticTokenProvider(""), {})


def _push_verifier(name: str) -> Connector:
    """The verifier of a push-capable connector; NotFound for any other name."""
    try:
        connector_cls = connectors.get(name)
    except KeyError:
        raise NotFound("integration", name) from None
    if not connector_cls.manifest.supports_push:
        raise NotFound("integration", name)
    return _verifier(name)


def handshake(name: str, query: Mapping[str, str]) -> tuple[int, dict[str, str], bytes] | None:
    """The answer to a provider's endpoint validation (a `?validationToken=` query), or None.

    Answered before anything else: no body is read, no channel is looked up.
    """
    answer = getattr(_push_verifier(name), "handshake", None)
    result: tuple[int, dict[str, str], bytes] | None = answer(query) if answer else None
    return result


# Lifecycle states of batched notifications (a `lifecycleEvent` field).
REAUTHORIZE_STATES = frozenset({"reauthorizationRequired"})
RESUBSCRIBE_STATES = frozenset({"subscriptionRemoved"})


def _notified_batch(
    rt: SyncRuntime, name: str, verifier: Any, headers: Mapping[str, str], body: bytes
) -> dict[str, str]:
    """A body holding items of several channels: verify each channel, then act.

    Every known channel's items must carry its token (403 otherwise, nothing done); items
    of channels we no longer hold are ignored. A change or `missed` makes a pull due;
    `reauthorizationRequired` makes the channel due for renewal by the worker;
    `subscriptionRemoved` forgets the channel (the worker opens a new one) and pulls.
    """
    try:
        notes: list[Notification] = verifier.parse_notifications(headers, body)
    except ConnectorError as err:
        raise ApiError(400, "INVALID_NOTIFICATION", {"reason": str(err)[:200]}) from err
    ids = sorted({n.channel_id for n in notes})
    with rt.db.session() as session:
        rows = session.execute(
            select(IntegrationStream)
            .join(
                IntegrationConnection, IntegrationConnection.id == IntegrationStream.connection_id
            )
            .where(IntegrationStream.channel_id.in_(ids), IntegrationConnection.connector == name)
        ).scalars()
        known = {row.channel_id: row for row in rows if row.channel_token}
        session.expunge_all()
    if not known:
        raise ApiError(404, "UNKNOWN_CHANNEL", {"channel_id": ids[0][:64]})
    for row in known.values():
        expected = Channel(
            row.channel_id or "",
            row.channel_resource_id or "",
            crypto.decrypt(rt.settings, row.channel_token or ""),
            row.channel_expires_at,
        )
        if not verifier.verify_notification(headers, body, expected):
            raise ApiError(
                403, "INVALID_NOTIFICATION", {"reason": "channel token or resource mismatch"}
            )
    now = rt.clock.now()
    to_sync: set[str] = set()
    for note in notes:
        cal = known.get(note.channel_id)
        if cal is None:
            log.info("notification for unknown channel %s ignored", note.channel_id[:64])
            continue
        if note.state in REAUTHORIZE_STATES or note.state in RESUBSCRIBE_STATES:
            with rt.db.session() as session, transaction(session):
                fresh = session.get(IntegrationStream, cal.id)
                if fresh is not None and fresh.channel_id == note.channel_id:
                    if note.state in RESUBSCRIBE_STATES:
                        fresh.channel_id = fresh.channel_resource_id = None
                        fresh.channel_token = fresh.channel_expires_at = None
                    else:  # due for the channels job, which renews it (never extended here)
                        due = now + RENEW_BEFORE - timedelta(minutes=1)
                        current = fresh.channel_expires_at
                        fresh.channel_expires_at = min(current, due) if current else due
        if note.changed:
            to_sync.add(cal.id)
    for row_id in sorted(to_sync):
        _pull_due(rt, next(r for r in known.values() if r.id == row_id))
    return {"status": "queued" if to_sync else "ok"}


def _pull_due(rt: SyncRuntime, row: IntegrationStream) -> None:
    """A change on a stream's channel in a batched notification: that stream (a CRM module,
    one technician's calendar) gets a pull of its own; the others wait for their own
    notification or the schedule."""
    engine.request_stream_pull(rt, row.id)


def notified(rt: SyncRuntime, name: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """A push notification: check it came from our channel, then make a pull due."""
    verifier = _push_verifier(name)
    if hasattr(verifier, "parse_notifications"):
        return _notified_batch(rt, name, verifier, headers, body)
    try:
        note = verifier.parse_notification(headers, body)
    except ConnectorError as err:
        raise ApiError(400, "INVALID_NOTIFICATION", {"reason": str(err)[:200]}) from err
    with rt.db.session() as session:
        row = session.execute(
            select(IntegrationStream, IntegrationConnection.connector)
            .join(
                IntegrationConnection, IntegrationConnection.id == IntegrationStream.connection_id
            )
            .where(IntegrationStream.channel_id == note.channel_id)
        ).first()
    if row is None or row[1] != name or not row[0].channel_token:
        raise ApiError(404, "UNKNOWN_CHANNEL", {"channel_id": note.channel_id[:64]})
    cal: IntegrationStream = row[0]
    expected = Channel(
        cal.channel_id or "",
        cal.channel_resource_id or "",
        crypto.decrypt(rt.settings, cal.channel_token or ""),
        cal.channel_expires_at,
    )
    if not verifier.verify_notification(headers, body, expected):
        raise ApiError(
            403, "INVALID_NOTIFICATION", {"reason": "channel token or resource mismatch"}
        )
    if not note.changed:
        return {"status": "ok"}
    engine.request_stream_pull(rt, cal.id)  # the stream the channel watches, no other
    return {"status": "queued"}
