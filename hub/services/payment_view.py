"""The `payment` object of an appointment (additive to the spec's appointment)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.models import Payment


def payment(p: Payment) -> dict[str, Any]:
    """A payment as the API shows it: amounts in minor units (15000 = 150.00 EUR)."""
    flat = {f"payment_{name}": getattr(p, name) for name in rep.PAYMENT_COLUMNS}
    out = rep.payment_from_row(flat)
    assert out is not None
    return out


def payment_of(session: Session, appointment_id: str) -> dict[str, Any] | None:
    """The `payment` object of one appointment, or None when it owes nothing online."""
    row = session.scalars(select(Payment).where(Payment.appointment_id == appointment_id)).first()
    return payment(row) if row is not None else None


def with_payment(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """`data` (an appointment's representation) with its `payment` object."""
    data["payment"] = payment_of(session, data["id"])
    return data
