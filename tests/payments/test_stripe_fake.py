"""The Stripe fake refuses what Stripe refuses, as stripe-python sees it (connector errors)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from connectors.base import AuthError, ConnectorError, InvalidRequest, NotFound
from connectors.stripe.api import StripeApi, verify_webhook
from tests.connectors.stripe_scenarios import SESSION
from tests.fakes.stripe import PLATFORM_KEY, FakeStripe

KEY = "rk_test_fakecheck000000000000"


@pytest.fixture()
def own(fake: FakeStripe) -> StripeApi:
    fake.own_key_account(KEY)
    return StripeApi(KEY, api_base=fake.base_url)


def _session(**changes: Any) -> dict[str, Any]:
    return {**SESSION, "expires_at": int(time.time()) + 3600, **changes}


@pytest.fixture(autouse=True)
def _real_time_clock(fake: FakeStripe) -> None:
    fake.store.clock = time.time  # these sessions are built from the real time


def _line(unit_amount: int) -> list[dict[str, Any]]:
    item = SESSION["line_items"][0]
    return [{**item, "price_data": {**item["price_data"], "unit_amount": unit_amount}}]


@pytest.mark.parametrize(
    ("call", "error", "reason"),
    [
        pytest.param(
            lambda api: api.create_session(
                {k: v for k, v in _session().items() if k != "mode"}, "k1"
            ),
            InvalidRequest,
            "parameter_missing",
            id="mode-missing",
        ),
        pytest.param(
            lambda api: api.create_session(_session(line_items=_line(10)), "k2"),
            InvalidRequest,
            "amount_too_small",
            id="below-minimum",
        ),
        pytest.param(
            lambda api: api.create_session(
                _session(customer="cus_nope", customer_email="a@b.fr"), "k3"
            ),
            InvalidRequest,
            None,
            id="customer-and-email",
        ),
        pytest.param(
            lambda api: api.create_session(_session(customer="cus_nope"), "k4"),
            InvalidRequest,
            "resource_missing",
            id="unknown-customer",
        ),
        pytest.param(
            lambda api: api.create_session(_session(success_url="not a url"), "k5"),
            InvalidRequest,
            "url_invalid",
            id="bad-url",
        ),
        pytest.param(
            lambda api: api.retrieve_session("cs_test_nope"), NotFound, "resource_missing", id="404"
        ),
    ],
)
def test_refusals(
    own: StripeApi,
    call: Callable[[StripeApi], Any],
    error: type[ConnectorError],
    reason: str | None,
) -> None:
    with pytest.raises(error) as caught:
        call(own)
    assert caught.value.reason == reason


def test_idempotency_same_params_same_answer_other_params_refused(
    own: StripeApi, fake: FakeStripe
) -> None:
    first = own.create_session(_session(), "ivalid:x:session:1")
    assert (
        own.create_session(_session(expires_at=first["expires_at"]), "ivalid:x:session:1") == first
    )
    with pytest.raises(InvalidRequest) as caught:
        own.create_session(_session(client_reference_id="other"), "ivalid:x:session:1")
    assert caught.value.reason == "idempotency_error"
    assert len(fake.store.of_kind(fake.account_of(first["id"]), "checkout.session")) == 1


def test_refunds_cannot_exceed_the_charge(own: StripeApi, fake: FakeStripe) -> None:
    session = own.create_session(_session(), "k")
    fake.pay(session["id"])
    intent = own.retrieve_session(session["id"])["payment_intent"]
    own.create_refund(intent, 10000, {}, "r1")
    with pytest.raises(InvalidRequest) as caught:
        own.create_refund(intent, 5001, {}, "r2")
    assert caught.value.reason == "amount_too_large"
    own.create_refund(intent, 5000, {}, "r3")
    with pytest.raises(InvalidRequest) as again:
        own.create_refund(intent, 1, {}, "r4")
    assert again.value.reason == "charge_already_refunded"


def test_keys_and_accounts(fake: FakeStripe, own: StripeApi) -> None:
    with pytest.raises(AuthError):
        StripeApi("sk_test_unknown", api_base=fake.base_url).current_account()
    mine = own.current_account()["id"]
    with pytest.raises(AuthError):  # a non-platform key cannot act for another account
        StripeApi(KEY, stripe_account=fake.platform.id, api_base=fake.base_url).current_account()
    with pytest.raises(AuthError):  # the platform reaches only its own connected accounts
        StripeApi(PLATFORM_KEY, stripe_account=mine, api_base=fake.base_url).current_account()


def test_events_are_signed_as_stripe_signs_them(own: StripeApi, fake: FakeStripe) -> None:
    session = own.create_session(_session(), "k")
    fake.pay(session["id"])
    body, header = fake.signed(fake.events[-1], "whsec_test0000000000")
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    assert header.startswith("t=") and len(v1) == 64 and int(t) <= time.time()
    assert verify_webhook(body, header, "whsec_test0000000000", 300)["id"] == fake.events[-1]["id"]
    with pytest.raises(ValueError):
        verify_webhook(body, header, "whsec_other000000000", 300)
