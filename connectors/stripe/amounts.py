"""Amounts in a currency's minor units, exactly (Decimal in, int out; never a float)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from connectors.stripe.const import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES


def exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has for Stripe (0, 2 or 3)."""
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` (major units) in minor units: 150.00 EUR → 15000, 1500 JPY → 1500.

    Half-up rounding applies only to a value with more decimals than the currency has.
    """
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal, never float")
    scaled = amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    """Minor units back to a Decimal of major units (15000 EUR → Decimal('150.00'))."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
