"""The worker's side of payments: Checkout Sessions, refunds, expiries, Stripe's events.

Each payment with work due is claimed with a lease (its `next_attempt_at` pushed a minute
ahead, under `FOR UPDATE SKIP LOCKED`), worked on outside any transaction (the Stripe call),
and its result written in a short transaction that also records `appointment.updated`.
Whatever Stripe creates is asked for with the idempotency key stored on the payment before
the call: a worker that dies after Stripe answered leaves the lease to run out, and the next
attempt sends the same key and parameters and gets the first answer back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connectors.base import ConnectorError, backoff_delay
from connectors.stripe.api import StripeApi
from connectors.stripe.const import SESSION_EXPIRY_SECONDS
from hub.db import transaction
from hub.ids import new_id
from hub.models import Appointment, Payment, StripeConnection, StripeCustomer
from hub.services.payments import emit_updated
from hub.services.payments_runtime import PaymentsRuntime
from hub.services.stripe_state import apply_session_state, intent_status, set_refunded

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


def claim(rt: PaymentsRuntime, limit: int = 20) -> list[str]:
    """Lease up to `limit` payments with work due; returns their ids."""
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        rows = list(
            session.scalars(
                select(Payment)
                .where(
                    Payment.work_due.is_(True),
                    or_(Payment.next_attempt_at.is_(None), Payment.next_attempt_at <= now),
                )
                .order_by(Payment.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for pay in rows:
            pay.next_attempt_at = now + LEASE
            if pay.status == "unpaid" and pay.session_id is None and pay.expires_at is None:
                # Part of the create call's parameters: fixed before the first call, so a
                # retry sends exactly the same request (Stripe compares them).
                pay.expires_at = now + timedelta(seconds=SESSION_EXPIRY_SECONDS)
        return [p.id for p in rows]


def run_due(rt: PaymentsRuntime, limit: int = 20) -> int:
    """Work on every payment that is due (up to `limit`); returns how many were handled."""
    ids = claim(rt, limit)
    for payment_id in ids:
        work(rt, payment_id)
    return len(ids)


def _context(
    session: Session, payment_id: str
) -> tuple[Payment, StripeConnection, Appointment] | None:
    pay = session.get(Payment, payment_id)
    if pay is None:
        return None
    conn = session.get(StripeConnection, pay.connection_id)
    a = session.get(Appointment, pay.appointment_id)
    if conn is None or a is None:
        return None
    return pay, conn, a


def work(rt: PaymentsRuntime, payment_id: str) -> None:
    """Do what one payment needs: expire, create its session, or create its refund."""
    with rt.db.session() as session:
        found = _context(session, payment_id)
        if found is None:
            return
        pay, conn, a = found
        try:
            api = rt.api_factory(rt.settings, conn)
            if a.status == "cancelled" and pay.status == "unpaid":
                _expire(rt, session, api, pay, a)
            elif pay.status == "unpaid" and pay.session_id is None:
                _create_session(rt, session, api, pay, conn, a)
            elif pay.refund_key is not None and pay.refund_id is None:
                _create_refund(rt, session, api, pay, a)
            else:
                with transaction(session):
                    pay.work_due = False
        except ConnectorError as exc:
            session.rollback()
            _failed(rt, session, payment_id, exc)


def _failed(rt: PaymentsRuntime, session: Session, payment_id: str, exc: ConnectorError) -> None:
    """Retry later (transient) or stop with the error shown (refused, or too many tries)."""
    with transaction(session):
        pay = session.get(Payment, payment_id, with_for_update=True)
        if pay is None:
            return
        pay.attempts += 1
        pay.last_error = f"{exc.reason or type(exc).__name__}: {exc.message}"[:2000]
        if exc.retryable and pay.attempts < MAX_ATTEMPTS:
            delay = backoff_delay(pay.attempts, base=5.0, cap=900.0)
            pay.next_attempt_at = rt.clock.now() + timedelta(seconds=max(delay, 1.0))
        else:
            pay.work_due = False
            log.warning("payment %s: giving up: %s", payment_id, pay.last_error)


def _customer(
    session: Session, api: StripeApi, pay: Payment, conn: StripeConnection, a: Appointment
) -> str | None:
    """The Stripe Customer of the appointment's customer: linked, found by e-mail, or new."""
    c = a.customer
    if pay.stripe_customer_id:
        return pay.stripe_customer_id
    linked = session.scalar(
        select(StripeCustomer.stripe_customer_id).where(
            StripeCustomer.connection_id == conn.id, StripeCustomer.customer_id == c.id
        )
    )
    if linked:
        return linked
    if not c.email:
        return None
    found = api.find_customer(c.email)
    if found is None:
        found = api.create_customer(
            c.email,
            f"{c.first_name} {c.last_name}".strip(),
            {"ivalid_customer_id": c.id, "ivalid_account_id": a.account_id},
            f"ivalid:{conn.id}:customer:{c.id}",
        )
    stripe_id = str(found["id"])
    with transaction(session):
        exists = session.scalar(
            select(StripeCustomer.id).where(
                StripeCustomer.connection_id == conn.id, StripeCustomer.customer_id == c.id
            )
        )
        if exists is None:
            session.add(
                StripeCustomer(
                    id=new_id("scu"),
                    account_id=a.account_id,
                    environment=a.environment,
                    connection_id=conn.id,
                    customer_id=c.id,
                    stripe_customer_id=stripe_id,
                )
            )
        locked = session.get(Payment, pay.id, with_for_update=True)
        if locked is not None:
            locked.stripe_customer_id = stripe_id
    return stripe_id


def session_params(
    rt: PaymentsRuntime, pay: Payment, conn: StripeConnection, a: Appointment, customer: str | None
) -> dict[str, Any]:
    """The Checkout Session of a payment: one line from the service, ids in the metadata."""
    metadata = {
        "ivalid_appointment_id": a.id,
        "ivalid_payment_id": pay.id,
        "ivalid_account_id": a.account_id,
        "ivalid_environment": a.environment,
    }
    name = a.service.name if pay.kind == "full" else f"{a.service.name} (acompte)"
    public = rt.settings.public_url.rstrip("/")
    expires_at = pay.expires_at
    assert expires_at is not None  # set by claim()
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": pay.currency.lower(),
                    "unit_amount": pay.amount,
                    "product_data": {"name": name},
                },
            }
        ],
        "client_reference_id": a.id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": conn.success_url or f"{public}/payments/{a.id}/success",
        "cancel_url": conn.cancel_url or f"{public}/payments/{a.id}/cancel",
        "expires_at": int(expires_at.astimezone(UTC).timestamp()),
    }
    if customer:
        params["customer"] = customer
    elif a.customer.email:
        params["customer_email"] = a.customer.email
    return params


def _create_session(
    rt: PaymentsRuntime,
    session: Session,
    api: StripeApi,
    pay: Payment,
    conn: StripeConnection,
    a: Appointment,
) -> None:
    customer = _customer(session, api, pay, conn, a)
    if session.in_transaction():
        session.commit()
    params = session_params(rt, pay, conn, a, customer)
    key = pay.session_key
    created = api.create_session(params, key)
    with transaction(session):
        locked = session.get(Payment, pay.id, with_for_update=True)
        if locked is None or locked.session_key != key:
            return  # a newer link was asked for meanwhile
        locked.session_id = str(created["id"])
        locked.url = created.get("url")
        if created.get("expires_at"):
            locked.expires_at = datetime.fromtimestamp(int(created["expires_at"]), UTC)
        locked.work_due = False
        locked.attempts = 0
        locked.last_error = None
        emit_updated(session, a)


def _expire(
    rt: PaymentsRuntime, session: Session, api: StripeApi, pay: Payment, a: Appointment
) -> None:
    state: dict[str, Any] | None = None
    intent = None
    if pay.session_id:
        state = api.retrieve_session(pay.session_id)
        if state.get("status") == "open":
            state = api.expire_session(pay.session_id)
        intent = intent_status(api, state)
    if session.in_transaction():
        session.rollback()
    with transaction(session):
        locked = session.get(Payment, pay.id, with_for_update=True)
        if locked is None:
            return
        if state is not None and state.get("status") == "complete":
            # Paid just before the cancellation reached Stripe: read it, then refund.
            apply_session_state(session, rt, locked, a, state, intent)
            return
        locked.status = "expired"
        locked.url = None
        locked.work_due = False
        emit_updated(session, a)


def _create_refund(
    rt: PaymentsRuntime, session: Session, api: StripeApi, pay: Payment, a: Appointment
) -> None:
    if not pay.payment_intent_id or not pay.refund_key:
        with transaction(session):
            pay.work_due = False
        return
    key = pay.refund_key
    refund = api.create_refund(
        pay.payment_intent_id,
        pay.refund_requested,
        {"ivalid_appointment_id": a.id, "ivalid_payment_id": pay.id},
        key,
    )
    with transaction(session):
        locked = session.get(Payment, pay.id, with_for_update=True)
        if locked is None:
            return
        locked.refund_id = str(refund["id"])
        locked.refund_status = str(refund.get("status"))
        if refund.get("status") == "succeeded":
            refunded = max(locked.refunded_amount, int(refund.get("amount", 0)))
            set_refunded(locked, refunded)
        locked.work_due = False
        locked.attempts = 0
        locked.last_error = None
        emit_updated(session, a)


__all__ = ["PaymentsRuntime", "claim", "run_due", "session_params", "work"]
