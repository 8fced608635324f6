"""Customers: contact details, address, preferences, tags and custom fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base
from hub.models._common import TenantOwned


class Customer(TenantOwned, Base):
    """A customer of one account and environment.

    `email` is stored lower-cased by every writer, so an equality on it is case-insensitive
    and uses the tenant's e-mail index.
    """

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_tenant_email", "account_id", "environment", "email"),
        Index("ix_customers_tenant_phone_e164", "account_id", "environment", "phone_e164"),
    )

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # `phone` in E.164 (`hub.phones.e164`), set on every write of `phone`: what matching
    # looks up (indexed per tenant). None when `phone` is not a possible number.
    phone_e164: Mapped[str | None] = mapped_column(String(16), nullable=True)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def name(self) -> str:
        """The display name, "Marie Dupont"."""
        return f"{self.first_name} {self.last_name}".strip()
