"""Connecting Stripe: the account's own restricted key, or Stripe Connect onboarding."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.db import get_db
from hub.models import StripeConnection
from hub.services.payments_runtime import PaymentsRuntime
from tests.fakes.stripe import FakeStripe
from tests.integrations.support import at, book, next_weekday
from tests.payments.conftest import (
    OWN_KEY,
    PLATFORM_SECRET,
    ask_payment,
    connect_own_key,
    deliver,
    dispatch,
    work,
)
from tests.support import Api, Tenant


def test_own_key_is_checked_encrypted_and_never_shown(
    stripe_app: Flask, api: Api, fake: FakeStripe
) -> None:
    out = connect_own_key(api, fake)
    assert out["mode"] == "key" and out["status"] == "connected"
    assert out["account_id"].startswith("acct_") and out["charges_enabled"] is True
    with get_db(stripe_app).session() as s:
        conn = s.scalars(select(StripeConnection)).one()
    assert conn.api_key is not None and OWN_KEY not in conn.api_key  # Fernet, not the key
    shown = api.get("/v2/integrations/stripe")
    assert shown.status_code == 200
    body = shown.get_json()
    assert OWN_KEY not in shown.get_data(as_text=True)
    assert (body["mode"], body["account_id"], body["charges_enabled"]) == (
        "key",
        out["account_id"],
        True,
    )
    assert body["webhook_url"].endswith(f"/v2/integrations/stripe/webhook/{conn.id}")
    assert "checkout.session.completed" in body["webhook_events"]
    # The check was a read call with that key.
    assert fake.requests[-1]["path"] == "/v1/account"


def test_a_key_stripe_refuses_is_a_422(stripe_app: Flask, api: Api, fake: FakeStripe) -> None:
    res = api.post("/v2/integrations/stripe/connect", {"api_key": "rk_test_unknown00000000000"})
    assert res.status_code == 422
    assert res.get_json()["error"]["details"]["errors"][0]["field"] == "api_key"
    malformed = api.post("/v2/integrations/stripe/connect", {"api_key": "pk_test_public"})
    assert malformed.status_code == 422
    with get_db(stripe_app).session() as s:
        assert s.scalars(select(StripeConnection)).first() is None


def test_connect_onboarding_then_payments_on_behalf_of_the_account(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    tenant: Tenant,
    fake: FakeStripe,
    rt: PaymentsRuntime,
) -> None:
    res = api.post("/v2/integrations/stripe/connect", {"return_url": "https://pro.example.fr/ok"})
    assert res.status_code == 200, res.get_json()
    out: dict[str, Any] = res.get_json()
    account = out["account_id"]
    assert out["mode"] == "connect" and out["onboarding_url"].endswith(f"/onboarding/{account}")
    assert fake.connected(account).parent == fake.platform.id
    pending = api.get("/v2/integrations/stripe").get_json()
    assert pending["status"] == "pending" and pending["charges_enabled"] is False
    # Connecting again reuses the account (one account per company), with a fresh link.
    again = api.post("/v2/integrations/stripe/connect", {}).get_json()
    assert again["account_id"] == account

    fake.complete_onboarding(account)
    ready = api.get("/v2/integrations/stripe").get_json()
    assert ready["status"] == "connected" and ready["charges_enabled"] is True
    assert ready["webhook_url"].endswith("/v2/integrations/stripe/webhook")

    ask_payment(api, tenant, payment="deposit", deposit_percent=30)
    apt = book(api, tenant.ids, at(next_weekday(14), 10)).get_json()["id"]
    dispatch(stripe_app)
    work(rt)
    (session,) = fake.sessions(account)  # made in the connected account
    assert session["amount_total"] == 4500  # 30 % of 150.00 EUR
    on_behalf = [r for r in fake.requests if r["path"] == "/v1/checkout/sessions"]
    assert on_behalf[0]["account"] == account  # the Stripe-Account header
    fake.pay(session["id"])
    event = fake.events[-1]
    assert event["account"] == account
    assert (
        deliver(client, fake, event, PLATFORM_SECRET, "/v2/integrations/stripe/webhook").status_code
        == 200
    )
    work(rt)
    payment = api.get(f"/v2/appointments/{apt}").get_json()["payment"]
    assert (
        payment["status"] == "paid" and payment["kind"] == "deposit" and payment["amount"] == 4500
    )


def test_connect_needs_the_platform_key(app: Flask, api: Api) -> None:
    res = api.post("/v2/integrations/stripe/connect", {})
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "INTEGRATION_NOT_CONFIGURED"


def test_refund_policy_settings(stripe_app: Flask, api: Api, fake: FakeStripe) -> None:
    connect_own_key(api, fake)
    res = api.put(
        "/v2/integrations/stripe/settings",
        {"refund_policy": {"kind": "window", "hours": 48, "percent": 50}},
    )
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["refund_policy"] == {"kind": "window", "hours": 48, "percent": "50"}
    bad = api.put("/v2/integrations/stripe/settings", {"refund_policy": {"kind": "window"}})
    assert bad.status_code == 422
    wrong = api.put("/v2/integrations/stripe/settings", {"success_url": "javascript:alert(1)"})
    assert wrong.status_code == 422


def test_disconnect_forgets_the_key(stripe_app: Flask, api: Api, fake: FakeStripe) -> None:
    connect_own_key(api, fake)
    assert api.delete("/v2/integrations/stripe").status_code == 200
    with get_db(stripe_app).session() as s:
        conn = s.scalars(select(StripeConnection)).one()
    assert conn.api_key is None and conn.status == "disconnected"
    assert api.get("/v2/integrations/stripe").get_json()["status"] == "disconnected"
