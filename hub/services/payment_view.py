"""The `payment` object of an appointment (additive to the spec's appointment)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Payment
from hub.timeutil import iso


def payment(p: Payment) -> dict[str, Any]:
    """A payment as the API shows it: amounts in minor units (15000 = 150.00 EUR)."""
    return {
        "status": p.status,
        "kind": p.kind,
        "amount": p.amount,
        "currency": p.currency,
        "url": p.url if p.status == "unpaid" else None,
        "expires_at": iso(p.expires_at) if p.url else None,
        "paid_at": iso(p.paid_at),
        "refunded_amount": p.refunded_amount,
        "refund_status": p.refund_status,
    }


def payment_of(session: Session, appointment_id: str) -> dict[str, Any] | None:
    """The `payment` object of one appointment, or None when it owes nothing online."""
    row = session.scalars(select(Payment).where(Payment.appointment_id == appointment_id)).first()
    return payment(row) if row is not None else None


def with_payment(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """`data` (an appointment's representation) with its `payment` object."""
    data["payment"] = payment_of(session, data["id"])
    return data
