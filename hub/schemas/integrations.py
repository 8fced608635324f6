"""Integrations: connection status, connect/sync answers, mapping overrides, calendar links."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from hub.schemas.common import Id, Out, Strict


class ConnectedAs(Out):
    """The remote account a connection uses."""

    id: str
    email: str | None = None
    name: str | None = None


class IntegrationError(Out):
    """The last error of a connection."""

    code: str | None = None
    message: str | None = None
    at: datetime | None = None


class RemoteField(Out):
    """A field of the remote container, from its field metadata (discovered at connect)."""

    name: str = Field(examples=["Numero_Client"], description="the remote API name")
    label: str | None = Field(default=None, examples=["Numéro client"])
    type: str | None = Field(default=None, examples=["text"])
    custom: bool = False


class IntegrationStreamOut(Out):
    """One stream a connection syncs (e.g. `contacts`, `leads`)."""

    name: str = Field(examples=["leads"])
    local_type: str = Field(examples=["customer"])
    direction: str = Field(examples=["pull"], description="both | pull | push")
    optional: bool = Field(description="the connection may leave it unread (PATCH `streams`)")
    enabled: bool
    last_pulled_at: datetime | None = None
    watched: bool = Field(False, description="a push channel notifies its changes")
    fields: list[RemoteField] | None = Field(
        default=None, description="the remote fields discovered at connect (None: not yet)"
    )


class RemoteUsage(Out):
    """The remote's own limits as it last reported them (e.g. Zoho's API credits)."""

    limit: int | None = Field(default=None, description="credits allowed in the window")
    remaining: int | None = None
    used: int | None = Field(default=None, description="limit - remaining")
    window: str | None = Field(default=None, examples=["24h"])
    reported_at: datetime | None = None


class IntegrationSettingsUpdate(Strict):
    """PATCH /v2/integrations/:name: the connection's settings (only what is sent changes)."""

    streams: dict[str, bool] | None = Field(
        default=None,
        examples=[{"leads": True}],
        description="turn optional streams on or off, by name (422 UNKNOWN_STREAM otherwise)",
    )


class IntegrationOut(Out):
    """A connector and this account's connection to it."""

    name: str = Field(examples=["google-calendar"])
    display_name: str
    status: str = Field(
        examples=["connected"], description="disconnected | connected | reauth_required"
    )
    configured: bool = Field(description="the hub has an OAuth application for it")
    supports_push: bool
    connected_as: ConnectedAs | None = None
    scopes: list[str] = Field(default_factory=list)
    connected_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_sync_status: str | None = None
    last_error: IntegrationError | None = None
    next_sync_at: datetime | None = None
    backoff_until: datetime | None = None
    sync_interval: int
    technicians_linked: int = 0
    pending_pushes: int = 0
    mapping_overridden: bool = False
    last_stats: dict[str, int] = Field(default_factory=dict)
    streams: list[IntegrationStreamOut] = Field(
        default_factory=list, description="the record streams (calendars are listed apart)"
    )
    usage: RemoteUsage | None = Field(
        default=None, description="what the remote last reported of its API limits"
    )


class IntegrationList(Out):
    """Every registered connector and its status for the account."""

    data: list[IntegrationOut]


class ConnectOut(Out):
    """Where to send the user: the provider's consent page (valid until `expires_at`)."""

    authorization_url: str
    expires_at: datetime


class DisconnectOut(Out):
    """The connection after DELETE."""

    integration: str
    status: str
    revoked: bool = Field(description="the provider confirmed the grant is revoked")


class SyncQueued(Out):
    """A sync the worker will run shortly."""

    integration: str
    status: str = Field(examples=["queued"])
    next_sync_at: datetime | None = None
    backoff_until: datetime | None = None


class MappingOverride(Strict):
    """An account's change to the built-in mapping; an empty body restores the built-in one."""

    # Rules replace the built-in ones with the same direction and target.

    defaults: dict[str, Any] | None = None
    rules: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    remove: list[dict[str, Any]] | None = Field(default=None, max_length=100)


class MappingOut(Out):
    """The account's override and the resulting rules."""

    integration: str
    override: dict[str, Any] | None = None
    time_zone: str
    rules: list[dict[str, Any]]


class MappingPreviewIn(Strict):
    """What to preview, optionally with a draft override to try.

    `appointment_id` (a calendar connector) or `customer_id` (a connector mapping customers,
    e.g. a CRM): what that object becomes remotely (local → remote). `remote`: what a remote
    record (as the provider returns it) means locally (remote → local). One of them.
    """

    appointment_id: Id | None = None
    customer_id: Id | None = None
    remote: dict[str, Any] | None = None
    mapping: MappingOverride | None = None

    @model_validator(mode="after")
    def _one_side(self) -> MappingPreviewIn:
        given = [v for v in (self.appointment_id, self.customer_id, self.remote) if v is not None]
        if len(given) != 1:
            raise ValueError("give one of appointment_id, customer_id or remote")
        return self


class MappingPreviewOut(Out):
    """What the appointment (or customer) becomes remotely, or what the remote record means
    locally."""

    direction: Literal["outbound", "inbound"] = "outbound"
    appointment_id: str | None = None
    customer_id: str | None = None
    calendar_id: str | None = None
    payload: dict[str, Any]


class TechnicianLinkOut(Out):
    """A technician and the remote calendar his appointments go to."""

    technician_id: str
    technician_name: str
    email: str | None = None
    calendar_id: str | None = None
    linked_by: str | None = None
    last_pulled_at: datetime | None = None
    channel_expires_at: datetime | None = None
    channel_error: str | None = None


class TechnicianLinkList(Out):
    """Every technician's calendar, and the calendars the connected account has."""

    data: list[TechnicianLinkOut]
    calendars: list[dict[str, Any]]


class TechnicianLinkUpdate(Strict):
    """PUT …/links/technicians/:id — a calendar id of the connected account, or null."""

    calendar_id: str | None = Field(min_length=1, max_length=320)


class NotificationOut(Out):
    """The answer to a provider's push notification."""

    status: str = Field(examples=["queued"])
