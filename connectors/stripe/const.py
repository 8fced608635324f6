"""Stripe constants: the facts of Stripe's API this connector relies on (checked against
Stripe's documentation)."""

from __future__ import annotations

NAME = "stripe"
DISPLAY_NAME = "Stripe"

# Stripe-Signature: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`; the libraries'
# default and Stripe's recommendation is to refuse a timestamp more than 5 minutes away.
WEBHOOK_TOLERANCE_SECONDS = 300

# Checkout Session `expires_at` must be 30 minutes to 24 hours after creation.
SESSION_MIN_EXPIRY_SECONDS = 30 * 60
SESSION_MAX_EXPIRY_SECONDS = 24 * 3600
SESSION_EXPIRY_SECONDS = 24 * 3600 - 60  # a minute of margin for clock drift

# Idempotency keys: up to 255 characters; Stripe prunes them after at least 24 hours.
IDEMPOTENCY_KEY_MAX = 255

# Currencies whose minor unit is the unit itself (Stripe's "zero-decimal currencies"),
# and the three-decimal ones. Every other currency Stripe supports has two decimals.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
        "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# The events the hub asks Stripe to send (register them on the webhook endpoint).
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.updated",
)
