"""The Stripe calls the hub makes, as scenarios recorded into cassettes/stripe/ and replayed.

Each scenario drives connectors/stripe/api.py (stripe-python for real) against the fake when
recording, and against nothing but the cassette when replaying. Matching is on method, path,
query, body, `Idempotency-Key` and `Stripe-Account`: a change in what the hub sends Stripe
fails the replay. Re-record with tests/connectors/record_stripe_cassettes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcr
from vcr.request import Request as VcrRequest

from connectors.base import AuthError, InvalidRequest
from connectors.stripe.api import StripeApi
from tests.fakes.stripe import PLATFORM_KEY, FakeStripe

CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes" / "stripe"
FIXED_BASE = "http://127.0.0.1:8766"
OWN_KEY = "rk_test_cassette00000000000000"
NOW = 1_772_442_000  # 2026-03-02 09:00 UTC: the fake's pinned clock while recording
SESSION: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {
            "quantity": 1,
            "price_data": {
                "currency": "eur",
                "unit_amount": 15000,
                "product_data": {"name": "Installation Climatisation"},
            },
        }
    ],
    "client_reference_id": "apt_1234567890",
    "metadata": {"ivalid_appointment_id": "apt_1234567890", "ivalid_payment_id": "pay_1"},
    "payment_intent_data": {"metadata": {"ivalid_appointment_id": "apt_1234567890"}},
    "success_url": "https://hub.example/payments/apt_1234567890/success",
    "cancel_url": "https://hub.example/payments/apt_1234567890/cancel",
    "expires_at": NOW + 23 * 3600,
}


@dataclass
class Env:
    """The clients of a scenario, and the fake when recording (None on replay)."""

    own: StripeApi
    platform: StripeApi
    base: str
    fake: FakeStripe | None

    def on_behalf(self, account: str) -> StripeApi:
        """The platform's client acting for a connected account (Stripe-Account)."""
        return StripeApi(PLATFORM_KEY, stripe_account=account, api_base=self.base)


@dataclass(frozen=True)
class Scenario:
    """One kind of call (or a short chain of them) and what its result must show."""

    name: str
    run: Callable[[Env], Any]
    check: Callable[[Any], object]


def _current_account(env: Env) -> Any:
    return env.own.current_account()


def _onboarding(env: Env) -> Any:
    account = env.platform.create_account(None, "ivalid:scn_1:account")
    link = env.platform.account_link(
        account["id"], "https://hub.example/dashboard", "https://hub.example/dashboard"
    )
    return account, link, env.on_behalf(account["id"]).current_account()


def _customer(env: Env) -> Any:
    before = env.own.find_customer("marie.dupont@example.fr")
    created = env.own.create_customer(
        "marie.dupont@example.fr", "Marie Dupont", {"ivalid_customer_id": "cus_1"}, "ivalid:c:1"
    )
    return before, created


def _session(env: Env) -> Any:
    first = env.own.create_session(SESSION, "ivalid:pay_1:session:1")
    retry = env.own.create_session(SESSION, "ivalid:pay_1:session:1")
    try:
        env.own.create_session(
            {**SESSION, "client_reference_id": "other"}, "ivalid:pay_1:session:1"
        )
    except InvalidRequest as exc:
        refused = exc.reason
    return first, retry, refused


def _session_refused(env: Env) -> Any:
    try:
        env.own.create_session({**SESSION, "expires_at": NOW + 600}, "ivalid:pay_2:session:1")
    except InvalidRequest as exc:
        return exc.status, exc.details


def _expire(env: Env) -> Any:
    created = env.own.create_session(SESSION, "ivalid:pay_3:session:1")
    return env.own.expire_session(created["id"]), env.own.retrieve_session(created["id"])


def _refund(env: Env) -> Any:
    created = env.own.create_session(SESSION, "ivalid:pay_4:session:1")
    if env.fake is not None:
        env.fake.pay(created["id"])  # the customer pays (not an API call of the hub's)
    paid = env.own.retrieve_session(created["id"])
    intent = env.own.retrieve_payment_intent(paid["payment_intent"])
    refund = env.own.create_refund(paid["payment_intent"], 15000, {"ivalid": "1"}, "ivalid:r:1")
    charge = env.own.retrieve_charge(refund["charge"])
    return intent, refund, env.own.retrieve_refund(refund["id"]), charge


def _bad_key(env: Env) -> Any:
    try:
        StripeApi("rk_test_revoked0000000000000", api_base=env.base).current_account()
    except AuthError as exc:
        return exc.status


def _check_onboarding(result: Any) -> None:
    account, link, seen = result
    assert link["url"] and link["expires_at"] == link["created"] + 300
    assert seen["id"] == account["id"] and seen["charges_enabled"] is False


SCENARIOS = [
    Scenario("account_retrieve", _current_account, lambda r: r["id"].startswith("acct_")),
    Scenario("connect_onboarding", _onboarding, _check_onboarding),
    Scenario(
        "customer_search_create",
        _customer,
        lambda r: r[0] is None and r[1]["email"] == "marie.dupont@example.fr",
    ),
    Scenario(
        "checkout_session_create",
        _session,
        lambda r: r[0]["id"] == r[1]["id"] and r[2] == "idempotency_error",
    ),
    Scenario(
        "checkout_session_refused",
        _session_refused,
        lambda r: r == (400, {"param": "expires_at"}),
    ),
    Scenario("checkout_session_expire", _expire, lambda r: r[1]["status"] == "expired"),
    Scenario(
        "refund_create",
        _refund,
        lambda r: r[0]["status"] == "succeeded" and r[3]["amount_refunded"] == 15000,
    ),
    Scenario("invalid_key", _bad_key, lambda r: r == 401),
]


def _fixed_host(request: VcrRequest) -> VcrRequest:
    scheme_host = f"{request.scheme}://{request.host}:{request.port}"
    if request.uri.startswith(scheme_host):
        request.uri = FIXED_BASE + request.uri[len(scheme_host) :]
    return request


def _drop_volatile(response: dict[str, Any]) -> dict[str, Any]:
    for name in ("Date", "date", "Server", "server", "Request-Id"):
        response["headers"].pop(name, None)
    return response


def _ours(key: str | None) -> str | None:
    """The hub's own idempotency keys; the ones stripe-python makes up (a UUID on every POST
    that has none) differ on every run and say nothing about what the hub sent."""
    return key if key is None or key.startswith("ivalid:") else "(stripe-python's)"


def _header(name: str) -> Callable[[VcrRequest, VcrRequest], None]:
    def match(r1: VcrRequest, r2: VcrRequest) -> None:
        h1, h2 = r1.headers.get(name), r2.headers.get(name)
        if name == "Idempotency-Key":
            h1, h2 = _ours(h1), _ours(h2)
        if h1 != h2:
            raise AssertionError(f"{name} {h1!r} != {h2!r}")

    return match


def make_vcr(record_mode: str) -> vcr.VCR:
    """The cassette configuration shared by recording and replay."""
    config = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR),
        record_mode=record_mode,
        match_on=["method", "path", "query", "body", "idempotency_key", "stripe_account"],
        filter_headers=["authorization", "user-agent", "x-stripe-client-user-agent"],
        before_record_request=_fixed_host,
        before_record_response=_drop_volatile,
        decode_compressed_response=True,
    )
    config.register_matcher("idempotency_key", _header("Idempotency-Key"))
    config.register_matcher("stripe_account", _header("Stripe-Account"))
    return config


@contextmanager
def scenario_env(fake: FakeStripe | None) -> Iterator[Env]:
    """Clients aimed at the fake (recording) or at FIXED_BASE (replay: the cassette answers)."""
    base = fake.base_url if fake is not None else FIXED_BASE
    yield Env(StripeApi(OWN_KEY, api_base=base), StripeApi(PLATFORM_KEY, api_base=base), base, fake)


def record(scenario: Scenario, record_mode: str = "once") -> Any:
    """Run a scenario against a fresh fake, recording its cassette; returns its result."""
    with FakeStripe(clock=lambda: float(NOW)) as fake:
        fake.own_key_account(OWN_KEY)
        with scenario_env(fake) as env, make_vcr(record_mode).use_cassette(f"{scenario.name}.yaml"):
            result = scenario.run(env)
    assert scenario.check(result) is not False
    return result
