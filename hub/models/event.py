"""The event outbox: one row per committed change, written in the change's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime


class Event(Base):
    """An event (`appointment.created`, …) with the exact webhook payload's `data`."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_tenant_created", "account_id", "environment", "created_at"),)

    # Insertion order, for listing; fan-out claims rows by `dispatched_at IS NULL`, not by seq,
    # because concurrent transactions may commit out of seq order.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(12))
    type: Mapped[str] = mapped_column(String(64), index=True)
    object_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
