"""Integration connections seen from the API: status, sync now, mapping, technician calendars.

Connect, callback and disconnect talk to the provider and live in hub/integrations/connect.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import Any

import yaml
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import connectors
import mappings
from connectors.base import Manifest
from hub import representations as rep
from hub.auth.guard import Principal
from hub.db import get_db, transaction
from hub.errors import ApiError
from hub.ids import new_id
from hub.integrations import channels, connect, links, streams
from hub.integrations import mapping as sync_mapping
from hub.integrations.connect import connector_class
from hub.integrations.engine import interval_of
from hub.integrations.outbox import mark_pending
from hub.integrations.runtime import SyncRuntime
from hub.models import (
    Account,
    Appointment,
    Customer,
    IntegrationConnection,
    IntegrationLink,
    IntegrationOAuthState,
    IntegrationStream,
    Technician,
)
from hub.schemas.integrations import (
    IntegrationSettingsUpdate,
    MappingOverride,
    MappingPreviewIn,
    TechnicianLinkUpdate,
)
from hub.services.integration_inbound import local_services
from hub.services.tenancy import get_owned
from hub.timeutil import iso
from mappings import MappingError


def _find(
    session: Session, p: Principal, name: str, *, lock: bool = False
) -> IntegrationConnection | None:
    stmt = select(IntegrationConnection).where(
        IntegrationConnection.account_id == p.account_id,
        IntegrationConnection.environment == p.environment,
        IntegrationConnection.connector == name,
    )
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def _ensure(session: Session, p: Principal, name: str) -> IntegrationConnection:
    """The connection row (created disconnected: a mapping can be set before connecting)."""
    conn = _find(session, p, name, lock=True)
    if conn is None:
        conn = IntegrationConnection(
            id=new_id("conn"),
            account_id=p.account_id,
            environment=p.environment,
            connector=name,
            status="disconnected",
            config={},
            calendars=[],
            stale_channels=[],
            unlinked_technicians=[],
            failure_count=0,
            last_stats={},
        )
        session.add(conn)
        session.flush()
    return conn


def _connected(
    session: Session, p: Principal, name: str, lock: bool = False
) -> IntegrationConnection:
    conn = _find(session, p, name, lock=lock)
    if conn is None or conn.status == "disconnected":
        raise ApiError(409, "INTEGRATION_NOT_CONNECTED", {"integration": name}, name=name)
    return conn


def _status(
    rt: SyncRuntime, session: Session, manifest: Manifest, conn: IntegrationConnection | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": manifest.name,
        "display_name": manifest.display_name,
        "status": conn.status if conn else "disconnected",
        "configured": rt.provider(manifest.name).configured,
        "supports_push": manifest.supports_push,
        "connected_as": None,
        "scopes": [],
        "connected_at": None,
        "last_sync_at": None,
        "last_sync_status": None,
        "last_error": None,
        "next_sync_at": None,
        "backoff_until": None,
        "sync_interval": manifest.default_sync_interval,
        "technicians_linked": 0,
        "pending_pushes": 0,
        "mapping_overridden": False,
        "last_stats": {},
        "streams": [],
        "usage": None,
    }
    spec = connectors.spec_of(manifest.name)
    rows: dict[str, IntegrationStream] = {}
    if conn is not None:
        rows = {
            r.stream: r
            for r in session.scalars(
                select(IntegrationStream).where(
                    IntegrationStream.connection_id == conn.id,
                    IntegrationStream.technician_id.is_(None),
                )
            )
        }
    out["streams"] = [
        {**item, "last_pulled_at": iso(item["last_pulled_at"])}
        for item in streams.summary(spec, (conn.config or {}) if conn else {}, rows)
    ]
    if conn is None:
        return out
    if conn.remote_usage:
        out["usage"] = dict(conn.remote_usage)
    if conn.remote_account_id and conn.status != "disconnected":
        out["connected_as"] = {
            "id": conn.remote_account_id,
            "email": conn.remote_email,
            "name": conn.remote_name,
        }
        out["scopes"] = conn.scopes.split() if conn.scopes else []
    if conn.last_error:
        out["last_error"] = {
            "code": conn.last_error_code,
            "message": conn.last_error,
            "at": iso(conn.last_error_at),
        }
    out.update(
        connected_at=iso(conn.connected_at),
        last_sync_at=iso(conn.last_sync_at),
        last_sync_status=conn.last_sync_status,
        next_sync_at=iso(conn.next_sync_at),
        backoff_until=iso(conn.backoff_until),
        sync_interval=interval_of(conn),
        mapping_overridden=bool(conn.mapping_override),
        last_stats=dict(conn.last_stats or {}),
    )
    out["technicians_linked"] = (
        session.scalar(
            select(func.count()).where(
                IntegrationStream.connection_id == conn.id,
                IntegrationStream.technician_id.is_not(None),
            )
        )
        or 0
    )
    out["pending_pushes"] = (
        session.scalar(
            select(func.count()).where(
                IntegrationLink.connection_id == conn.id, IntegrationLink.pending.is_(True)
            )
        )
        or 0
    )
    return out


def list_(rt: SyncRuntime, session: Session, p: Principal) -> dict[str, Any]:
    """Every registered connector with the account's status."""
    rows = {
        c.connector: c
        for c in session.scalars(
            select(IntegrationConnection).where(
                IntegrationConnection.account_id == p.account_id,
                IntegrationConnection.environment == p.environment,
            )
        )
    }
    return {"data": [_status(rt, session, m, rows.get(m.name)) for m in connectors.all_manifests()]}


def get(rt: SyncRuntime, session: Session, p: Principal, name: str) -> dict[str, Any]:
    """One connector's status for the account."""
    manifest = connector_class(name).manifest
    return _status(rt, session, manifest, _find(session, p, name))


def update_settings(
    rt: SyncRuntime, session: Session, p: Principal, name: str, body: IntegrationSettingsUpdate
) -> dict[str, Any]:
    """Change a connection's settings (its optional streams); the status as GET shows it.

    Settable before connecting, like the mapping: the connection row is made disconnected.
    """
    manifest = connector_class(name).manifest
    spec = connectors.spec_of(name)
    with transaction(session):
        conn = _ensure(session, p, name)
        if body.streams is not None:
            streams.set_enabled(session, spec, conn, body.streams, rt.clock.now())
    return _status(rt, session, manifest, _find(session, p, name))


def request_sync(rt: SyncRuntime, session: Session, p: Principal, name: str) -> dict[str, Any]:
    """Queue a sync (and a fresh look at the calendar list) for the worker."""
    connector_class(name)
    now = rt.clock.now()
    with transaction(session):
        conn = _connected(session, p, name, lock=True)
        if conn.status != "connected":
            raise ApiError(
                409,
                "INTEGRATION_NOT_CONNECTED",
                {"integration": name, "status": conn.status},
                name=name,
            )
        if conn.next_sync_at is None or conn.next_sync_at > now:
            conn.next_sync_at = now
        conn.refresh_calendars = True
        return {
            "integration": name,
            "status": "queued",
            "next_sync_at": iso(max(now, conn.backoff_until or now)),
            "backoff_until": iso(conn.backoff_until),
        }


def _rules(mapping: sync_mapping.FieldMapping) -> list[dict[str, Any]]:
    return [dict(rule.spec) for rule in mapping.rules]


def _validated(
    name: str, body: MappingOverride | None
) -> tuple[dict[str, Any] | None, sync_mapping.FieldMapping]:
    override = body.model_dump(exclude_none=True) if body is not None else None
    try:
        return override or None, sync_mapping.build(name, override or None)
    except MappingError as err:
        raise ApiError(
            422,
            "MAPPING_INVALID",
            {"message": str(err), "path": err.path, "line": err.line},
            reason=err.message,
        ) from err


def _check_remote_fields(
    session: Session, conn: IntegrationConnection, mapping: sync_mapping.FieldMapping
) -> None:
    """422 MAPPING_INVALID when the mapping names a remote field the connection's remote does
    not have (its field metadata, discovered at connect; not checked before it is known)."""
    stream = sync_mapping.mapped_stream(conn.connector)
    if stream is None:
        return
    known = session.scalar(
        select(IntegrationStream.remote_fields).where(
            IntegrationStream.connection_id == conn.id,
            IntegrationStream.stream == stream.name,
            IntegrationStream.technician_id.is_(None),
        )
    )
    if known is None:
        return
    names = {str(f.get("name")) for f in known}
    missing = [n for n in sync_mapping.custom_names(mapping, stream) if n not in names]
    if missing:
        custom = sorted(str(f.get("name")) for f in known if f.get("custom"))
        raise ApiError(
            422,
            "MAPPING_INVALID",
            {
                "message": f"no field {missing[0]!r} in the remote's {stream.name}",
                "fields": missing,
                "stream": stream.name,
                "custom_fields": custom,
            },
            reason=f"{stream.name} has no field {missing[0]}",
        )


def get_mapping(session: Session, p: Principal, name: str) -> dict[str, Any]:
    """The account's override and the effective rules."""
    connector_class(name)
    conn = _find(session, p, name)
    override = conn.mapping_override if conn else None
    mapping = sync_mapping.build(name, override)
    return {
        "integration": name,
        "override": override,
        "time_zone": mapping.time_zone,
        "rules": _rules(mapping),
    }


def set_mapping(session: Session, p: Principal, name: str, body: MappingOverride) -> dict[str, Any]:
    """Validate and store the account's override; linked events are pushed again if changed."""
    connector_class(name)
    override, mapping = _validated(name, body)
    with transaction(session):
        conn = _ensure(session, p, name)
        _check_remote_fields(session, conn, mapping)
        conn.mapping_override = override
        rows = session.execute(
            select(IntegrationLink.stream, IntegrationLink.local_type, IntegrationLink.local_id)
            .where(IntegrationLink.connection_id == conn.id)
            .order_by(IntegrationLink.stream, IntegrationLink.local_type)
        ).all()
        for (stream, local_type), group in groupby(rows, key=lambda r: (r[0], r[1])):
            ids = [r[2] for r in group]
            mark_pending(
                session,
                conn.id,
                conn.account_id,
                conn.environment,
                ids,
                stream=stream,
                local_type=local_type,
            )
    return {
        "integration": name,
        "override": override,
        "time_zone": mapping.time_zone,
        "rules": _rules(mapping),
    }


# The local object a connector's mapping applies to, and how a preview names it.
PREVIEWED = {"appointment": "appointment_id", "customer": "customer_id"}


def preview_kind(name: str) -> str | None:
    """What the connector's mapping turns into remote records (its mapped stream's local
    type: `appointment` for a calendar, `customer` for a CRM), None when it maps nothing
    a preview can show."""
    try:
        stream = sync_mapping.mapped_stream(name)
    except ValueError:  # a connector declaring no mapping
        return None
    if stream is None or stream.local_type not in PREVIEWED:
        return None
    return stream.local_type


def _check_kind(name: str, kind: str) -> None:
    expected = preview_kind(name)
    if expected != kind:
        field = PREVIEWED.get(expected or "", "remote")
        raise ApiError(
            422,
            "PREVIEW_KIND",
            {"field": field, "local_type": expected},
            field=field,
        )


def preview(session: Session, p: Principal, name: str, body: MappingPreviewIn) -> dict[str, Any]:
    """What an appointment or a customer (whichever the connector maps) would become remotely,
    or what a remote record means locally (with the stored or a draft override).

    422 `PREVIEW_KIND` for an appointment given to a connector mapping customers, or the
    other way round."""
    connector_class(name)
    conn = _find(session, p, name)
    if body.mapping is not None:
        _, mapping = _validated(name, body.mapping)
    else:
        mapping = sync_mapping.build(name, conn.mapping_override if conn else None)
    account = session.get(Account, p.account_id)
    context = {"time_zone": account.timezone if account else mapping.time_zone}
    if body.remote is not None:  # remote → local
        meaning = mappings.preview_inbound(mapping, body.remote, context)
        return {"direction": "inbound", "appointment_id": None, "payload": meaning}
    if body.customer_id is not None:
        _check_kind(name, "customer")
        customer = get_owned(session, Customer, str(body.customer_id), p)
        payload = mappings.apply(mapping, "outbound", rep.customer(customer), context)
        return {
            "direction": "outbound",
            "appointment_id": None,
            "customer_id": customer.id,
            "payload": payload,
        }
    _check_kind(name, "appointment")
    appointment = get_owned(session, Appointment, str(body.appointment_id), p)
    link = calendar = None
    if conn is not None:
        link = session.scalars(
            select(IntegrationLink).where(
                IntegrationLink.connection_id == conn.id,
                IntegrationLink.local_id == appointment.id,
            )
        ).first()
        calendar = session.scalars(
            select(IntegrationStream.remote_id).where(
                IntegrationStream.connection_id == conn.id,
                IntegrationStream.technician_id == appointment.technician_id,
            )
        ).first()
    payload = sync_mapping.render(
        mapping, rep.appointment(appointment), context, link.title if link else None
    )
    return {
        "direction": "outbound",
        "appointment_id": appointment.id,
        "calendar_id": calendar,
        "payload": payload,
    }


def list_links(session: Session, p: Principal, name: str) -> dict[str, Any]:
    """Each technician and his calendar."""
    connector_class(name)
    conn = _find(session, p, name)
    rows = {}
    if conn is not None:
        rows = {
            r.technician_id: r
            for r in session.scalars(
                select(IntegrationStream).where(IntegrationStream.connection_id == conn.id)
            )
        }
    data = []
    for tech in session.scalars(
        select(Technician)
        .where(Technician.account_id == p.account_id, Technician.environment == p.environment)
        .order_by(Technician.name, Technician.id)
    ):
        row = rows.get(tech.id)
        data.append(
            {
                "technician_id": tech.id,
                "technician_name": tech.name,
                "email": tech.email,
                "calendar_id": row.remote_id if row else None,
                "linked_by": row.linked_by if row else None,
                "last_pulled_at": iso(row.last_pulled_at) if row else None,
                "channel_expires_at": iso(row.channel_expires_at) if row else None,
                "channel_error": row.channel_error if row else None,
            }
        )
    return {"data": data, "calendars": list(conn.calendars or []) if conn else []}


def set_link(
    rt: SyncRuntime,
    session: Session,
    p: Principal,
    name: str,
    technician_id: str,
    body: TechnicianLinkUpdate,
) -> dict[str, Any]:
    """Send a technician's appointments to another calendar (null: to none)."""
    connector_class(name)
    now = rt.clock.now()
    with transaction(session):
        tech = get_owned(session, Technician, technician_id, p)
        conn = _connected(session, p, name, lock=True)
        current = session.scalars(
            select(IntegrationStream).where(
                IntegrationStream.connection_id == conn.id,
                IntegrationStream.technician_id == tech.id,
            )
        ).first()
        unlinked = [t for t in conn.unlinked_technicians or [] if t != tech.id]
        if body.calendar_id is None:
            unlinked.append(tech.id)  # and do not link him again by his e-mail
            if current is not None:
                links.unlink(session, conn, current)
        else:
            known = {str(c.get("id")) for c in conn.calendars or []}
            if body.calendar_id not in known:
                raise ApiError(
                    422,
                    "UNKNOWN_CALENDAR",
                    {
                        "errors": [
                            {
                                "field": "calendar_id",
                                "reason": "not_found",
                                "message": "not a calendar of the connected account "
                                "(POST …/sync refreshes the list)",
                            }
                        ],
                        "calendars": sorted(known),
                    },
                )
            entry = next(c for c in conn.calendars or [] if str(c.get("id")) == body.calendar_id)
            if entry.get("writable") is False:
                raise ApiError(
                    422,
                    "CALENDAR_NOT_WRITABLE",
                    {
                        "errors": [
                            {
                                "field": "calendar_id",
                                "reason": "read_only",
                                "message": "the connected account may not write events to "
                                f"this calendar (its role: {entry.get('access_role')}); "
                                "give it write access, then POST …/sync",
                            }
                        ],
                        "calendar_id": body.calendar_id,
                        "access_role": entry.get("access_role"),
                    },
                )
            owner = session.scalars(
                select(IntegrationStream.technician_id).where(
                    IntegrationStream.connection_id == conn.id,
                    IntegrationStream.remote_id == body.calendar_id,
                )
            ).first()
            if owner is not None and owner != tech.id:
                raise ApiError(
                    409,
                    "CALENDAR_ALREADY_LINKED",
                    {"calendar_id": body.calendar_id, "technician_id": owner},
                )
            links.link(session, conn, tech.id, body.calendar_id, "manual", now)
        conn.unlinked_technicians = unlinked
    return next(r for r in list_links(session, p, name)["data"] if r["technician_id"] == tech.id)


# ------------------------------------------------------------ runtime, connect flow, channels
# The provider-facing steps live in hub/integrations/connect.py; these are the one door to
# them, for the API, the dashboard and the callback page.


def runtime_for(app: Flask) -> SyncRuntime:
    """The integration runtime of a web application (built on first use; tests may replace it).

    Built with the services' operations, so remote changes follow the API's rules.
    """
    rt = app.extensions.get("ivalid_sync")
    if rt is None:
        rt = app.extensions["ivalid_sync"] = SyncRuntime(
            get_db(app), app.config["IVALID"], local=local_services()
        )
    assert isinstance(rt, SyncRuntime)
    if rt.local is None:
        rt.local = local_services()
    return rt


def start_connect(
    rt: SyncRuntime, p: Principal, name: str, binding: str | None = None
) -> dict[str, Any]:
    """The provider's consent URL; `binding` ties the link to the browser session asking."""
    return connect.start(rt, p, name, binding)


def pending_connect(rt: SyncRuntime, name: str, state: str) -> IntegrationOAuthState | None:
    """A connect link still waiting for its callback (who started it, bound or not)."""
    return connect.pending(rt, name, state)


def finish_connect(
    rt: SyncRuntime,
    name: str,
    args: dict[str, str],
    binding: str | None = None,
    confirmed_account: str | None = None,
) -> connect.Outcome:
    """The callback: finish a connect link held by this session or confirmed by its account."""
    return connect.finish(rt, name, args, binding, confirmed_account)


def disconnect(rt: SyncRuntime, p: Principal, name: str) -> dict[str, Any]:
    """Stop syncing and revoke the provider's grant."""
    return connect.disconnect(rt, p, name)


def mapping_yaml(session: Session, p: Principal, name: str) -> str:
    """The account's override as YAML text ("" when the built-in mapping is used)."""
    override = get_mapping(session, p, name)["override"]
    if not override:
        return ""
    return yaml.safe_dump(override, allow_unicode=True, sort_keys=False)


def _parse_yaml_override(name: str, text: str) -> MappingOverride | None:
    """Check YAML typed in the editor; 422 MAPPING_INVALID with the engine's line otherwise."""
    if not text.strip():
        return None
    try:
        mappings.with_override(sync_mapping.build(name, None), text, source="mapping")
    except MappingError as err:
        raise ApiError(
            422,
            "MAPPING_INVALID",
            {"message": str(err), "path": err.path, "line": err.line},
            reason=err.message,
        ) from err
    data = yaml.safe_load(text)
    return MappingOverride.model_validate(data)


def set_mapping_yaml(session: Session, p: Principal, name: str, text: str) -> dict[str, Any]:
    """Store an override typed as YAML (empty: back to the built-in mapping)."""
    connector_class(name)
    return set_mapping(session, p, name, _parse_yaml_override(name, text) or MappingOverride())


def preview_yaml(
    session: Session, p: Principal, name: str, text: str, object_id: str
) -> dict[str, Any]:
    """What an appointment or customer (whichever the connector maps, see `preview_kind`)
    becomes remotely with the YAML typed (or the stored override)."""
    connector_class(name)
    draft = _parse_yaml_override(name, text)
    field = PREVIEWED.get(preview_kind(name) or "", "appointment_id")
    body = MappingPreviewIn.model_validate({field: object_id or None, "mapping": draft})
    return preview(session, p, name, body)


def display_name(name: str) -> str:
    """The connector's name as people know it (the name itself for an unknown connector)."""
    try:
        return connector_class(name).manifest.display_name
    except ApiError:
        return name


def notification_handshake(
    name: str, query: Mapping[str, str]
) -> tuple[int, dict[str, str], bytes] | None:
    """The answer to a provider's endpoint validation, or None when it is not one."""
    return channels.handshake(name, query)


def notified(rt: SyncRuntime, name: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """A push notification: checked against our channel, then a pull is made due."""
    return channels.notified(rt, name, headers, body)
