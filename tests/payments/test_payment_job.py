"""The worker's `payments` job: registered in the runner, and it drives sessions and events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.clock import ManualClock
from hub.db import get_db
from scheduler import payment_jobs
from scheduler.config import WorkerSettings
from scheduler.context import WorkerContext, install
from scheduler.runner import JOBS
from tests.fakes.stripe import FakeStripe
from tests.integrations.support import at, book, next_weekday
from tests.payments.conftest import OWN_SECRET, ask_payment, connect_own_key, deliver, dispatch
from tests.support import Api, Tenant


@pytest.fixture()
def worker(stripe_app: Flask, clock: ManualClock) -> Iterator[WorkerContext]:
    ctx = WorkerContext(
        stripe_app.config["IVALID"],
        cast(WorkerSettings, None),
        get_db(stripe_app),
        "test-worker",
        clock,
        cast(Any, None),  # the dispatcher and notifier are not the payments job's
        cast(Any, None),
    )
    install(ctx)
    yield ctx
    install(None)


def test_the_runner_schedules_the_payments_job() -> None:
    assert ("payments", "scheduler.payment_jobs:run", 2.0, True) in JOBS


def test_the_job_makes_the_link_then_handles_the_payment(
    stripe_app: Flask,
    client: FlaskClient,
    api: Api,
    tenant: Tenant,
    fake: FakeStripe,
    worker: WorkerContext,
) -> None:
    conn = connect_own_key(api, fake)
    ask_payment(api, tenant, payment="full")
    apt = book(api, tenant.ids, at(next_weekday(14), 10)).get_json()["id"]
    dispatch(stripe_app)
    payment_jobs.run()
    (session,) = fake.sessions(conn["account_id"])
    fake.pay(session["id"])
    hook = api.get("/v2/integrations/stripe").get_json()["webhook_url"]
    assert (
        deliver(client, fake, fake.events[-1], OWN_SECRET, hook[hook.index("/v2/") :]).status_code
        == 200
    )
    payment_jobs.run()
    assert api.get(f"/v2/appointments/{apt}").get_json()["payment"]["status"] == "paid"


def test_the_job_stops_when_asked(worker: WorkerContext, fake: FakeStripe) -> None:
    worker.stop.set()
    payment_jobs.run()  # returns at once, nothing claimed
    assert fake.requests == []
