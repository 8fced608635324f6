"""The transactional outbox: events iff committed, /v2/events, and the consumer registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import get_db, transaction
from hub.events import fanout
from hub.models import Customer, Event
from hub.services import events
from hub.services.dispatch import Dispatcher
from hub.timeutil import utcnow
from tests.dates import PARIS
from tests.events.webhooks.conftest import create_customer, create_hook
from tests.events.webhooks.receiver import Receiver
from tests.support import Api, Tenant


def _count(app: Flask) -> int:
    with get_db(app).session() as s:
        return s.scalar(select(func.count()).select_from(Event)) or 0


def test_an_event_exists_iff_its_change_was_committed(app: Flask, api: Api, tenant: Tenant) -> None:
    before = _count(app)
    create_customer(api)
    assert _count(app) == before + 1
    # A booking refused by the rules (the slot is taken) writes neither the row nor an event.
    taken = api.get("/v2/appointments").json["data"][0]
    resp = api.post(
        "/v2/appointments",
        {
            "customer_id": tenant.ids["customer_id"],
            "service_id": tenant.ids["service_id"],
            "technician_id": taken["technician"]["id"],
            "scheduled_at": taken["scheduled_at"],
        },
    )
    assert resp.status_code == 409, resp.json
    assert _count(app) == before + 1
    # A transaction that fails after recording rolls the event back with the change.
    with get_db(app).session() as s, pytest.raises(RuntimeError), transaction(s):
        s.add(
            Customer(
                id="cust_rolledback",
                account_id=tenant.account_id,
                environment="sandbox",
                first_name="X",
                last_name="Y",
            )
        )
        events.record(
            s, tenant.account_id, "sandbox", "customer.created", {"id": "cust_rolledback"}
        )
        raise RuntimeError("crash before commit")
    assert _count(app) == before + 1
    with get_db(app).session() as s:
        assert s.get(Customer, "cust_rolledback") is None


def test_list_and_get_events_in_the_payload_shape(app: Flask, api: Api) -> None:
    c = create_customer(api)
    api.put(f"/v2/customers/{c['id']}", {"first_name": "Anne"})
    page = api.get("/v2/events").json
    assert page["meta"]["total"] == 2
    assert [e["event"] for e in page["data"]] == ["customer.updated", "customer.created"]
    first = page["data"][1]
    assert list(first) == ["id", "event", "timestamp", "data"]
    assert first["data"]["id"] == c["id"] and first["timestamp"].endswith("Z")
    assert api.get(f"/v2/events/{first['id']}").json == first
    only = api.get("/v2/events", type="customer.created").json
    assert [e["id"] for e in only["data"]] == [first["id"]]
    both = api.get("/v2/events", type="customer.created,customer.updated").json
    assert both["meta"]["total"] == 2
    today = datetime.now(PARIS).date()  # date bounds are days of the account (Paris)
    assert (
        api.get("/v2/events", date_from=str(today - timedelta(days=1))).json["meta"]["total"] == 2
    )
    assert api.get("/v2/events", date_to=str(today - timedelta(days=2))).json["meta"]["total"] == 0
    assert api.get("/v2/events", date_from="yesterday").status_code == 422
    assert api.get("/v2/events", page=0).status_code == 422
    assert api.get("/v2/events", colour="red").status_code == 422
    resp = api.get("/v2/events/evt_unknown")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "NOT_FOUND"


def test_events_are_private_and_kept_30_days(
    app: Flask, client: FlaskClient, api: Api, other_tenant: Tenant, tenant: Tenant
) -> None:
    create_customer(api)
    [mine] = api.get("/v2/events").json["data"]
    other = Api(client, other_tenant.api_key)
    assert other.get("/v2/events").json["meta"]["total"] == 0
    assert other.get(f"/v2/events/{mine['id']}").status_code == 404
    with get_db(app).session() as s, transaction(s):
        old = events.record(s, tenant.account_id, "sandbox", "customer.created", {"id": "cust_old"})
        old.created_at = utcnow() - timedelta(days=31)
    assert api.get("/v2/events").json["meta"]["total"] == 1
    assert api.get(f"/v2/events/{old.id}").status_code == 404


@pytest.fixture()
def seen() -> Iterator[list[tuple[str, str, bool]]]:
    calls: list[tuple[str, str, bool]] = []

    def consumer(session: Session, event: Event) -> None:
        calls.append((event.id, event.type, session.in_transaction()))

    def broken(session: Session, event: Event) -> None:
        session.add(
            Customer(
                id="cust_from_broken",
                account_id=event.account_id,
                environment=event.environment,
                first_name="B",
                last_name="B",
            )
        )
        raise ValueError("a bug in a consumer")

    fanout.register_consumer("test-seen", consumer, types={"customer.created"})
    fanout.register_consumer("test-broken", broken)
    yield calls
    fanout.unregister_consumer("test-seen")
    fanout.unregister_consumer("test-broken")


def test_registered_consumers_see_each_event_once_in_the_fanout_transaction(
    app: Flask,
    api: Api,
    receiver: Receiver,
    dispatcher: Dispatcher,
    seen: list[tuple[str, str, bool]],
) -> None:
    create_hook(api, receiver.url())
    c = create_customer(api)
    api.put(f"/v2/customers/{c['id']}", {"first_name": "Anne"})
    dispatcher.run_until_idle()
    dispatcher.run_until_idle()
    created = api.get("/v2/events", type="customer.created").json["data"][0]
    assert seen == [(created["id"], "customer.created", True)]
    # The broken consumer's writes were rolled back; webhooks and the others went on.
    assert len(receiver.received()) == 1
    with get_db(app).session() as s:
        assert s.get(Customer, "cust_from_broken") is None
        assert (
            s.scalar(select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None)))
            == 0
        )
