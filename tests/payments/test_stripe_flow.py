"""End to end with the Stripe fake: book → Checkout Session → paid → cancel → refunded,
webhooks duplicated, forged and stale, and a worker dying around the create call."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connectors.stripe.api import StripeApi
from hub.clock import ManualClock
from hub.db import get_db
from hub.models import Event, Payment, StripeConnection, StripeEvent
from hub.services import payments_worker
from hub.services.payments_runtime import PaymentsRuntime, default_api
from tests.fakes.stripe import FakeStripe
from tests.integrations.support import at, book, next_weekday
from tests.payments.conftest import (
    OWN_SECRET,
    ask_payment,
    connect_own_key,
    deliver,
    dispatch,
    work,
)
from tests.support import Api, Tenant


def _book(api: Api, tenant: Tenant, days: int = 14) -> str:
    res = book(api, tenant.ids, at(next_weekday(days), 10))
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["id"])


def _payment(api: Api, appointment_id: str) -> dict[str, Any]:
    res = api.get(f"/v2/appointments/{appointment_id}")
    assert res.status_code == 200
    return dict(res.get_json()["payment"])


def _updated_events(app: Flask, appointment_id: str) -> int:
    with get_db(app).session() as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    Event.type == "appointment.updated", Event.object_id == appointment_id
                )
            )
            or 0
        )


@pytest.fixture()
def booked(
    stripe_app: Flask, api: Api, tenant: Tenant, fake: FakeStripe, rt: PaymentsRuntime
) -> dict[str, Any]:
    """A tenant connected with its own key, a full-price booking and its session made."""
    conn = connect_own_key(api, fake)
    ask_payment(api, tenant, payment="full")
    appointment_id = _book(api, tenant)
    dispatch(stripe_app)
    with get_db(stripe_app).session() as s:
        connection_id = s.scalars(select(StripeConnection.id)).one()
    return {
        "appointment_id": appointment_id,
        "account": conn["account_id"],
        "hook": f"/v2/integrations/stripe/webhook/{connection_id}",
    }


def test_book_pay_cancel_refund(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt, account, hook = booked["appointment_id"], booked["account"], booked["hook"]
    before = _payment(api, apt)
    assert before["status"] == "unpaid" and before["url"] is None  # the worker makes it
    assert (before["amount"], before["currency"]) == (15000, "EUR")  # 150.00 EUR, exactly

    work(rt)
    (session,) = fake.sessions(account)
    created = [r for r in fake.requests if r["path"] == "/v1/checkout/sessions"]
    assert len(created) == 1
    params = created[0]["params"]
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == apt
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "eur",
                "unit_amount": "15000",
                "product_data": {"name": "Installation Climatisation"},
            },
        }
    ]
    assert params["metadata"]["ivalid_appointment_id"] == apt
    assert params["payment_intent_data"]["metadata"]["ivalid_appointment_id"] == apt
    assert params["metadata"]["ivalid_account_id"]
    assert int(params["expires_at"]) > int(rt.clock.now().timestamp()) + 30 * 60
    with get_db(stripe_app).session() as s:
        stored_key = s.scalars(select(Payment.session_key)).one()
    assert created[0]["idempotency_key"] == stored_key
    # The Stripe Customer was searched by e-mail, not found, created and linked.
    assert [r["path"] for r in fake.requests[:3]][-2:] == ["/v1/customers/search", "/v1/customers"]
    assert params["customer"].startswith("cus_")
    linked = _payment(api, apt)
    assert linked["url"] == session["url"] and linked["status"] == "unpaid"

    fake.pay(session["id"])
    res = deliver(client, fake, fake.events[-1], OWN_SECRET, hook)
    assert res.status_code == 200 and res.get_json() == {"received": True, "duplicate": False}
    assert _payment(api, apt)["status"] == "unpaid"  # the webhook only records: worker's job
    work(rt)
    paid = _payment(api, apt)
    assert paid["status"] == "paid" and paid["paid_at"] is not None and paid["url"] is None

    res = api.post(f"/v2/appointments/{apt}/cancel")
    assert res.status_code == 200, res.get_json()
    dispatch(stripe_app)
    work(rt)
    refunds = [r for r in fake.requests if r["path"] == "/v1/refunds"]
    assert len(refunds) == 1 and refunds[0]["params"]["amount"] == "15000"
    done = _payment(api, apt)
    assert done["status"] == "refunded" and done["refunded_amount"] == 15000
    assert done["refund_status"] == "succeeded"
    # Stripe's charge.refunded arrives afterwards: it re-reads the charge, nothing changes.
    events_before = _updated_events(stripe_app, apt)
    assert deliver(client, fake, fake.events[-1], OWN_SECRET, hook).status_code == 200
    work(rt)
    assert _payment(api, apt)["status"] == "refunded"
    assert _updated_events(stripe_app, apt) == events_before


def test_payment_changes_emit_appointment_updated(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt = booked["appointment_id"]
    work(rt)  # the link
    assert _updated_events(stripe_app, apt) == 1
    (session,) = fake.sessions(booked["account"])
    fake.pay(session["id"])
    deliver(client, fake, fake.events[-1], OWN_SECRET, booked["hook"])
    work(rt)
    assert _updated_events(stripe_app, apt) == 2
    with get_db(stripe_app).session() as s:
        last = s.scalars(
            select(Event).where(Event.type == "appointment.updated").order_by(Event.seq.desc())
        ).first()
    assert last is not None and last.data["payment"]["status"] == "paid"


def test_duplicated_forged_and_stale_webhooks(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt, hook = booked["appointment_id"], booked["hook"]
    work(rt)
    (session,) = fake.sessions(booked["account"])
    fake.pay(session["id"])
    event = fake.events[-1]
    body, header = fake.signed(event, OWN_SECRET)
    headers = {"Stripe-Signature": header, "Content-Type": "application/json"}
    assert client.post(hook, data=body, headers=headers).get_json()["duplicate"] is False
    again = client.post(hook, data=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    work(rt)
    assert _updated_events(stripe_app, apt) == 2  # the link, then paid: once

    forged = deliver(client, fake, event, "whsec_notthesecret000000000", hook)
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "INVALID_SIGNATURE"
    stale = deliver(client, fake, event, OWN_SECRET, hook, timestamp=int(time.time()) - 301)
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "INVALID_SIGNATURE"
    tampered = client.post(hook, data=body.replace(b"complete", b"Complete"), headers=headers)
    assert tampered.status_code == 400
    unsigned = client.post(hook, data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    # Each refused delivery recorded nothing.
    with get_db(stripe_app).session() as s:
        assert s.scalar(select(func.count()).select_from(StripeEvent)) == 1


class _DiesAfterCreate:
    """A Stripe client whose process dies right after Stripe created the session."""

    def __init__(self, real: StripeApi) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def create_session(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        self._real.create_session(params, idempotency_key)
        raise SystemExit("worker killed before it stored the answer")


class _DiesBeforeCreate(_DiesAfterCreate):
    """A Stripe client whose process dies between storing the key and the call."""

    def create_session(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        raise SystemExit("worker killed before the call")


@pytest.mark.parametrize(
    "dying", [_DiesBeforeCreate, _DiesAfterCreate], ids=["before-call", "after-call"]
)
def test_a_crash_then_a_retry_makes_exactly_one_session(
    stripe_app: Flask,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    clock: ManualClock,
    booked: dict[str, Any],
    dying: type[_DiesAfterCreate],
) -> None:
    crashing = PaymentsRuntime(
        rt.db,
        rt.settings,
        clock,
        lambda s, c: dying(default_api(s, c)),  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(SystemExit):
        payments_worker.run_due(crashing)
    assert _payment(api, booked["appointment_id"])["url"] is None
    assert payments_worker.run_due(rt) == 0  # the dead worker's lease still holds
    clock.advance(timedelta(seconds=61))
    assert payments_worker.run_due(rt) == 1
    sessions = fake.sessions(booked["account"])
    assert len(sessions) == 1
    keys = {r["idempotency_key"] for r in fake.requests if r["path"] == "/v1/checkout/sessions"}
    assert len(keys) == 1
    assert _payment(api, booked["appointment_id"])["url"] == sessions[0]["url"]


def test_events_out_of_order_end_in_the_current_state(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt, hook = booked["appointment_id"], booked["hook"]
    work(rt)
    (session,) = fake.sessions(booked["account"])
    fake.pay(session["id"], asynchronous=True)
    completed = fake.events[-1]
    fake.settle(session["id"], succeeded=True)
    succeeded = fake.events[-1]
    # The later event first: the worker reads the session and its PaymentIntent as they are.
    deliver(client, fake, succeeded, OWN_SECRET, hook)
    work(rt)
    assert _payment(api, apt)["status"] == "paid"
    deliver(client, fake, completed, OWN_SECRET, hook)  # stale news: still paid
    work(rt)
    assert _payment(api, apt)["status"] == "paid"


def test_an_asynchronous_payment_that_fails(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt, hook = booked["appointment_id"], booked["hook"]
    work(rt)
    (session,) = fake.sessions(booked["account"])
    fake.pay(session["id"], asynchronous=True)
    deliver(client, fake, fake.events[-1], OWN_SECRET, hook)
    work(rt)
    assert _payment(api, apt)["status"] == "pending"
    fake.settle(session["id"], succeeded=False)
    deliver(client, fake, fake.events[-1], OWN_SECRET, hook)
    work(rt)
    assert _payment(api, apt)["status"] == "failed"


def test_an_expired_link_is_replaced(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt, hook = booked["appointment_id"], booked["hook"]
    early = api.post(f"/v2/appointments/{apt}/payment-link")
    assert early.status_code == 202 and early.get_json()["status"] == "unpaid"
    work(rt)
    (first,) = fake.sessions(booked["account"])
    fake.expire(first["id"])
    deliver(client, fake, fake.events[-1], OWN_SECRET, hook)
    work(rt)
    assert _payment(api, apt)["status"] == "expired"
    res = api.post(f"/v2/appointments/{apt}/payment-link")
    assert res.status_code == 202 and res.get_json()["status"] == "unpaid"
    work(rt)
    sessions = fake.sessions(booked["account"])
    assert len(sessions) == 2
    fresh = _payment(api, apt)
    assert fresh["url"] == sessions[1]["url"] and fresh["status"] == "unpaid"
    keys = [r["idempotency_key"] for r in fake.requests if r["path"] == "/v1/checkout/sessions"]
    assert keys[0].endswith(":session:1") and keys[1].endswith(":session:2")


def test_a_refund_that_stays_pending_then_fails(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt, hook = booked["appointment_id"], booked["hook"]
    work(rt)
    (session,) = fake.sessions(booked["account"])
    fake.pay(session["id"])
    deliver(client, fake, fake.events[-1], OWN_SECRET, hook)
    work(rt)
    fake.store.refund_outcome = "pending"
    assert api.post(f"/v2/appointments/{apt}/cancel").status_code == 200
    dispatch(stripe_app)
    work(rt)
    assert _payment(api, apt)["refund_status"] == "pending"
    refund_id = next(o["id"] for o in fake.store.objects.values() if o["object"] == "refund")
    fake.settle_refund(refund_id, "failed")
    deliver(client, fake, fake.events[-1], OWN_SECRET, hook)
    work(rt)
    after = _payment(api, apt)
    assert after["refund_status"] == "failed"
    assert after["status"] == "paid" and after["refunded_amount"] == 0


def test_cancelling_an_unpaid_booking_expires_its_checkout(
    stripe_app: Flask,
    api: Api,
    fake: FakeStripe,
    rt: PaymentsRuntime,
    booked: dict[str, Any],
) -> None:
    apt = booked["appointment_id"]
    work(rt)
    assert api.post(f"/v2/appointments/{apt}/cancel").status_code == 200
    dispatch(stripe_app)
    work(rt)
    (session,) = fake.sessions(booked["account"])
    assert session["status"] == "expired"
    assert _payment(api, apt)["status"] == "expired"


def test_the_list_shows_the_same_payment_as_get(
    stripe_app: Flask, api: Api, fake: FakeStripe, rt: PaymentsRuntime, booked: dict[str, Any]
) -> None:
    apt = booked["appointment_id"]
    work(rt)
    one = api.get(f"/v2/appointments/{apt}").get_json()
    listed = [a for a in api.get("/v2/appointments", per_page=100).get_json()["data"]]
    (same,) = [a for a in listed if a["id"] == apt]
    assert same == one and same["payment"]["url"]
    others = [a for a in listed if a["id"] != apt]
    assert others and all(a["payment"] is None for a in others)


def test_the_stripe_customer_is_found_by_email_then_reused(
    stripe_app: Flask, api: Api, tenant: Tenant, fake: FakeStripe, rt: PaymentsRuntime
) -> None:
    conn = connect_own_key(api, fake)
    email = api.get(f"/v2/customers/{tenant.ids['customer_id']}").get_json()["email"]
    existing = fake.store.put(
        conn["account_id"],
        {
            "id": "cus_existing0001",
            "object": "customer",
            "email": email,
            "name": "M",
            "metadata": {},
        },
    )
    ask_payment(api, tenant, payment="full")
    _book(api, tenant, days=14)
    _book(api, tenant, days=21)
    dispatch(stripe_app)
    work(rt)
    sessions = fake.sessions(conn["account_id"])
    assert len(sessions) == 2
    assert {s["customer"] for s in sessions} == {existing["id"]}
    paths = [r["path"] for r in fake.requests]
    assert paths.count("/v1/customers/search") == 1  # the second booking used the link
    assert "/v1/customers" not in paths


def test_payment_link_refusals(
    stripe_app: Flask, api: Api, tenant: Tenant, fake: FakeStripe, rt: PaymentsRuntime
) -> None:
    connect_own_key(api, fake)
    free = _book(api, tenant, days=14)  # the service asks for nothing yet
    dispatch(stripe_app)
    res = api.post(f"/v2/appointments/{free}/payment-link")
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "PAYMENT_NOT_REQUIRED"
    assert api.get(f"/v2/appointments/{free}").get_json()["payment"] is None
    assert api.post("/v2/appointments/apt_doesnotexist/payment-link").status_code == 404
    ask_payment(api, tenant, payment="full")
    paid_for = _book(api, tenant, days=21)
    dispatch(stripe_app)
    work(rt)
    api.post(f"/v2/appointments/{paid_for}/cancel")
    dispatch(stripe_app)
    work(rt)
    gone = api.post(f"/v2/appointments/{paid_for}/payment-link")
    assert gone.status_code == 409
    assert "{" not in gone.get_json()["error"]["message"]
