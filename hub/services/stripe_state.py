"""Stripe's events, handled by the worker: each one re-reads its object's current state.

Stripe does not promise to deliver events in order, nor once. So an event only says *which*
object changed: the worker reads that object from Stripe now and writes what it shows. An
older event handled after a newer one then writes the same, current, state.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import ConnectorError
from connectors.stripe.api import StripeApi
from hub.db import transaction
from hub.models import Appointment, Payment, StripeConnection, StripeEvent
from hub.services.payments import emit_updated, request_refund
from hub.services.payments_runtime import PaymentsRuntime

log = logging.getLogger(__name__)
MAX_EVENT_ATTEMPTS = 8
SESSION_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)
REFUND_EVENTS = frozenset({"charge.refunded", "refund.updated"})

# A PaymentIntent's status → the payment's, for a completed session not (yet) paid.
_INTENT_STATUS = {
    "succeeded": "paid",
    "processing": "pending",
    "requires_payment_method": "failed",
    "canceled": "failed",
}


def set_refunded(pay: Payment, refunded: int) -> None:
    """Record that `refunded` minor units of the payment are back with the customer."""
    pay.refunded_amount = refunded
    if refunded >= pay.amount:
        pay.status = "refunded"
    elif refunded > 0:
        pay.status = "partially_refunded"
    elif pay.status in ("refunded", "partially_refunded"):
        pay.status = "paid"  # the refund failed: the money stayed with the company


def _snapshot(pay: Payment) -> tuple[Any, ...]:
    return (pay.status, pay.refunded_amount, pay.refund_status, pay.paid_at, pay.url)


def intent_status(api: StripeApi, state: dict[str, Any]) -> str | None:
    """The PaymentIntent status of a completed, not (yet) paid session (read from Stripe)."""
    if state.get("status") != "complete" or state.get("payment_status") == "paid":
        return None
    intent = state.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    return str(api.retrieve_payment_intent(intent_id).get("status")) if intent_id else None


def apply_session_state(
    session: Session,
    rt: PaymentsRuntime,
    pay: Payment,
    a: Appointment,
    state: dict[str, Any],
    intent: str | None,
) -> None:
    """Write what a Checkout Session (read from Stripe just now) shows; emit if it changed.

    `intent` is its PaymentIntent's status when the session is complete but not paid.
    Runs in the caller's transaction; no network.
    """
    before = _snapshot(pay)
    if pay.status in ("paid", "partially_refunded", "refunded"):
        return  # money moved: only refunds change it now
    status = state.get("status")
    if status == "expired":
        pay.status, pay.url = "expired", None
    elif status == "complete":
        ref = state.get("payment_intent")
        ref_id = ref.get("id") if isinstance(ref, dict) else ref
        pay.payment_intent_id = ref_id or pay.payment_intent_id
        if state.get("payment_status") == "paid":
            new_status = "paid"
        else:
            new_status = _INTENT_STATUS.get(intent or "", "pending")
        pay.status = new_status
        pay.url = None
        if new_status == "paid":
            pay.paid_at = rt.clock.now()
            if a.status == "cancelled":
                conn = session.get(StripeConnection, pay.connection_id)
                if conn is not None:
                    request_refund(pay, conn, a, rt.clock.now())
    if _snapshot(pay) != before:
        emit_updated(session, a)


def fetch_refund_state(
    api: StripeApi, payment_intent_id: str | None, refund_id: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the refund, the charge) as Stripe shows them now."""
    refund = api.retrieve_refund(refund_id) if refund_id else None
    charge_id = refund.get("charge") if refund else None
    if charge_id is None and payment_intent_id:
        charge_id = api.retrieve_payment_intent(payment_intent_id).get("latest_charge")
    charge = api.retrieve_charge(str(charge_id)) if charge_id else None
    return refund, charge


def apply_refund_state(
    session: Session,
    pay: Payment,
    a: Appointment,
    refund: dict[str, Any] | None,
    charge: dict[str, Any] | None,
) -> None:
    """Write a refund's status and the charge's refunded total; emit if they changed."""
    before = _snapshot(pay)
    if refund is not None and pay.refund_id in (None, refund.get("id")):
        pay.refund_id = str(refund.get("id"))
        pay.refund_status = str(refund.get("status"))
    if charge is not None:
        set_refunded(pay, int(charge.get("amount_refunded") or 0))
    if _snapshot(pay) != before:
        emit_updated(session, a)


def _connection(session: Session, ev: StripeEvent) -> StripeConnection | None:
    if ev.connection_id:
        return session.get(StripeConnection, ev.connection_id)
    if not ev.stripe_account:
        return None
    candidates = list(
        session.scalars(
            select(StripeConnection).where(
                StripeConnection.stripe_account_id == ev.stripe_account,
                StripeConnection.mode == "connect",
            )
        )
    )
    livemode = bool(ev.payload.get("livemode"))
    for conn in candidates:
        if conn.livemode == livemode:
            return conn
    return candidates[0] if candidates else None


def _payment_for(session: Session, conn: StripeConnection, ev: StripeEvent) -> Payment | None:
    obj = (ev.payload.get("data") or {}).get("object") or {}
    p = Payment
    where: list[Any]
    if ev.type in SESSION_EVENTS:
        where = [p.session_id == obj.get("id")]
    elif ev.type == "refund.updated":
        where = [p.refund_id == obj.get("id")]
        if obj.get("payment_intent"):
            where = [p.payment_intent_id == obj.get("payment_intent")]
    else:
        where = [p.payment_intent_id == obj.get("payment_intent")]
    return session.scalars(select(p).where(p.connection_id == conn.id, *where)).first()


def _remote_state(api: StripeApi, ev: StripeEvent, pay: Payment) -> dict[str, Any]:
    """The current state of the event's object, read from Stripe (outside any transaction)."""
    obj_id = str(ev.object_id)
    if ev.type in SESSION_EVENTS:
        state = api.retrieve_session(obj_id)
        return {"session": state, "intent": intent_status(api, state)}
    refund_id = obj_id if ev.type == "refund.updated" else None
    refund, charge = fetch_refund_state(api, pay.payment_intent_id, refund_id)
    return {"refund": refund, "charge": charge}


def handle(rt: PaymentsRuntime, event_id: str) -> None:
    """Handle one recorded event: read its object from Stripe, then write what it shows."""
    with rt.db.session() as session:
        ev = session.get(StripeEvent, event_id)
        if ev is None or ev.processed_at is not None:
            return
        skipped: str | None = None
        remote: dict[str, Any] = {}
        conn = _connection(session, ev) if ev.type in SESSION_EVENTS | REFUND_EVENTS else None
        pay = _payment_for(session, conn, ev) if conn is not None else None
        if ev.type not in SESSION_EVENTS | REFUND_EVENTS:
            skipped = "not handled"
        elif conn is None:
            skipped = "no connection for this event"
        elif pay is None:
            skipped = "no payment for this object"
        else:
            remote = _remote_state(rt.api_factory(rt.settings, conn), ev, pay)
        pay_id = pay.id if pay is not None else None
        session.rollback()
        with transaction(session):
            ev = session.get(StripeEvent, event_id, with_for_update=True)
            if ev is None or ev.processed_at is not None:
                return  # another worker handled it meanwhile
            if pay_id is not None:
                locked = session.get(Payment, pay_id, with_for_update=True)
                a = session.get(Appointment, locked.appointment_id) if locked else None
                if locked is None or a is None:
                    skipped = "payment gone"
                elif "session" in remote:
                    apply_session_state(session, rt, locked, a, remote["session"], remote["intent"])
                else:
                    apply_refund_state(session, locked, a, remote["refund"], remote["charge"])
            ev.processed_at = rt.clock.now()
            ev.error = skipped


def process_events(rt: PaymentsRuntime, limit: int = 50) -> int:
    """Handle recorded, unprocessed events, oldest first; returns how many were handled."""
    with rt.db.session() as session:
        ids = list(
            session.scalars(
                select(StripeEvent.id)
                .where(
                    StripeEvent.processed_at.is_(None),
                    StripeEvent.attempts < MAX_EVENT_ATTEMPTS,
                )
                .order_by(StripeEvent.received_at, StripeEvent.id)
                .limit(limit)
            )
        )
    done = 0
    for event_id in ids:
        try:
            handle(rt, event_id)
            done += 1
        except ConnectorError as exc:
            with rt.db.session() as session, transaction(session):
                ev = session.get(StripeEvent, event_id, with_for_update=True)
                if ev is not None:
                    ev.attempts += 1
                    ev.error = f"{exc.reason or type(exc).__name__}: {exc.message}"[:2000]
            log.warning("stripe event %s: %s (will retry)", event_id, exc)
    return done
