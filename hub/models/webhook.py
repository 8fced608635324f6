"""Webhook endpoints, their deliveries (one per event and endpoint) and the attempt log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime
from hub.models._common import TenantOwned

DELIVERY_STATUSES = ("pending", "succeeded", "failed", "cancelled")


class WebhookEndpoint(TenantOwned, Base):
    """A URL of one account's environment subscribed to event types, with its signing secrets.

    Secrets are kept encrypted (`hub.crypto`): signing needs them in clear, so they
    cannot be hashed like API keys. During a rotation `previous_secret` still signs until
    `previous_secret_expires_at`.
    """

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Events in a row whose every attempt failed; 20 disables the endpoint.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # A REST hook of an automation platform ("zapier" | "make"), None for a /v2/webhooks
    # endpoint. A hook is subscribed to one event, owned by the credential that made it
    # (`owner_credential`, and `grant_id` when that credential is a grant's token), and is
    # removed (inactive, `disabled_reason` "gone" / "unsubscribed" / "grant_revoked") rather
    # than deleted, so its delivery log stays readable.
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    grant_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    owner_credential: Mapped[str | None] = mapped_column(String(80), nullable=True)


class WebhookDelivery(Base):
    """One event to one endpoint: a work item claimed by workers, retried at due times.

    The state machine: `pending` (due at `next_attempt_at`; a worker holding it sets
    `claimed_by` and `lease_until`) → `succeeded` | `failed` (every attempt failed, or 410) |
    `cancelled` (the endpoint was disabled). A manual retry or a recovery puts it back to
    `pending` with a fresh run of attempts (`run_attempts` = 0).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
        Index("ix_webhook_deliveries_claim", "claimed_by", "lease_until"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(12))
    endpoint_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    # The exact bytes sent, built once from the event at fan-out: every attempt, retry,
    # recovery and duplicate carries the same body (and signatures over it).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)  # every attempt ever made
    run_attempts: Mapped[int] = mapped_column(Integer, default=0)  # attempts of the current run
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(40), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery, as the delivery log shows it."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_delivery", "delivery_id", "number"),
        Index("ix_webhook_attempts_attempted_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    delivery_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[str] = mapped_column(String(40), index=True)
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    success: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text, default="")  # the first 1 KB
    error: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)
