"""Appointments and the external busy periods that block a technician's time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime
from hub.models._common import TenantOwned
from hub.models.catalog import Service
from hub.models.customer import Customer
from hub.models.team import Technician

ACTIVE_STATUSES = ("pending", "confirmed")
STATUSES = ("pending", "confirmed", "completed", "cancelled")


class Appointment(TenantOwned, Base):
    """An intervention at a customer's address by one technician.

    `block_start`/`block_end` are the time the technician is taken including the service's
    buffers; on PostgreSQL an exclusion constraint keeps those ranges disjoint per technician
    for active appointments (see the initial migration).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_tenant_start", "account_id", "environment", "scheduled_at", "id"),
        # Counts a tenant's appointments (every list's total): narrow, and on PostgreSQL
        # deduplicated to a few pages per tenant.
        Index("ix_appointments_tenant", "account_id", "environment"),
        Index("ix_appointments_tech_block", "technician_id", "block_start"),
    )

    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    service_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("services.id", ondelete="RESTRICT"), index=True
    )
    technician_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("technicians.id", ondelete="RESTRICT"), nullable=True
    )
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    buffer_before: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after: Mapped[int] = mapped_column(Integer, default=0)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    city: Mapped[str | None] = mapped_column(String(120), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    notify_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_email: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source: Mapped[str] = mapped_column(String(40), default="api")

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    service: Mapped[Service] = relationship(lazy="joined", innerjoin=True)
    technician: Mapped[Technician | None] = relationship(lazy="joined")


class ExternalBusy(TenantOwned, Base):
    """A period a technician is busy elsewhere (his own calendar), filled by the connectors."""

    __tablename__ = "external_busy"
    __table_args__ = (Index("ix_external_busy_tech_start", "technician_id", "starts_at"),)

    technician_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("technicians.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40))  # e.g. "google-calendar"
    external_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    summary: Mapped[str | None] = mapped_column(String(300), nullable=True)
