"""Integration connections: tokens, streams (cursors, channels), local↔remote links, states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime
from hub.models._common import TenantOwned

CONNECTION_STATUSES = ("disconnected", "connected", "reauth_required")


class IntegrationConnection(TenantOwned, Base):
    """One account's link to one remote system: tokens (encrypted), sync schedule and lease.

    `next_sync_at` says when a pull is due; `backoff_until` holds it back after a transient
    error. The sync lease (`lease_owner`/`lease_until`) makes one worker at a time sync a
    connection; the token lease makes one process at a time refresh its tokens.
    """

    __tablename__ = "integration_connections"
    __table_args__ = (
        UniqueConstraint("account_id", "environment", "connector"),
        Index("ix_integration_connections_due", "status", "next_sync_at"),
    )

    connector: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="disconnected")
    remote_account_id: Mapped[str | None] = mapped_column(String(320), nullable=True)
    remote_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    remote_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    scopes: Mapped[str] = mapped_column(Text, default="")
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet
    refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet
    # msal's serialised token cache (Outlook), Fernet; NULL: the generic token columns rule.
    token_cache: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The token endpoint's whole answer (encrypted JSON): per-connection facts live there.
    token_response: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet
    # Hosts chosen per connection (at connect time or from the token response), by name.
    endpoints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    token_lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    token_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    calendars: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mapping_override: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    refresh_calendars: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_sync_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Channels of calendars relinked or unlinked, to stop with the provider (a worker job).
    stale_channels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Technicians unlinked on purpose: not linked again automatically by their e-mail.
    unlinked_technicians: Mapped[list[str]] = mapped_column(JSON, default=list)


class IntegrationStream(TenantOwned, Base):
    """One stream of a connection (its spec names it), with its pull cursor and push channel.

    A stream is what a connector reads and writes: the events of one technician's calendar,
    the contacts of a CRM module. `remote_id` says which remote container it is (a calendar id,
    a module name); `technician_id` is set for per-technician streams. `cursor` is the
    connector's resumable position; the channel columns hold its push subscription, if any.
    """

    __tablename__ = "integration_streams"
    __table_args__ = (
        UniqueConstraint("connection_id", "stream", "technician_id"),
        UniqueConstraint("connection_id", "stream", "remote_id"),
    )

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("integration_connections.id", ondelete="CASCADE"), index=True
    )
    stream: Mapped[str] = mapped_column(String(64))
    technician_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("technicians.id", ondelete="CASCADE"), index=True, nullable=True
    )
    remote_id: Mapped[str] = mapped_column(String(320))
    linked_by: Mapped[str] = mapped_column(String(12), default="auto")  # auto | manual
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Set when a full listing starts: busy rows and links not seen since were deleted remotely.
    full_sync_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A pull of this stream alone is due (a push notification for it): the connection's run
    # pulls it even when the connection's scheduled pull (`next_sync_at`) is not due.
    pull_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    channel_resource_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    channel_token: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet
    channel_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    channel_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class IntegrationLink(TenantOwned, Base):
    """A local object and the remote object that mirrors it, and what each side last showed.

    (`local_type`, `local_id`) names the local object (an appointment, a customer);
    `stream` the spec stream it syncs through and `remote_parent` the remote container the
    remote object lives in (a calendar id). `remote_version` is the version (etag) of the
    remote object we last wrote or read: a pulled object with that version is our own write
    coming back. `payload_hash` fingerprints the payload the remote object is known to show,
    so a push that would change nothing is skipped. `pending` asks the worker to push the
    local object's current state; `pending_seq` counts those requests so a push racing a newer
    change leaves the link pending. `title` is a title the remote user gave the object (for
    appointments, which have none): later pushes keep it.
    """

    __tablename__ = "integration_links"
    __table_args__ = (
        UniqueConstraint("connection_id", "local_type", "local_id"),
        Index("ix_integration_links_local", "local_type", "local_id"),
        Index("ix_integration_links_remote", "connection_id", "remote_id"),
        Index("ix_integration_links_pending", "connection_id", "pending"),
    )

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("integration_connections.id", ondelete="CASCADE")
    )
    stream: Mapped[str] = mapped_column(String(64))
    local_type: Mapped[str] = mapped_column(String(32))
    local_id: Mapped[str] = mapped_column(String(40))
    remote_parent: Mapped[str | None] = mapped_column(String(320), nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    remote_state: Mapped[str] = mapped_column(String(12), default="none")  # none | live | deleted
    remote_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_seq: Mapped[int] = mapped_column(Integer, default=0)
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    push_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IntegrationOAuthState(Base):
    """A pending consent: single-use, short-lived, bound to an account and environment.

    Only the state's SHA-256 is stored; the PKCE verifier never leaves the server (encrypted).
    """

    __tablename__ = "integration_oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(12))
    connector: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(Text)  # Fernet
    # SHA-256 of a nonce kept in the dashboard session that asked (None: started by the API,
    # then a signed-in user of the account must finish it): the link is not a bearer capability.
    binding_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
