"""Customers: the spec's create body, partial update, list filters and representation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import EmailStr, Field

from hub.schemas.common import ChangesQuery, Meta, Out, Phone, PostalCode, Strict


class Address(Strict):
    """A postal address."""

    street: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    postal_code: PostalCode | None = None
    country: str = Field(default="FR", pattern=r"^[A-Z]{2}$")


class Preferences(Strict):
    """How and when the customer likes to be contacted."""

    preferred_contact: Literal["email", "sms", "phone"] | None = None
    preferred_time_slots: list[Literal["morning", "afternoon", "evening"]] = Field(
        default_factory=list
    )
    language: str = Field(default="fr", pattern=r"^[a-z]{2}$")


CustomValue = str | int | float | bool | None


class CustomerCreate(Strict):
    """POST /v2/customers."""

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: Phone | None = None
    address: Address | None = None
    preferences: Preferences | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, CustomValue] = Field(default_factory=dict, max_length=100)


class CustomerUpdate(Strict):
    """PUT /v2/customers/:id: only the fields sent change."""

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: Phone | None = None
    address: Address | None = None
    preferences: Preferences | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    custom_fields: dict[str, CustomValue] | None = Field(default=None, max_length=100)


class CustomerQuery(ChangesQuery):
    """Filters of GET /v2/customers, plus `sort` and `updated_since`.

    Without `sort` the list is newest first (`-created_at`).
    """

    email: str | None = None
    tag: str | None = None
    q: str | None = Field(default=None, min_length=1, max_length=100)


class CustomerOut(Out):
    """A customer."""

    id: str
    first_name: str
    last_name: str
    name: str
    email: str | None
    phone: str | None
    address: dict[str, Any] | None
    preferences: dict[str, Any] | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CustomerList(Out):
    """A page of customers."""

    data: list[CustomerOut]
    meta: Meta
