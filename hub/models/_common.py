"""Columns every tenant-owned row has: id, account, environment, timestamps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from hub.db import UTCDateTime
from hub.timeutil import utcnow

ENVIRONMENTS = ("production", "sandbox")


class Timestamped:
    """`created_at` / `updated_at`, set by the database session, never by callers."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TenantOwned(Timestamped):
    """A row that belongs to one account and one environment."""

    id: Mapped[str] = mapped_column(String(40), primary_key=True)

    @declared_attr
    def account_id(cls) -> Mapped[str]:
        return mapped_column(String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True)

    environment: Mapped[str] = mapped_column(String(12))
