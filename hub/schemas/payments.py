"""Stripe payments: the connection, its settings, an appointment's `payment` object."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from hub.schemas.common import Out, Strict

PaymentStatus = Literal[
    "unpaid", "pending", "paid", "partially_refunded", "refunded", "failed", "expired"
]


class PaymentOut(Out):
    """An appointment's online payment; amounts in the currency's minor units."""

    status: PaymentStatus
    kind: Literal["deposit", "full"]
    amount: int = Field(description="minor units: 15000 = 150.00 EUR")
    currency: str
    url: str | None = Field(description="Stripe Checkout page while unpaid and open")
    expires_at: datetime | None
    paid_at: datetime | None
    refunded_amount: int
    refund_status: str | None


class RefundPolicy(Strict):
    """What a cancellation refunds: all, nothing, or all until N hours before, then P %."""

    kind: Literal["full", "none", "window"] = "full"
    hours: int | None = Field(default=None, ge=0, le=24 * 365)
    percent: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)

    @model_validator(mode="after")
    def _window_needs_both(self) -> RefundPolicy:
        if self.kind == "window" and (self.hours is None or self.percent is None):
            raise ValueError("a window policy needs hours and percent")
        return self


class StripeConnectIn(Strict):
    """POST /v2/integrations/stripe/connect: the account's own key, or Connect onboarding."""

    api_key: str | None = Field(
        default=None,
        pattern=r"^(rk|sk)_(test|live)_[A-Za-z0-9]{8,247}$",
        description="a restricted key (rk_…); omit it to onboard through Stripe Connect",
    )
    webhook_secret: str | None = Field(
        default=None,
        pattern=r"^whsec_[A-Za-z0-9]{8,200}$",
        description="signing secret of the endpoint registered in that Stripe account",
    )
    return_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    refresh_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


class StripeConnectOut(Out):
    """The connection, and for Connect the onboarding page to send the company to."""

    mode: Literal["connect", "key"]
    status: str
    account_id: str | None
    charges_enabled: bool
    onboarding_url: str | None = None
    onboarding_expires_at: datetime | None = None


class StripeSettingsIn(Strict):
    """PUT /v2/integrations/stripe/settings."""

    refund_policy: RefundPolicy | None = None
    success_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    cancel_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


class StripeStatusOut(Out):
    """GET /v2/integrations/stripe."""

    name: str
    display_name: str
    status: str
    configured: bool
    mode: Literal["connect", "key"] | None
    account_id: str | None
    charges_enabled: bool
    livemode: bool
    connected_at: datetime | None
    refund_policy: RefundPolicy
    success_url: str | None
    cancel_url: str | None
    webhook_url: str
    webhook_events: list[str]


class WebhookReceived(Out):
    """Stripe's webhook, acknowledged (the work happens in the worker)."""

    received: bool
    duplicate: bool
