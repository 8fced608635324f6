"""A service's online-payment settings: what a booking owes, in minor units, exactly."""

from __future__ import annotations

from decimal import Decimal

from connectors.stripe.amounts import to_minor
from hub.errors import ApiError
from hub.models import Service

HUNDRED = Decimal(100)


def _invalid(field: str, reason: str, message: str) -> ApiError:
    return ApiError(
        422,
        "VALIDATION_ERROR",
        {"errors": [{"field": field, "reason": reason, "message": message}]},
    )


def check_payment_settings(s: Service) -> None:
    """422 unless a deposit has exactly one of an amount or a percentage, within the price."""
    if s.payment != "deposit":
        return
    if (s.deposit_amount is None) == (s.deposit_percent is None):
        raise _invalid(
            "deposit_amount",
            "deposit_required",
            "a deposit needs exactly one of deposit_amount or deposit_percent",
        )
    if s.deposit_amount is not None and Decimal(s.deposit_amount) > Decimal(s.price):
        raise _invalid("deposit_amount", "above_price", "the deposit is more than the price")


def amount_due(s: Service) -> tuple[str, int] | None:
    """(kind, minor units) a booking of `s` is asked to pay online, or None.

    150.00 EUR → 15000; a 30 % deposit of 99.99 EUR → 3000 (half-up on the cent).
    """
    if s.payment == "none":
        return None
    price = Decimal(s.price)
    if s.payment == "full":
        amount = price
    elif s.deposit_amount is not None:
        amount = Decimal(s.deposit_amount)
    else:
        percent = Decimal(s.deposit_percent or 0)
        amount = price * percent / HUNDRED  # to_minor rounds half-up on the minor unit
    minor = to_minor(amount, s.currency)
    return (s.payment, minor) if minor > 0 else None
