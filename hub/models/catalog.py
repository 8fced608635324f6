"""Services: what an account sells, with duration, buffers, price and required skills."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base
from hub.models._common import TenantOwned


class Service(TenantOwned, Base):
    """A service (prestation) of one account and environment."""

    __tablename__ = "services"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration: Mapped[int] = mapped_column(Integer)  # minutes
    buffer_before: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    available_online: Mapped[bool] = mapped_column(Boolean, default=True)
    color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Online payment at booking (hub/services/payments.py): none | deposit | full; a deposit
    # is a fixed amount or a percentage of the price.
    payment: Mapped[str] = mapped_column(String(12), default="none", server_default="none")
    deposit_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    deposit_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
