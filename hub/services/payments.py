"""Appointment payments: opened at booking, refunded by policy at cancellation, a fresh link.

Nothing here talks to Stripe. The outbox consumer (`on_appointment_events`, registered from
`register()`) runs in the fan-out transaction and only writes rows: a new `Payment` with the
idempotency key of its Checkout Session, or a refund request with its own key. Those keys are
committed with the fan-out, before the worker (hub/services/payments_worker.py) makes the
call, so a worker that dies after Stripe answered and retries gets the same object back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.auth.guard import Principal
from hub.db import transaction
from hub.errors import ApiError
from hub.events.fanout import register_consumer
from hub.ids import new_id
from hub.models import Appointment, Event, Payment, StripeConnection
from hub.services import events
from hub.services.payment_settings import amount_due
from hub.services.payment_view import payment as payment_out
from hub.services.payment_view import with_payment
from hub.services.tenancy import get_owned
from hub.timeutil import utcnow

CONSUMER = "stripe-payments"
EVENT_TYPES = frozenset({"appointment.created", "appointment.cancelled"})
REFUNDABLE = ("paid", "partially_refunded")


def session_key(payment_id: str, attempt: int) -> str:
    """The idempotency key of a payment's Checkout Session number `attempt`."""
    return f"ivalid:{payment_id}:session:{attempt}"


def refund_key(payment_id: str, attempt: int) -> str:
    """The idempotency key of a payment's refund number `attempt`."""
    return f"ivalid:{payment_id}:refund:{attempt}"


def refund_amount(
    policy: dict[str, Any], refundable: int, starts_at: datetime, cancelled_at: datetime
) -> int:
    """Minor units a cancellation at `cancelled_at` refunds under `policy`.

    full: everything; none: nothing; window: everything until `hours` before the start,
    then `percent` % (half-up on the minor unit).
    """
    kind = policy.get("kind", "full")
    if refundable <= 0 or kind == "none":
        return 0
    if kind == "full" or cancelled_at <= starts_at - timedelta(hours=int(policy["hours"])):
        return refundable
    share = Decimal(refundable) * Decimal(str(policy["percent"])) / Decimal(100)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def connection_of(session: Session, account_id: str, environment: str) -> StripeConnection | None:
    """The tenant's Stripe connection, if any."""
    return session.scalars(
        select(StripeConnection).where(
            StripeConnection.account_id == account_id,
            StripeConnection.environment == environment,
        )
    ).first()


def _open(session: Session, conn: StripeConnection, a: Appointment, now: datetime) -> None:
    """A payment for a new appointment whose service asks for one (key stored now)."""
    due = amount_due(a.service)
    if due is None:
        return
    kind, amount = due
    payment_id = new_id("pay")
    session.add(
        Payment(
            id=payment_id,
            account_id=a.account_id,
            environment=a.environment,
            appointment_id=a.id,
            connection_id=conn.id,
            kind=kind,
            status="unpaid",
            amount=amount,
            currency=a.service.currency.upper(),
            session_attempt=1,
            session_key=session_key(payment_id, 1),
            refunded_amount=0,
            refund_requested=0,
            work_due=True,
            next_attempt_at=None,  # due at once, whatever the worker's clock
            attempts=0,
        )
    )


def request_refund(pay: Payment, conn: StripeConnection, a: Appointment, now: datetime) -> None:
    """Ask the worker for the refund the policy gives a cancellation (nothing if none)."""
    if pay.status not in REFUNDABLE or pay.refund_key is not None:
        return
    amount = refund_amount(
        conn.refund_policy or {},
        pay.amount - pay.refunded_amount,
        a.scheduled_at,
        a.cancelled_at or now,
    )
    if amount <= 0:
        return
    pay.refund_requested = amount
    pay.refund_key = refund_key(pay.id, 1)
    pay.work_due = True
    pay.next_attempt_at = None


def _cancelled(session: Session, conn: StripeConnection, a: Appointment, now: datetime) -> None:
    """An appointment cancelled: refund what was paid, or close the open checkout."""
    pay = session.scalars(
        select(Payment).where(Payment.appointment_id == a.id).with_for_update()
    ).first()
    if pay is None:
        return
    if pay.status in REFUNDABLE:
        request_refund(pay, conn, a, now)
    elif pay.status == "unpaid":
        pay.work_due = True  # the worker expires the session (or never creates it)
        pay.next_attempt_at = None


def on_appointment_events(session: Session, batch: list[Event]) -> None:
    """Outbox consumer: open payments for new bookings, refunds for cancellations."""
    by_tenant: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in batch:
        by_tenant[event.account_id, event.environment].append(event)
    now = utcnow()
    for (account_id, environment), mine in by_tenant.items():
        conn = connection_of(session, account_id, environment)
        if conn is None or conn.status != "connected":
            continue
        for event in mine:
            appointment_id = event.object_id or (event.data or {}).get("id")
            a = session.get(Appointment, appointment_id) if appointment_id else None
            if a is None:
                continue
            if event.type == "appointment.created" and a.status != "cancelled":
                exists = session.scalar(select(Payment.id).where(Payment.appointment_id == a.id))
                if exists is None:
                    _open(session, conn, a, now)
            elif event.type == "appointment.cancelled":
                _cancelled(session, conn, a, now)


def register() -> None:
    """Plug the consumer into the outbox fan-out (idempotent)."""
    register_consumer(CONSUMER, on_appointment_events, types=EVENT_TYPES, batch=True)


def emit_updated(session: Session, a: Appointment) -> None:
    """Record `appointment.updated` for a payment change (in the caller's transaction)."""
    session.flush()
    data = with_payment(session, rep.appointment_event(a))
    events.record(session, a.account_id, a.environment, "appointment.updated", data)


def new_link(session: Session, p: Principal, appointment_id: str) -> dict[str, Any]:
    """A fresh Checkout Session for an appointment whose link expired (made by the worker)."""
    with transaction(session):
        a = get_owned(session, Appointment, appointment_id, p)
        pay = session.scalars(
            select(Payment).where(Payment.appointment_id == a.id).with_for_update()
        ).first()
        if pay is None:
            raise ApiError(
                409, "PAYMENT_NOT_REQUIRED", {"appointment_id": a.id}, appointment_id=a.id
            )
        if a.status not in ("pending", "confirmed"):
            raise ApiError(
                409,
                "INVALID_STATUS_TRANSITION",
                {"from": a.status, "reason": "final_status"},
                from_status=a.status,
                to_status=a.status,
            )
        now = utcnow()
        expired = pay.status == "expired" or (
            pay.status == "unpaid" and pay.expires_at is not None and pay.expires_at <= now
        )
        if pay.status == "unpaid" and not expired:
            return payment_out(pay)  # the current link is still open (or being made)
        if not expired:
            raise ApiError(409, "PAYMENT_NOT_OPEN", {"payment_status": pay.status})
        pay.session_attempt += 1
        pay.session_key = session_key(pay.id, pay.session_attempt)
        pay.status = "unpaid"
        pay.session_id = pay.url = pay.expires_at = None
        pay.payment_intent_id = None
        pay.work_due = True
        pay.next_attempt_at = None
        pay.attempts = 0
        pay.last_error = None
        emit_updated(session, a)
        return payment_out(pay)
