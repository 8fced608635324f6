"""Online payments: an account's Stripe connection, appointment payments, Stripe's events.

The Stripe connection has its own table, not `integration_connections`: that table's rows
are what the calendar engine syncs and pushes appointments to (every connection with a
remote account receives every appointment change today), so a payments connection there
would be handed calendar work. When the generic connection model lands, these columns move
to it and the payments consumer is declared by the connector's spec.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime
from hub.models._common import TenantOwned

PAYMENT_STATUSES = (
    "unpaid",
    "pending",
    "paid",
    "partially_refunded",
    "refunded",
    "failed",
    "expired",
)
REFUND_STATUSES = ("pending", "requires_action", "succeeded", "failed", "canceled")


class StripeConnection(TenantOwned, Base):
    """One account's Stripe: Connect (platform key + `Stripe-Account`) or its own restricted key.

    `api_key` and `webhook_secret` are Fernet-encrypted (hub/crypto.py key ring); the key is
    never shown again once stored. `refund_policy`: {"kind": "full" | "none" | "window",
    "hours": N, "percent": P} (window: full refund until N hours before the start, then P %).
    """

    __tablename__ = "stripe_connections"
    __table_args__ = (
        UniqueConstraint("account_id", "environment"),
        UniqueConstraint("stripe_account_id", "environment"),
    )

    mode: Mapped[str] = mapped_column(String(12))  # connect | key
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | connected
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    api_key: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet
    webhook_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    refund_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    success_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StripeCustomer(TenantOwned, Base):
    """The Stripe Customer (found by e-mail or created) of an iValid customer."""

    __tablename__ = "stripe_customers"
    __table_args__ = (UniqueConstraint("connection_id", "customer_id"),)

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("stripe_connections.id", ondelete="CASCADE")
    )
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    stripe_customer_id: Mapped[str] = mapped_column(String(64))


class Payment(TenantOwned, Base):
    """What an appointment's customer owes online, and where Stripe is with it.

    `amount`/`refunded_amount` are minor units (integers). Each call that creates something
    at Stripe uses a key stored here *before* the call (`session_key`, `refund_key`), so a
    worker that crashed after Stripe answered and retries gets the same object back.
    `work_due` asks the worker to create the session or the refund; `next_attempt_at` holds
    a retry back after a transient error.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("appointment_id"),
        Index("ix_payments_work", "work_due", "next_attempt_at"),
        Index("ix_payments_session", "session_id"),
        Index("ix_payments_intent", "payment_intent_id"),
    )

    appointment_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("appointments.id", ondelete="CASCADE")
    )
    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("stripe_connections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))  # deposit | full
    status: Mapped[str] = mapped_column(String(20), default="unpaid")
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    session_attempt: Mapped[int] = mapped_column(Integer, default=1)
    session_key: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    refund_requested: Mapped[int] = mapped_column(Integer, default=0)
    refund_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    refund_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    refund_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    work_due: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class StripeEvent(Base):
    """A verified Stripe webhook event, recorded once by its id; the worker handles it."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # Stripe's evt_… id
    type: Mapped[str] = mapped_column(String(100))
    connection_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("stripe_connections.id", ondelete="CASCADE"), nullable=True
    )
    stripe_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
