"""Fixtures of the payment tests: the Stripe fake on loopback, the app pointed at it, a
pinned clock shared by the worker and the fake, and helpers to book, dispatch and deliver."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.clock import ManualClock
from hub.config import Settings
from hub.db import get_db
from hub.events.fanout import load_consumers
from hub.services import payments_worker, stripe_state
from hub.services.payments_runtime import PaymentsRuntime
from tests.fakes.stripe import PLATFORM_KEY, FakeStripe
from tests.integrations.support import dispatch as sync_dispatch
from tests.support import Api, Tenant

OWN_KEY = "rk_test_ownkey0000000000000000"
OWN_SECRET = "whsec_ownsecret000000000000000"
PLATFORM_SECRET = "whsec_platformsecret0000000000"
# Far from the real date on purpose: nothing may depend on it.
PINNED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(PINNED)


@pytest.fixture()
def fake(clock: ManualClock) -> Iterator[FakeStripe]:
    with FakeStripe(clock=lambda: clock.now().timestamp()) as server:
        yield server


@pytest.fixture()
def stripe_app(app: Flask, fake: FakeStripe) -> Iterator[Flask]:
    """The app with Stripe's platform key, webhook secret and API base (the fake)."""
    original: Settings = app.config["IVALID"]
    app.config["IVALID"] = dataclasses.replace(
        original,
        stripe_secret_key=PLATFORM_KEY,
        stripe_webhook_secret=PLATFORM_SECRET,
        stripe_api_base=fake.base_url,
    )
    yield app
    app.config["IVALID"] = original


@pytest.fixture()
def rt(stripe_app: Flask, clock: ManualClock) -> PaymentsRuntime:
    return PaymentsRuntime(db=get_db(stripe_app), settings=stripe_app.config["IVALID"], clock=clock)


def work(rt: PaymentsRuntime) -> None:
    """What the worker's payments job does: due sessions and refunds, then events."""
    for _ in range(5):
        if not payments_worker.run_due(rt) and not stripe_state.process_events(rt):
            return


def deliver(
    client: FlaskClient,
    fake: FakeStripe,
    event: dict[str, Any],
    secret: str,
    path: str,
    timestamp: int | None = None,
) -> Any:
    """POST one event to the hub's Stripe webhook endpoint, signed as Stripe signs it."""
    body, header = fake.signed(event, secret, timestamp)
    return client.post(
        path, data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )


def connect_own_key(api: Api, fake: FakeStripe) -> dict[str, Any]:
    """Connect the tenant with its own restricted key; returns the API's answer."""
    fake.own_key_account(OWN_KEY)
    res = api.post(
        "/v2/integrations/stripe/connect", {"api_key": OWN_KEY, "webhook_secret": OWN_SECRET}
    )
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def ask_payment(api: Api, tenant: Tenant, **settings: Any) -> None:
    """Make the demo service ask for a payment online."""
    res = api.put(f"/v2/services/{tenant.ids['service_id']}", settings or {"payment": "full"})
    assert res.status_code == 200, res.get_json()


def dispatch(app: Flask) -> int:
    """The outbox fan-out as the worker runs it (consumers loaded as the Dispatcher does)."""
    load_consumers()
    return sync_dispatch(app)
