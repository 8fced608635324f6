"""Everything one sync run of one connection needs, built once per run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import connectors
from connectors.base import Connector, OAuth2Client, StreamSpec, SyncSpec
from hub.auth.guard import Principal
from hub.auth.scopes import ALL_SCOPES
from hub.integrations import mapping as sync_mapping
from hub.integrations.runtime import SyncRuntime
from hub.integrations.tokens import StoredTokenProvider
from hub.models import Account, IntegrationConnection, IntegrationStream
from mappings import FieldMapping, MappingError


@dataclass
class CalendarInfo:
    """A technician's linked calendar as the run saw it at start."""

    id: str
    technician_id: str
    calendar_id: str
    cursor: dict[str, Any] | None
    full_sync_started_at: datetime | None


@dataclass
class ConnectionContext:
    """One connection during one run: connector, mapping, tenant principal, calendars."""

    rt: SyncRuntime
    connection_id: str
    account_id: str
    environment: str
    name: str
    connector: Connector
    mapping: FieldMapping
    map_context: dict[str, Any]
    principal: Principal
    calendars: list[CalendarInfo]
    spec: SyncSpec
    stats: Counter[str] = field(default_factory=Counter)

    @property
    def calendar_spec(self) -> StreamSpec:
        """The connector's per-technician stream (the one the calendar engine syncs)."""
        return calendar_stream(self.spec)

    def stream(self, calendar_id: str) -> str:
        """The connector stream of one calendar ("events:<calendar id>")."""
        return f"{self.calendar_spec.name}:{calendar_id}"

    def calendar_of(self, technician_id: str | None) -> CalendarInfo | None:
        """The calendar linked to a technician, if any."""
        for cal in self.calendars:
            if cal.technician_id == technician_id:
                return cal
        return None

    def session(self) -> Session:
        """A new database session (the caller closes it)."""
        return self.rt.db.session()

    def close(self) -> None:
        """Release the connector's HTTP connections."""
        self.connector.close()


def oauth_client(
    rt: SyncRuntime, name: str, endpoints: dict[str, str] | None = None
) -> OAuth2Client:
    """The OAuth client of a connector, with the configured application and endpoints.

    `endpoints` are a connection's stored hosts: a spec with `oauth_urls` derives the
    connection's token and revocation URLs from them (one accounts server per region).
    """
    provider = rt.provider(name)
    urls = {**provider.oauth_options, **provider.oauth_endpoints()}
    spec = connectors.spec_of(name)
    if endpoints and spec.oauth_urls is not None:
        urls = {**urls, **spec.oauth_urls(endpoints)}
    return connectors.get(name).oauth_client(
        provider.client_id or "",
        provider.client_secret,
        rt.redirect_uri(name),
        **urls,
    )


# Pages as large as the provider allows (each connector clamps it to its remote's maximum):
# fewer round trips, and a crash costs at most one page, re-applied harmlessly.
SYNC_PAGE_SIZE = 2500


def connector_for(rt: SyncRuntime, conn: IntegrationConnection) -> Connector:
    """A connector bound to the stored tokens of `conn`."""
    cls = connectors.get(conn.connector)
    endpoints = dict(conn.endpoints or {})
    tokens = StoredTokenProvider(
        rt, conn.id, oauth_client(rt, conn.connector, endpoints), connector=conn.connector
    )
    config = {
        **rt.provider(conn.connector).connector_config(),
        "timeout": rt.http_timeout,
        "page_size": SYNC_PAGE_SIZE,
        "now": rt.clock.now,  # the runtime's clock dates what the connector dates (expiries)
        "mapped_fields": mapped_fields(conn),
        **endpoints,
        **(conn.config or {}),
    }
    return cls(tokens, config)


def mapped_fields(conn: IntegrationConnection) -> dict[str, list[str]]:
    """The custom remote fields the connection's mapping override names, by stream: a
    connector that must list the fields it reads reads these too."""
    if not conn.mapping_override:
        return {}
    try:
        stream = sync_mapping.mapped_stream(conn.connector)
        names = (
            sync_mapping.custom_names(
                sync_mapping.build(conn.connector, conn.mapping_override), stream
            )
            if stream is not None
            else []
        )
    except (ValueError, MappingError):
        return {}
    return {stream.name: names} if stream is not None and names else {}


def principal_for(conn: IntegrationConnection) -> Principal:
    """Who inbound changes act as: the connection itself, within its tenant."""
    return Principal(conn.account_id, conn.environment, ALL_SCOPES, f"integration:{conn.id}")


def calendar_stream(spec: SyncSpec) -> StreamSpec:
    """The per-technician stream of a spec (ValueError for a connector without one)."""
    stream = spec.per_technician_stream()
    if stream is None:
        raise ValueError("this connector has no per-technician stream")
    return stream


def load_calendars(session: Session, connection_id: str) -> list[CalendarInfo]:
    """The connection's linked calendars (its per-technician stream rows)."""
    rows = session.scalars(
        select(IntegrationStream)
        .where(
            IntegrationStream.connection_id == connection_id,
            IntegrationStream.technician_id.is_not(None),
        )
        .order_by(IntegrationStream.created_at, IntegrationStream.id)
    )
    return [
        CalendarInfo(r.id, r.technician_id or "", r.remote_id, r.cursor, r.full_sync_started_at)
        for r in rows
    ]


def build(rt: SyncRuntime, session: Session, conn: IntegrationConnection) -> ConnectionContext:
    """The context of a run over `conn` (its connector is opened: close it)."""
    account = session.get(Account, conn.account_id)
    tz = account.timezone if account is not None else "Europe/Paris"
    return ConnectionContext(
        rt=rt,
        connection_id=conn.id,
        account_id=conn.account_id,
        environment=conn.environment,
        name=conn.connector,
        connector=connector_for(rt, conn),
        mapping=sync_mapping.build(conn.connector, conn.mapping_override),
        map_context={"time_zone": tz},
        principal=principal_for(conn),
        calendars=load_calendars(session, conn.id),
        spec=connectors.spec_of(conn.connector),
    )
