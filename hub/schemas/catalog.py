"""Services (prestations): duration, buffers, price and currency, required skills."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from hub.schemas.common import Meta, Out, PageQuery, Strict

Skill = str
# Online payment at booking (Stripe): nothing, a deposit (amount or percentage), the price.
PaymentMode = Literal["none", "deposit", "full"]


class ServiceCreate(Strict):
    """POST /v2/services."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    duration: int = Field(ge=5, le=24 * 60, description="minutes")
    buffer_before: int = Field(default=0, ge=0, le=480)
    buffer_after: int = Field(default=0, ge=0, le=480)
    price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    required_skills: list[Skill] = Field(default_factory=list, max_length=50)
    available_online: bool = True
    color: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")
    category: str | None = Field(default=None, max_length=100)
    payment: PaymentMode = "none"
    deposit_amount: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)
    deposit_percent: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)


class ServiceUpdate(Strict):
    """PUT /v2/services/:id (partial)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    duration: int | None = Field(default=None, ge=5, le=24 * 60)
    buffer_before: int | None = Field(default=None, ge=0, le=480)
    buffer_after: int | None = Field(default=None, ge=0, le=480)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    required_skills: list[Skill] | None = Field(default=None, max_length=50)
    available_online: bool | None = None
    color: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")
    category: str | None = Field(default=None, max_length=100)
    payment: PaymentMode | None = None
    deposit_amount: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)
    deposit_percent: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)


class ServiceQuery(PageQuery):
    """Filters of GET /v2/services."""

    category: str | None = None
    available_online: bool | None = None


class ServiceOut(Out):
    """A service, as the spec's example."""

    id: str
    name: str
    description: str | None
    duration: int
    buffer_before: int
    buffer_after: int
    price: float
    currency: str
    required_skills: list[str]
    available_online: bool
    color: str | None
    category: str | None
    payment: PaymentMode = "none"
    deposit_amount: float | None = None
    deposit_percent: float | None = None
    created_at: datetime
    updated_at: datetime


class ServiceList(Out):
    """A page of services."""

    data: list[ServiceOut]
    meta: Meta
