"""Connecting Zoho CRM through the API: the data centre the callback names (checked against
the trusted table) and the token answer's API domain stored per connection, the customer
streams created, every later call sent to that data centre, DELETE revoking the grant there."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import crypto
from hub.clock import ManualClock
from hub.db import transaction
from hub.integrations import channels, context, shared_tokens
from hub.integrations.engine import run_due, sync_now
from hub.integrations.runtime import SyncRuntime
from hub.models import Event, IntegrationConnection, IntegrationLink, IntegrationStream
from tests.connectors.zoho_support import START
from tests.fakes.zoho import FakeZoho
from tests.integrations.support import at, book, dispatch, next_weekday
from tests.integrations.zoho_hub import NAME, zoho_runtime
from tests.integrations.zoho_hub import callback as _callback
from tests.integrations.zoho_hub import connect as _connected
from tests.integrations.zoho_hub import connection as _connection
from tests.integrations.zoho_hub import consent as _consent
from tests.support import Api, Tenant


@pytest.fixture
def user_location() -> str:
    """Where the consenting user's Zoho organisation lives."""
    return "eu"


@pytest.fixture
def clock() -> ManualClock:
    """The pinned clock the fake and the sync share."""
    return ManualClock(START)


@pytest.fixture
def zoho(
    monkeypatch: pytest.MonkeyPatch, user_location: str, clock: ManualClock
) -> Iterator[FakeZoho]:
    """The fake with the US and EU data centres, on a pinned clock."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeZoho(("us", "eu"), user_location=user_location, now=clock.now) as fake:
        yield fake


@pytest.fixture
def rt(app: Flask, zoho: FakeZoho, clock: ManualClock) -> Iterator[SyncRuntime]:
    """The app's SyncRuntime with the Zoho application pointed at the fake's data centres."""
    with zoho_runtime(app, zoho, clock) as runtime:
        yield runtime


def test_eu_connection_stores_its_data_centre_and_streams(
    rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """The code goes to the EU accounts server; the connection keeps the EU hosts; the
    connector built for it calls the EU API domain only; contacts and leads streams exist."""
    query = _consent(api)
    resp = _callback(client, query)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert zoho.accounts.token_calls == [("eu", "authorization_code")]
    conn = _connection(rt, tenant)
    assert conn is not None and conn.status == "connected"
    assert conn.endpoints == {
        "location": "eu",
        "accounts_server": zoho.base("eu"),
        "api_domain": zoho.base("eu"),
    }
    with rt.db.session() as session:
        streams = session.execute(
            select(IntegrationStream.stream, IntegrationStream.technician_id).where(
                IntegrationStream.connection_id == conn.id
            )
        ).all()
        row = session.get(IntegrationConnection, conn.id)
        assert row is not None
        connector = context.connector_for(rt, row)
    assert sorted(streams) == [("contacts", None), ("leads", None)]
    zoho.requests.clear()
    with connector:
        identity = connector.check()
    assert identity.id == str(conn.remote_account_id)
    assert {r.location for r in zoho.requests} == {"eu"}
    status = api.get(f"/v2/integrations/{NAME}")
    assert status.status_code == 200 and status.get_json()["status"] == "connected"


def test_reconnecting_keeps_one_row_per_stream(
    rt: SyncRuntime, api: Api, client: FlaskClient, tenant: Tenant
) -> None:
    """A second consent of the same organisation does not duplicate the stream rows."""
    for _ in range(2):
        assert _callback(client, _consent(api)).status_code == 200
    conn = _connection(rt, tenant)
    assert conn is not None
    with rt.db.session() as session:
        names = session.scalars(
            select(IntegrationStream.stream).where(IntegrationStream.connection_id == conn.id)
        ).all()
    assert sorted(names) == ["contacts", "leads"]


@pytest.mark.parametrize(
    "forged",
    [
        {"accounts-server": "https://accounts.evil.example"},
        {"location": "xx"},
        {"location": "us"},  # the EU accounts server does not belong to the US data centre
    ],
)
def test_untrusted_data_centre_is_refused_before_any_token_call(
    rt: SyncRuntime,
    api: Api,
    client: FlaskClient,
    zoho: FakeZoho,
    tenant: Tenant,
    forged: dict[str, str],
) -> None:
    """A callback naming a host outside the table: no code exchange, no connection."""
    query = {**_consent(api), **forged}
    resp = _callback(client, query)
    assert "untrusted_endpoint" in resp.get_data(as_text=True)
    assert zoho.accounts.token_calls == []
    conn = _connection(rt, tenant)
    assert conn is None or conn.status != "connected"


def test_delete_revokes_the_refresh_token_at_its_data_centre(
    rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """DELETE /v2/integrations/zoho revokes the refresh token at the EU accounts server."""
    assert _callback(client, _consent(api)).status_code == 200
    conn = _connection(rt, tenant)
    assert conn is not None
    refresh = crypto.decrypt_optional(rt.settings, conn.refresh_token)
    assert refresh and zoho.accounts.grants[refresh].revoked is False
    resp = api.delete(f"/v2/integrations/{NAME}")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["revoked"] is True
    assert zoho.accounts.grants[refresh].revoked is True
    assert zoho.accounts.revocations == [refresh]
    after = _connection(rt, tenant)
    assert after is not None and after.status == "disconnected" and after.refresh_token is None


def _contacts(zoho: FakeZoho) -> dict[str, dict[str, Any]]:
    return dict(zoho.store("eu").modules["Contacts"].records)


def test_customers_pushed_as_contacts_matched_and_refused_per_record(
    app: Flask, rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """customer.created reaches the Zoho connection; one upsert writes the batch at the EU data
    centre; a contact with the same e-mail is matched, not duplicated; a record Zoho refuses
    is reported (link, connection, integration.error) without failing the others; an echo
    is not written again; an edit is an update of the linked contact."""
    existing = zoho.store("eu").create("Contacts", Last_Name="Ancien", Email="paul@example.fr")
    connection_id = _connected(rt, api, client, tenant)
    ids = {}
    for key, body in {
        "new": {"first_name": "Marie", "last_name": "Curie", "email": "marie@example.fr"},
        "match": {"first_name": "Paul", "last_name": "Martin", "email": "Paul@example.fr"},
        "bad": {"first_name": "Long", "last_name": "N" * 90, "email": "long@example.fr"},
    }.items():
        resp = api.post("/v2/customers", body)
        assert resp.status_code == 201, resp.get_json()
        ids[key] = resp.get_json()["id"]
    dispatch(app)
    before = len(_contacts(zoho))
    zoho.requests.clear()
    stats = sync_now(rt, connection_id)
    assert stats is not None
    upserts = [r for r in zoho.requests if r.path.endswith("/Contacts/upsert")]
    assert len(upserts) == 1 and {r.location for r in zoho.requests} == {"eu"}
    contacts = _contacts(zoho)
    demo_customers = before - 1  # the tenant's demo customers exported too (not in `ids`)
    assert demo_customers >= 0
    emails = [c.get("Email") for c in contacts.values()]
    assert emails.count("paul@example.fr") == 1 and emails.count("marie@example.fr") == 1
    assert "long@example.fr" not in emails
    with rt.db.session() as session:
        links = {
            link.local_id: link
            for link in session.scalars(
                select(IntegrationLink).where(
                    IntegrationLink.connection_id == connection_id,
                    IntegrationLink.local_type == "customer",
                )
            )
        }
        conn = session.get(IntegrationConnection, connection_id)
        errors = session.scalars(
            select(Event).where(
                Event.account_id == tenant.account_id, Event.type == "integration.error"
            )
        ).all()
    assert links[ids["match"]].remote_id == existing["id"]
    assert links[ids["new"]].remote_state == "live" and not links[ids["new"]].pending
    assert links[ids["bad"]].push_error and links[ids["bad"]].remote_id is None
    assert conn is not None and conn.last_error_code == "INVALID_DATA"
    assert [e.data["object"] for e in errors] == [{"type": "customer", "id": ids["bad"]}]

    # Nothing changed: nothing written. An edit: one update of the linked contact.
    zoho.requests.clear()
    sync_now(rt, connection_id)
    assert not [r for r in zoho.requests if r.method != "GET"]
    assert api.put(f"/v2/customers/{ids['new']}", {"last_name": "Curie-Joliot"}).status_code == 200
    dispatch(app)
    sync_now(rt, connection_id)
    remote_id = links[ids["new"]].remote_id
    assert remote_id is not None
    assert _contacts(zoho)[remote_id]["Last_Name"] == "Curie-Joliot"


def test_customer_events_do_not_reach_connections_that_sync_no_customers(
    app: Flask, rt: SyncRuntime, api: Api, client: FlaskClient, tenant: Tenant
) -> None:
    """Only the Zoho connection's contacts stream gets customer links."""
    connection_id = _connected(rt, api, client, tenant)
    resp = api.post("/v2/customers", {"first_name": "A", "last_name": "B"})
    dispatch(app)
    with rt.db.session() as session:
        rows = session.execute(
            select(IntegrationLink.connection_id, IntegrationLink.stream).where(
                IntegrationLink.local_id == resp.get_json()["id"]
            )
        ).all()
    assert rows == [(connection_id, "contacts")]


def _customers(api: Api) -> list[dict[str, Any]]:
    resp = api.get("/v2/customers", per_page=100)
    assert resp.status_code == 200
    return list(resp.get_json()["data"])


def _enable_leads(rt: SyncRuntime, connection_id: str) -> None:
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        assert conn is not None
        conn.config = {**(conn.config or {}), "streams": ["contacts", "leads"]}


def test_contacts_pulled_into_customers_matched_edited_deleted_merged(
    app: Flask, rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """Zoho contacts become customers (an existing customer with the same phone is linked,
    not duplicated); an edit in Zoho updates the customer and is not written back; a
    deletion or merge unlinks the customer (customers are never deleted); the cursor is saved
    after every page."""
    kept = api.post(
        "/v2/customers",
        {"first_name": "Jeanne", "last_name": "Sans", "phone": "06 55 44 33 22"},
    ).get_json()["id"]
    dispatch(app)  # before connecting: nothing to push, the match is made on our side
    store = zoho.store("eu")
    same_phone = store.create("Contacts", Last_Name="Sans", Phone="+33655443322")
    fresh = store.create("Contacts", First_Name="Luc", Last_Name="Neuf", Email="luc@example.fr")
    other = store.create("Contacts", Last_Name="Double", Email="double@example.fr")
    connection_id = _connected(rt, api, client, tenant)
    saved: list[int] = []
    rt.hooks.after_cursor = lambda stream, n: saved.append(n)
    stats = sync_now(rt, connection_id)
    assert stats is not None and stats["matched"] >= 1 and saved
    by_email = {c["email"]: c for c in _customers(api)}
    assert by_email["luc@example.fr"]["first_name"] == "Luc"
    with rt.db.session() as session:
        linked = dict(
            session.execute(
                select(IntegrationLink.remote_id, IntegrationLink.local_id).where(
                    IntegrationLink.connection_id == connection_id,
                    IntegrationLink.remote_id.is_not(None),
                )
            ).all()
        )
    assert linked[same_phone["id"]] == kept
    assert linked[fresh["id"]] == by_email["luc@example.fr"]["id"]
    assert len([c for c in _customers(api) if c["last_name"] == "Sans"]) == 1

    # An edit in Zoho: the customer follows, nothing is written back.
    store.touch("Contacts", fresh["id"], Last_Name="Nouveau")
    dispatch(app)
    zoho.requests.clear()
    sync_now(rt, connection_id)
    dispatch(app)
    sync_now(rt, connection_id)
    assert not [r for r in zoho.requests if r.method != "GET"]
    luc = next(c for c in _customers(api) if c["email"] == "luc@example.fr")
    assert luc["last_name"] == "Nouveau"

    # A merge (other into fresh) and a deletion: links go, customers stay.
    store.merge("Contacts", fresh["id"], [other["id"]])
    store.remove("Contacts", same_phone["id"])
    sync_now(rt, connection_id)
    with rt.db.session() as session:
        remaining = set(
            session.scalars(
                select(IntegrationLink.remote_id).where(
                    IntegrationLink.connection_id == connection_id,
                    IntegrationLink.remote_id.is_not(None),
                )
            )
        )
    assert fresh["id"] in remaining
    assert other["id"] not in remaining and same_phone["id"] not in remaining
    assert any(c["id"] == kept for c in _customers(api))


def test_leads_option_and_a_converted_lead_keeps_its_customer(
    app: Flask, rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """Leads are read only when the connection lists them; a lead converted in Zoho keeps
    the same customer, now linked to the new contact."""
    store = zoho.store("eu")
    lead = store.create("Leads", First_Name="Léa", Last_Name="Prospect", Email="lea@example.fr")
    connection_id = _connected(rt, api, client, tenant)
    sync_now(rt, connection_id)
    assert "lea@example.fr" not in {c["email"] for c in _customers(api)}
    _enable_leads(rt, connection_id)
    sync_now(rt, connection_id)
    customer = next(c for c in _customers(api) if c["email"] == "lea@example.fr")
    contact_id = store.convert_lead(lead["id"])
    dispatch(app)
    sync_now(rt, connection_id)
    same = [c for c in _customers(api) if c["email"] == "lea@example.fr"]
    assert [c["id"] for c in same] == [customer["id"]]
    with rt.db.session() as session:
        link = session.scalars(
            select(IntegrationLink).where(
                IntegrationLink.connection_id == connection_id,
                IntegrationLink.local_id == customer["id"],
            )
        ).one()
    assert (link.stream, link.remote_id) == ("contacts", contact_id)


def test_watch_channel_per_module_checked_renewed_and_disabled(
    rt: SyncRuntime,
    api: Api,
    client: FlaskClient,
    zoho: FakeZoho,
    tenant: Tenant,
    clock: ManualClock,
) -> None:
    """The channels job enables one watch channel for Contacts (leads are not read), with a
    token; a notification with that token makes a pull of Contacts due, a wrong token is
    refused; the
    channel is renewed before it expires; DELETE disables it."""
    connection_id = _connected(rt, api, client, tenant)
    assert channels.renew_due(rt) == 1
    assert len(zoho.channels) == 1
    channel = next(iter(zoho.channels.values()))
    assert channel.notify_url == f"{rt.base_url}/v2/integrations/{NAME}/notifications"
    assert channel.channel_id.isdigit() and len(channel.token) <= 50
    with rt.db.session() as session:
        rows = {
            r.stream: r
            for r in session.scalars(
                select(IntegrationStream).where(IntegrationStream.connection_id == connection_id)
            )
        }
    assert rows["contacts"].channel_id == channel.channel_id and rows["leads"].channel_id is None
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        assert conn is not None
        conn.next_sync_at = clock.now() + timedelta(hours=1)
    body = {"channel_id": channel.channel_id, "module": "Contacts", "operation": "insert"}
    bad = client.post(f"/v2/integrations/{NAME}/notifications", json={**body, "token": "forged"})
    assert bad.status_code == 403, bad.get_json()
    good = client.post(
        f"/v2/integrations/{NAME}/notifications", json={**body, "token": channel.token}
    )
    assert good.status_code in (200, 202), good.get_json()
    after = _connection(rt, tenant)
    assert after is not None and after.next_sync_at is not None
    assert after.next_sync_at > clock.now()  # the connection's poll is not brought forward
    with rt.db.session() as session:
        due = session.get(IntegrationStream, rows["contacts"].id)
        assert due is not None and due.pull_due_at == clock.now()  # Contacts alone is

    # Nothing to renew yet; two days and a bit later the channel is replaced before expiry.
    assert channels.renew_due(rt) == 0
    clock.advance(timedelta(days=2, hours=1))
    assert channels.renew_due(rt) == 1
    assert list(zoho.channels) != [channel.channel_id] and len(zoho.channels) == 1

    resp = api.delete(f"/v2/integrations/{NAME}")
    assert resp.status_code == 200
    assert zoho.channels == {}


def test_expired_access_token_refreshed_at_the_connection_data_centre(
    rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """Zoho refuses the access token: the engine refreshes once at the EU accounts server."""
    connection_id = _connected(rt, api, client, tenant)
    zoho.accounts.expire_access_tokens()
    zoho.accounts.token_calls.clear()
    stats = sync_now(rt, connection_id)
    assert stats is not None and stats["pages"] >= 1
    assert zoho.accounts.token_calls == [("eu", "refresh_token")]
    after = _connection(rt, tenant)
    assert after is not None and after.status == "connected"


def test_a_contacts_notification_pulls_contacts_only(
    app: Flask,
    rt: SyncRuntime,
    api: Api,
    client: FlaskClient,
    zoho: FakeZoho,
    tenant: Tenant,
    clock: ManualClock,
) -> None:
    """With leads read too, a Contacts notification pulls Contacts and not Leads (counted at
    the fake); the scheduled poll still pulls every stream."""
    store = zoho.store("eu")
    connection_id = _connected(rt, api, client, tenant)
    _enable_leads(rt, connection_id)
    sync_now(rt, connection_id)
    assert channels.renew_due(rt) == 1  # one connection, a channel per read module
    by_module = {c.events[0].split(".")[0]: c for c in zoho.channels.values()}
    assert sorted(by_module) == ["Contacts", "Leads"]
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        assert conn is not None
        conn.next_sync_at = clock.now() + timedelta(hours=1)
    assert run_due(rt) == 0  # nothing due

    store.create("Contacts", First_Name="Noé", Last_Name="Contact", Email="noe@example.fr")
    store.create("Leads", First_Name="Lou", Last_Name="Piste", Email="lou@example.fr")
    contacts = by_module["Contacts"]
    zoho.requests.clear()
    resp = client.post(
        f"/v2/integrations/{NAME}/notifications",
        json={
            "channel_id": contacts.channel_id,
            "module": "Contacts",
            "operation": "insert",
            "token": contacts.token,
        },
    )
    assert resp.status_code in (200, 202), resp.get_json()
    assert run_due(rt) == 1
    paths = [r.path for r in zoho.requests]
    assert any(p.startswith("/crm/v8/Contacts") for p in paths)
    assert not [p for p in paths if p.startswith("/crm/v8/Leads")]
    emails = {c["email"] for c in _customers(api)}
    assert "noe@example.fr" in emails and "lou@example.fr" not in emails
    with rt.db.session() as session:
        due = session.scalars(
            select(IntegrationStream.pull_due_at).where(
                IntegrationStream.connection_id == connection_id
            )
        ).all()
    assert due == [None, None]
    assert run_due(rt) == 0  # the notification was served once

    # The poll (an hour later) reads every stream: the lead comes in.
    clock.advance(timedelta(hours=1, seconds=1))
    zoho.requests.clear()
    assert run_due(rt) == 1
    assert any(r.path.startswith("/crm/v8/Leads") for r in zoho.requests)
    assert "lou@example.fr" in {c["email"] for c in _customers(api)}


def _streams(api: Api) -> dict[str, dict[str, Any]]:
    resp = api.get(f"/v2/integrations/{NAME}")
    assert resp.status_code == 200, resp.get_json()
    return {s["name"]: s for s in resp.get_json()["streams"]}


def test_the_leads_option_through_the_api(
    rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """PATCH turns leads on (shown by GET, pulled at once, watched), refuses an unknown stream
    or turning contacts off with a 422 in the API's format, and turns leads off again (its
    channel stopped)."""
    store = zoho.store("eu")
    store.create("Leads", First_Name="Léa", Last_Name="Prospect", Email="lea@example.fr")
    connection_id = _connected(rt, api, client, tenant)
    before = _streams(api)
    assert (before["contacts"]["enabled"], before["contacts"]["optional"]) == (True, False)
    assert (before["leads"]["enabled"], before["leads"]["optional"]) == (False, True)

    resp = api.patch(f"/v2/integrations/{NAME}", {"streams": {"leads": True}})
    assert resp.status_code == 200, resp.get_json()
    assert {s["name"]: s["enabled"] for s in resp.get_json()["streams"]} == {
        "contacts": True,
        "leads": True,
    }
    assert _streams(api)["leads"]["enabled"] is True
    assert run_due(rt) == 1  # the newly read stream is due at once
    assert "lea@example.fr" in {c["email"] for c in _customers(api)}
    assert channels.renew_due(rt) == 1
    assert sorted(c.events[0] for c in zoho.channels.values()) == ["Contacts.all", "Leads.all"]
    assert _streams(api)["leads"]["watched"] is True

    cases = [
        ({"streams": {"deals": True}}, "UNKNOWN_STREAM", {"stream": "deals"}),
        ({"streams": {"contacts": False}}, "STREAM_REQUIRED", {"stream": "contacts"}),
        ({"streams": {"leads": "maybe"}}, "VALIDATION_ERROR", {}),
        ({"sync_every": 5}, "VALIDATION_ERROR", {}),
    ]
    for body, code, details in cases:
        bad = api.patch(f"/v2/integrations/{NAME}", body)
        assert bad.status_code == 422, (body, bad.get_json())
        error = bad.get_json()["error"]
        assert error["code"] == code and error["message"]
        assert details.items() <= error["details"].items()
    unknown = api.patch(f"/v2/integrations/{NAME}", {"streams": {"deals": True}})
    assert unknown.get_json()["error"]["details"]["streams"] == ["contacts", "leads"]
    assert _streams(api)["leads"]["enabled"] is True  # nothing changed

    off = api.patch(f"/v2/integrations/{NAME}", {"streams": {"leads": False}})
    assert off.status_code == 200 and _streams(api)["leads"]["enabled"] is False
    assert channels.renew_due(rt) == 1  # the leads channel is stopped at Zoho
    assert [c.events[0] for c in zoho.channels.values()] == ["Contacts.all"]
    with rt.db.session() as session:
        conn = session.get(IntegrationConnection, connection_id)
        assert conn is not None and conn.config["streams"] == ["contacts"]
    assert api.patch("/v2/integrations/nowhere", {"streams": {}}).status_code == 404


@pytest.fixture(params=["row", "redis"])
def token_backend(request: pytest.FixtureRequest, rt: SyncRuntime) -> Iterator[str]:
    """Where the engine shares a Zoho connection's access token: the connection row (no
    Redis), or Redis (IVALID_TEST_REDIS_URL, as IVALID_REDIS_URL in production)."""
    if request.param == "row":
        yield "row"
        return
    url = os.environ.get("IVALID_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs IVALID_TEST_REDIS_URL")
    before = rt.settings
    rt.settings = dataclasses.replace(before, redis_url=url)
    yield "redis"
    rt.settings = before


def test_workers_needing_a_token_at_once_refresh_it_once(
    rt: SyncRuntime,
    api: Api,
    client: FlaskClient,
    zoho: FakeZoho,
    tenant: Tenant,
    token_backend: str,
) -> None:
    """Twelve workers (each its own token provider, as separate processes have) find the
    access token expired at once: Zoho sees exactly one refresh (its limit is ten mints in
    ten minutes) and every worker uses the one new token; later workers read it from the
    shared cache without any refresh."""
    connection_id = _connected(rt, api, client, tenant)
    shared = shared_tokens.shared_for(rt.settings, NAME, connection_id)
    assert (shared is not None) == (token_backend == "redis")
    zoho.accounts.expire_access_tokens()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id)
        assert conn is not None
        conn.token_expires_at = conn.connected_at  # long past
    if shared is not None:
        cached = shared.load()
        assert cached is not None  # the connect stored the first token there
        shared.drop()
    zoho.accounts.token_calls.clear()
    with rt.db.session() as session:
        row = session.get(IntegrationConnection, connection_id)
        assert row is not None
        workers = [context.connector_for(rt, row) for _ in range(12)]
    barrier = threading.Barrier(len(workers))
    names: list[str] = []
    failures: list[BaseException] = []

    def work(connector: Any) -> None:
        barrier.wait()
        try:
            names.append(connector.check().id)
        except BaseException as err:  # reported below
            failures.append(err)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for w in workers:
        w.close()
    assert failures == []
    assert zoho.accounts.token_calls == [("eu", "refresh_token")]
    assert len(names) == 12
    tokens = {w.tokens.get_access_token() for w in workers}  # type: ignore[attr-defined]
    assert len(tokens) == 1
    if shared is not None:
        cached = shared.load()
        assert cached is not None and cached[0] in tokens
    with rt.db.session() as session:
        row = session.get(IntegrationConnection, connection_id)
        assert row is not None
        later = context.connector_for(rt, row)
    with later:
        later.check()
    assert zoho.accounts.token_calls == [("eu", "refresh_token")]

    assert api.delete(f"/v2/integrations/{NAME}").status_code == 200
    if shared is not None:
        assert shared.load() is None  # the disconnected grant's token is forgotten


def test_credits_zoho_reports_are_shown_on_the_status(
    rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """Zoho's credit headers after a sync are on GET (limit, remaining, used); when the
    credits run out the sync backs off and the status shows none remaining."""
    store = zoho.store("eu")
    for n in range(3):
        store.create("Contacts", Last_Name=f"Crédit {n}", Email=f"credit{n}@example.fr")
    zoho.credits_per_day = 40
    connection_id = _connected(rt, api, client, tenant)
    assert api.get(f"/v2/integrations/{NAME}").get_json()["usage"] is None
    sync_now(rt, connection_id)
    usage = api.get(f"/v2/integrations/{NAME}").get_json()["usage"]
    spent = zoho.credits_used("eu")
    assert spent > 0
    assert (usage["limit"], usage["remaining"], usage["used"]) == (40, 40 - spent, spent)
    assert usage["window"] == "24h" and usage["reported_at"]

    zoho.credits_per_day = spent  # nothing left for the next call
    store.create("Contacts", Last_Name="Trop", Email="trop@example.fr")
    sync_now(rt, connection_id)
    status = api.get(f"/v2/integrations/{NAME}").get_json()
    assert status["usage"]["remaining"] == 0 and status["usage"]["used"] == spent
    assert status["last_error"]["code"] == "TOO_MANY_REQUESTS"
    assert status["backoff_until"] is not None


def _custom_override(field: str) -> dict[str, Any]:
    return {
        "rules": [
            {
                "direction": "outbound",
                "target": field,
                "transform": "copy",
                "source": "custom_fields.numero_client",
            },
            {
                "direction": "inbound",
                "target": "custom_fields.numero_client",
                "transform": "copy",
                "source": field,
            },
        ]
    }


def test_custom_fields_discovered_at_connect_and_checked_in_the_mapping(
    app: Flask, rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """Connecting reads each module's field metadata (shown by GET); a mapping naming a
    custom field Zoho has is kept and the field read and written, one it does not have is a
    422; a field added in Zoho later is known after "sync now"."""
    store = zoho.store("eu")
    store.add_custom_field("Contacts", "Numero_Client")
    store.create("Contacts", Last_Name="Client", Email="client@example.fr", Numero_Client="C-7")
    connection_id = _connected(rt, api, client, tenant)
    assert any(r.endpoint == "fields.list" for r in zoho.requests)
    fields = {f["name"]: f for f in _streams(api)["contacts"]["fields"]}
    assert fields["Numero_Client"]["custom"] is True and fields["Numero_Client"]["type"]
    assert fields["Last_Name"]["custom"] is False
    assert _streams(api)["leads"]["fields"]  # every record stream's module

    bad = api.put(f"/v2/integrations/{NAME}/mapping", _custom_override("Numero_Clien"))
    assert bad.status_code == 422, bad.get_json()
    error = bad.get_json()["error"]
    assert error["code"] == "MAPPING_INVALID" and "Numero_Clien" in error["message"]
    assert error["details"]["fields"] == ["Numero_Clien"]
    assert error["details"]["custom_fields"] == ["Numero_Client"]
    assert api.get(f"/v2/integrations/{NAME}/mapping").get_json()["override"] is None

    good = api.put(f"/v2/integrations/{NAME}/mapping", _custom_override("Numero_Client"))
    assert good.status_code == 200, good.get_json()
    zoho.requests.clear()
    sync_now(rt, connection_id)
    reads = [r for r in zoho.requests if r.endpoint == "records.list"]
    assert reads and all("Numero_Client" in r.query["fields"].split(",") for r in reads)
    customer = next(c for c in _customers(api) if c["email"] == "client@example.fr")
    assert customer["custom_fields"]["numero_client"] == "C-7"
    resp = api.put(f"/v2/customers/{customer['id']}", {"custom_fields": {"numero_client": "C-8"}})
    assert resp.status_code == 200
    dispatch(app)
    sync_now(rt, connection_id)
    contact = next(c for c in _contacts(zoho).values() if c.get("Email") == "client@example.fr")
    assert contact["Numero_Client"] == "C-8"

    # A custom field made in Zoho after connecting: unknown until "sync now" reads the
    # metadata again.
    store.add_custom_field("Contacts", "Code_Agence")
    later = _custom_override("Code_Agence")
    assert api.put(f"/v2/integrations/{NAME}/mapping", later).status_code == 422
    assert api.post(f"/v2/integrations/{NAME}/sync").status_code == 202
    assert run_due(rt) == 1
    assert api.put(f"/v2/integrations/{NAME}/mapping", later).status_code == 200


def test_a_merge_in_zoho_merges_the_losing_customer_into_the_survivor(
    app: Flask, rt: SyncRuntime, api: Api, client: FlaskClient, zoho: FakeZoho, tenant: Tenant
) -> None:
    """Two contacts of one person, merged in Zoho (the master takes the child's e-mail): the
    child's customer is merged into the master's — its appointment moves, its local custom
    field is kept, the shared e-mail is held once — and it is never written back to Zoho."""
    store = zoho.store("eu")
    master = store.create("Contacts", First_Name="Inès", Last_Name="Roux", Phone="+33611223344")
    child = store.create(
        "Contacts",
        First_Name="Inès",
        Last_Name="Roux",
        Email="ines@example.fr",
        Mailing_City="Lyon",
    )
    connection_id = _connected(rt, api, client, tenant)
    sync_now(rt, connection_id)
    with rt.db.session() as session:
        by_remote = dict(
            session.execute(
                select(IntegrationLink.remote_id, IntegrationLink.local_id).where(
                    IntegrationLink.connection_id == connection_id
                )
            ).all()
        )
    survivor, loser = by_remote[master["id"]], by_remote[child["id"]]
    assert survivor != loser
    resp = api.put(f"/v2/customers/{loser}", {"custom_fields": {"portail": "B12"}})
    assert resp.status_code == 200
    booked = book(
        api,
        {**tenant.ids, "customer_id": loser},
        at(next_weekday(1), 10),
        location={"address": "3 rue Neuve", "city": "Paris", "postal_code": "75002"},
    )
    assert booked.status_code == 201, booked.get_json()
    appointment_id = booked.get_json()["id"]
    dispatch(app)
    sync_now(rt, connection_id)
    contacts_before = set(_contacts(zoho))

    store.merge("Contacts", master["id"], [child["id"]])
    zoho.requests.clear()
    stats = sync_now(rt, connection_id)
    assert stats is not None and stats["merged"] == 1
    dispatch(app)
    sync_now(rt, connection_id)
    dispatch(app)
    sync_now(rt, connection_id)

    customers = {c["id"]: c for c in _customers(api)}
    kept = customers[survivor]
    assert (kept["email"], kept["phone"]) == ("ines@example.fr", "+33611223344")
    assert kept["address"]["city"] == "Lyon" and kept["custom_fields"]["portail"] == "B12"
    assert [c["id"] for c in customers.values() if c["email"] == "ines@example.fr"] == [survivor]
    merged = customers[loser]  # not deleted (the API has no customer deletion)
    assert merged["email"] is None and "merged" in merged["tags"]
    moved = api.get(f"/v2/appointments/{appointment_id}").get_json()
    assert moved["customer"]["id"] == survivor
    assert set(_contacts(zoho)) == contacts_before - {child["id"]}  # nothing brought back
    assert not [r for r in zoho.requests if r.method == "POST" and "upsert" in r.path]
    with rt.db.session() as session:
        tomb = session.scalars(
            select(IntegrationLink).where(
                IntegrationLink.connection_id == connection_id, IntegrationLink.local_id == loser
            )
        ).one()
    assert (tomb.remote_state, tomb.remote_id, tomb.pending) == ("merged", None, False)

    # Applying the same deletion again (a page re-read after a crash) merges nothing twice.
    with rt.db.session() as session:
        cc = context.build(rt, session, session.get(IntegrationConnection, connection_id))
    from connectors.zoho.const import STREAM_CONTACTS
    from hub.integrations import records

    records.apply_delete(cc, cc.spec.stream(STREAM_CONTACTS), child["id"])
    cc.close()
    assert cc.stats["merged"] == 0
