"""Connecting Zoho CRM through the API: the data centre the callback names (checked against
the trusted table) and the token answer's API domain stored per connection, the customer
streams created, every later call sent to that data centre, DELETE revoking the grant there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import crypto
from hub.clock import ManualClock
from hub.db import get_db, transaction
from hub.integrations import channels, context
from hub.integrations.config import ProviderConfig
from hub.integrations.engine import sync_now
from hub.integrations.runtime import SyncRuntime
from hub.models import Event, IntegrationConnection, IntegrationLink, IntegrationStream
from hub.services.integration_inbound import local_services
from tests.connectors.zoho_support import START
from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeZoho
from tests.integrations.support import dispatch
from tests.support import Api, Tenant, follow_callback

NAME = "zoho"


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
    provider = ProviderConfig(
        connector=NAME,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        authorize_url=f"{zoho.base('us')}/oauth/v2/auth",
        extra={"data_centres": zoho.data_centres()},
    )
    runtime = SyncRuntime(
        db=get_db(app),
        settings=app.config["IVALID"],
        providers={NAME: provider},
        clock=clock,
        worker_id="test-worker",
        allow_http_push=True,
        local=local_services(),
        http_timeout=10.0,
    )
    previous = app.extensions.get("ivalid_sync")
    app.extensions["ivalid_sync"] = runtime
    yield runtime
    if previous is None:
        app.extensions.pop("ivalid_sync", None)
    else:
        app.extensions["ivalid_sync"] = previous


def _consent(api: Api) -> dict[str, str]:
    """Start connecting and follow the consent URL to the fake; the callback's query."""
    resp = api.post(f"/v2/integrations/{NAME}/connect")
    assert resp.status_code == 200, resp.get_json()
    answer = requests.get(resp.get_json()["authorization_url"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    assert parts.path == f"/oauth/callback/{NAME}"
    return dict(item.split("=", 1) for item in parts.query.split("&"))


def _callback(client: FlaskClient, query: dict[str, str]) -> Any:
    """The browser back on our callback; a user of the account signs in and confirms."""
    from urllib.parse import unquote

    location = f"/oauth/callback/{NAME}?{urlencode({k: unquote(v) for k, v in query.items()})}"
    return follow_callback(client.application, client, location)


def _connection(rt: SyncRuntime, tenant: Tenant) -> IntegrationConnection | None:
    with rt.db.session() as session:
        conn = session.scalars(
            select(IntegrationConnection).where(
                IntegrationConnection.account_id == tenant.account_id,
                IntegrationConnection.connector == NAME,
            )
        ).first()
        if conn is not None:
            session.expunge(conn)
        return conn


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


def _connected(rt: SyncRuntime, api: Api, client: FlaskClient, tenant: Tenant) -> str:
    assert _callback(client, _consent(api)).status_code == 200
    conn = _connection(rt, tenant)
    assert conn is not None
    return conn.id


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
    token; a notification with that token makes a pull due, a wrong token is refused; the
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
