"""The sandbox reset ledger: when each account's sandbox was last put back to the demo data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime


class SandboxReset(Base):
    """When an account's sandbox was last reset to the demo data (one row per account).

    `state` is `resetting` while a worker holds the reset (since `started_at`) and `done`
    after; a reset left `resetting` by a crashed worker is taken over after a while.
    """

    __tablename__ = "sandbox_resets"

    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
