"""The sandbox reset: back to the demo data every 24 h; production is never touched."""

from __future__ import annotations

import json
import threading

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.cli import main
from hub.clock import ManualClock
from hub.db import get_db
from hub.models import (
    Appointment,
    Customer,
    Event,
    IntegrationConnection,
    IntegrationStream,
    SandboxReset,
    WebhookEndpoint,
)
from hub.services import sandbox
from tests.events.webhooks.conftest import create_customer, create_hook
from tests.events.webhooks.receiver import Receiver
from tests.support import Api, Tenant


def _counts(app: Flask, account_id: str, environment: str) -> dict[str, int]:
    with get_db(app).session() as s:
        out = {}
        for model in (Customer, Appointment, Event, WebhookEndpoint):
            out[model.__name__] = (
                s.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(
                        model.account_id == account_id,  # type: ignore[attr-defined]
                        model.environment == environment,  # type: ignore[attr-defined]
                    )
                )
                or 0
            )
        return out


def _prod(app: Flask, client: FlaskClient, tenant: Tenant) -> Api:
    """The same account's production environment, with data of its own."""
    from hub.services import demo
    from hub.services.credentials import create_key

    with get_db(app).session() as s:
        demo.seed(s, tenant.account_id, "production")
        key = create_key(s, tenant.account_id, "production", None)
    prod = Api(client, key.secret)
    create_customer(prod, "Production")
    return prod


def test_reset_restores_the_demo_data_and_leaves_production_alone(
    app: Flask, client: FlaskClient, api: Api, tenant: Tenant, receiver: Receiver
) -> None:
    prod = _prod(app, client, tenant)
    hook = create_hook(api, receiver.url())
    for name in ("A", "B", "C"):
        create_customer(api, name)
    production_before = _counts(app, tenant.account_id, "production")
    assert _counts(app, tenant.account_id, "sandbox")["Customer"] == 4
    assert sandbox.reset(get_db(app), tenant.account_id, ManualClock().now())
    after = _counts(app, tenant.account_id, "sandbox")
    assert after == {"Customer": 1, "Appointment": 1, "Event": 0, "WebhookEndpoint": 1}
    assert [c["name"] for c in api.get("/v2/customers").json["data"]] == ["Marie Dupont"]
    assert api.get(f"/v2/webhooks/{hook['id']}").status_code == 200  # configuration is kept
    assert _counts(app, tenant.account_id, "production") == production_before
    assert prod.get("/v2/customers").json["meta"]["total"] == 2


def test_the_worker_job_resets_each_sandbox_every_24_hours(
    app: Flask, api: Api, tenant: Tenant, other_tenant: Tenant, clock: ManualClock
) -> None:
    db = get_db(app)
    create_customer(api, "Extra")
    assert sandbox.reset_due(db, clock.now()) == 0  # new accounts count from their creation
    clock.advance(hours=23)
    assert sandbox.reset_due(db, clock.now()) == 0
    clock.advance(hours=1, minutes=1)
    assert sandbox.reset_due(db, clock.now()) == 2
    assert _counts(app, tenant.account_id, "sandbox")["Customer"] == 1
    assert sandbox.reset_due(db, clock.now()) == 0
    create_customer(api, "Again")
    clock.advance(hours=24)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(sandbox.reset_due(db, clock.now())))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 2  # two workers never reset the same sandbox twice
    assert _counts(app, tenant.account_id, "sandbox")["Customer"] == 1
    with db.session() as s:
        row = s.get(SandboxReset, tenant.account_id)
        assert row is not None and row.runs == 2 and row.state == "done"


def test_a_reset_cut_short_is_taken_over(app: Flask, tenant: Tenant, clock: ManualClock) -> None:
    db = get_db(app)
    create_customer(Api(app.test_client(), tenant.api_key), "Extra")
    clock.advance(hours=25)
    assert sandbox._claim(db, tenant.account_id, clock.now(), force=False)  # then the worker dies
    assert _counts(app, tenant.account_id, "sandbox")["Customer"] == 1  # the extra is gone
    assert sandbox.reset_due(db, clock.now()) == 0  # someone is on it
    clock.advance(minutes=11)
    assert sandbox.reset_due(db, clock.now()) == 1
    assert _counts(app, tenant.account_id, "sandbox")["Customer"] == 1


def test_cli_sandbox_reset(
    app: Flask, api: Api, tenant: Tenant, other_tenant: Tenant, base_config: dict[str, object]
) -> None:
    create_customer(api, "Extra")
    env = {
        "IVALID_DATABASE_URL": str(base_config["database_url"]),
        "IVALID_DATA_DIR": str(base_config["data_dir"]),
    }
    runner = CliRunner()
    result = runner.invoke(
        main, ["sandbox", "reset", "--account", tenant.account_id, "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"reset": [tenant.account_id], "busy": []}
    assert _counts(app, tenant.account_id, "sandbox")["Customer"] == 1
    result = runner.invoke(main, ["sandbox", "reset", "--account", "acct_nope"], env=env)
    assert result.exit_code == 2 and "unknown account" in result.output


def _demo_ids(api: Api) -> dict[str, list[str]]:
    return {
        path: sorted(o["id"] for o in api.get(f"/v2/{path}", per_page=100).json["data"])
        for path in ("customers", "technicians", "services", "teams", "appointments")
    }


def test_a_reset_restores_the_same_ids_and_keeps_the_integrators_configuration(
    app: Flask, api: Api, tenant: Tenant, receiver: Receiver
) -> None:
    """The demo objects come back with their ids and values; what the integrator added is
    gone; credentials, webhook endpoints, integration connections (mapping included) and the
    technicians' linked calendars stay."""
    seeded = _demo_ids(api)
    hook = create_hook(api, receiver.url())
    customer_id, apt_id = tenant.ids["customer_id"], seeded["appointments"][0]
    assert api.put(f"/v2/customers/{customer_id}", {"first_name": "Changée"}).status_code == 200
    assert api.post(f"/v2/appointments/{apt_id}/cancel").status_code == 200
    create_customer(api, "Extra")
    with get_db(app).session() as s, s.begin():
        connection = IntegrationConnection(
            id="conn_sandboxkept",
            account_id=tenant.account_id,
            environment="sandbox",
            connector="google_calendar",
            status="connected",
            mapping_override={"fields": {"title": "{service.name}"}},
        )
        s.add(connection)
        s.flush()
        s.add(
            IntegrationStream(
                id="ical_sandboxkept",
                account_id=tenant.account_id,
                environment="sandbox",
                connection_id=connection.id,
                stream="events",
                technician_id=tenant.ids["technician_id"],
                remote_id="jean.martin@company.com",
            )
        )
    assert sandbox.reset(get_db(app), tenant.account_id, ManualClock().now())
    assert _demo_ids(api) == seeded  # same ids, nothing more
    marie = api.get(f"/v2/customers/{customer_id}").json
    assert marie["first_name"] == "Marie" and marie["name"] == "Marie Dupont"
    assert api.get(f"/v2/appointments/{apt_id}").json["status"] == "confirmed"
    assert api.get(f"/v2/webhooks/{hook['id']}").status_code == 200
    assert api.get("/v2/me").status_code == 200  # the credential still works
    with get_db(app).session() as s:
        kept = s.get(IntegrationConnection, "conn_sandboxkept")
        assert kept is not None and kept.mapping_override == {"fields": {"title": "{service.name}"}}
        calendar = s.get(IntegrationStream, "ical_sandboxkept")
        assert calendar is not None and calendar.technician_id == tenant.ids["technician_id"]
