"""/v2/integrations and the OAuth callback: status, connect, state rules, disconnect, errors."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connectors.base import pkce_pair
from hub import crypto
from hub.integrations.config import ProviderConfig
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection, IntegrationOAuthState
from tests.fakes.google_calendar import DEFAULT_CLIENT_ID, SCOPE, FakeGoogleCalendar
from tests.integrations.conftest import connection, connection_id
from tests.integrations.support import JEAN_EMAIL, NAME, PIERRE_EMAIL, MovingClock, consent
from tests.support import Api, Tenant, follow_callback, make_tenant

BASE = f"/v2/integrations/{NAME}"


def _callback(client: FlaskClient, location: str, **headers: str):
    return follow_callback(client.application, client, location, **headers)


def test_list_shows_every_connector_disconnected(api: Api, rt: SyncRuntime) -> None:
    """Before connecting: the Google connector is listed, configured, disconnected."""
    resp = api.get("/v2/integrations")
    assert resp.status_code == 200
    google = next(i for i in resp.json["data"] if i["name"] == NAME)
    assert google["status"] == "disconnected" and google["configured"] is True
    assert google["supports_push"] is True and google["connected_as"] is None
    assert api.get(BASE).json["sync_interval"] == 900


def test_unknown_connector_is_404(api: Api, rt: SyncRuntime) -> None:
    """Every route answers 404 in the API's format for a connector that does not exist."""
    for method, path in [
        ("GET", "/v2/integrations/nope"),
        ("POST", "/v2/integrations/nope/connect"),
        ("POST", "/v2/integrations/nope/sync"),
        ("DELETE", "/v2/integrations/nope"),
    ]:
        resp = api.client.open(path, method=method, headers=api.headers())
        assert resp.status_code == 404, (path, resp.json)
        assert resp.json["error"]["code"] == "NOT_FOUND"


def test_connect_needs_a_configured_application(app: Flask, api: Api, rt: SyncRuntime) -> None:
    """Without IVALID_GOOGLE_CLIENT_ID the connect call says what is missing (409)."""
    rt.providers[NAME] = ProviderConfig(NAME)
    resp = api.post(f"{BASE}/connect")
    assert resp.status_code == 409
    assert resp.json["error"]["code"] == "INTEGRATION_NOT_CONFIGURED"


def test_connect_flow_stores_encrypted_tokens_and_links_calendars(
    app: Flask,
    api: Api,
    client: FlaskClient,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    tenant: Tenant,
) -> None:
    """connect → consent → callback: connected as the Google user, tokens encrypted at rest,
    technicians linked to the calendars named after their e-mail."""
    resp = api.post(f"{BASE}/connect")
    url = resp.json["authorization_url"]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(fake.base_url + "/o/oauth2/v2/auth")
    assert query["client_id"] == [DEFAULT_CLIENT_ID] and query["scope"] == [SCOPE]
    assert query["redirect_uri"] == [f"{rt.base_url}/oauth/callback/{NAME}"]
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    with rt.db.session() as session:
        stored = session.scalars(select(IntegrationOAuthState)).one()
        verifier = crypto.decrypt(rt.settings, stored.code_verifier)
        assert stored.state_hash != query["state"][0]  # only the hash is kept
        assert stored.account_id == tenant.account_id and stored.environment == "sandbox"
    assert pkce_pair(verifier)[1] == query["code_challenge"][0]

    page = _callback(client, consent(fake, url))
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'data-status="connected"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert fake.requests[-3].body["code_verifier"] == verifier  # PKCE kept server-side

    status = api.get(BASE).json
    assert status["status"] == "connected"
    assert status["connected_as"]["email"] == "admin@company.com"
    assert status["technicians_linked"] == 2
    row = connection(rt, connection_id(rt, tenant))
    assert (
        row.access_token
        and "ya29." not in row.access_token
        and "ya29." not in (row.refresh_token or "")
    )
    assert crypto.decrypt(rt.settings, row.access_token).startswith("ya29.")
    links = api.get(f"{BASE}/links/technicians").json
    assert {link["calendar_id"] for link in links["data"]} == {JEAN_EMAIL, PIERRE_EMAIL}
    assert {c["id"] for c in links["calendars"]} >= {JEAN_EMAIL, PIERRE_EMAIL}


def test_state_is_single_use(
    api: Api, client: FlaskClient, fake: FakeGoogleCalendar, rt: SyncRuntime
) -> None:
    """Replaying the callback URL is refused: the state was consumed."""
    location = consent(fake, api.post(f"{BASE}/connect").json["authorization_url"])
    assert _callback(client, location).status_code == 200
    again = _callback(client, location)
    assert again.status_code == 400 and 'data-status="invalid_state"' in again.get_data(True)


def test_state_expires_after_ten_minutes(
    api: Api,
    client: FlaskClient,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    clock: MovingClock,
) -> None:
    """A consent finished too late is refused, and nothing is connected."""
    location = consent(fake, api.post(f"{BASE}/connect").json["authorization_url"])
    clock.advance(timedelta(minutes=11))
    resp = _callback(client, location, Accept="application/json")
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "INTEGRATION_CONNECT_FAILED"
    assert resp.json["error"]["details"]["reason"] == "invalid_state"
    assert api.get(BASE).json["status"] == "disconnected"


def test_state_binds_the_account_and_environment(
    app: Flask,
    api: Api,
    client: FlaskClient,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    tenant: Tenant,
) -> None:
    """The callback connects the account and environment that asked (a user of it confirms)."""
    production = make_tenant(app, "Tenant A prod", environment="production", seed=False)
    prod_api = Api(client, production.api_key)
    location = consent(fake, prod_api.post(f"{BASE}/connect").json["authorization_url"])
    assert _callback(client, location).status_code == 200
    assert prod_api.get(BASE).json["status"] == "connected"
    assert api.get(BASE).json["status"] == "disconnected"


def test_denied_or_forged_callbacks(
    api: Api, client: FlaskClient, fake: FakeGoogleCalendar, rt: SyncRuntime
) -> None:
    """Cancel on the consent page, a made-up state, a missing code: refused, never a 500."""
    denied = _callback(
        client,
        consent(fake, api.post(f"{BASE}/connect").json["authorization_url"], decision="deny"),
    )
    assert denied.status_code == 400 and 'data-status="access_denied"' in denied.get_data(True)
    for query in (
        "",
        "state=x",
        "state=" + "a" * 600,
        "code=abc",
        "state=abcdefghijkl&code=z",
        "error=access_denied",
    ):
        resp = client.get(f"/oauth/callback/{NAME}?{query}")
        assert resp.status_code == 400, query
    assert client.get("/oauth/callback/unknown?state=abcdefghij").status_code == 404
    assert api.get(BASE).json["status"] == "disconnected"


def test_disconnect_revokes_and_keeps_nothing_secret(
    api: Api, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """DELETE revokes the grant at the provider and erases the tokens."""
    resp = api.delete(BASE)
    assert resp.status_code == 200 and resp.json == {
        "integration": NAME,
        "status": "disconnected",
        "revoked": True,
    }
    assert fake.calls["oauth.revoke"] == 1
    assert all(grant.revoked for grant in fake.oauth.state.grants.values())
    row = connection(rt, connected)
    assert row.access_token is None and row.refresh_token is None
    assert api.get(BASE).json["status"] == "disconnected"
    assert api.delete(BASE).json["revoked"] is False  # idempotent


def test_sync_now_is_queued_for_the_worker(
    api: Api, rt: SyncRuntime, connected: str, fake: FakeGoogleCalendar, clock: MovingClock
) -> None:
    """POST …/sync answers 202 at once; the pull is due now (no provider call in the request)."""
    from hub.integrations import engine

    engine.sync_now(rt, connected)
    calls = sum(fake.calls.values())
    resp = api.post(f"{BASE}/sync")
    assert resp.status_code == 202 and resp.json["status"] == "queued"
    assert sum(fake.calls.values()) == calls
    assert connection(rt, connected).next_sync_at <= clock.now()


def test_sync_now_when_not_connected(api: Api, rt: SyncRuntime) -> None:
    """Nothing to sync: 409 in the API's format."""
    resp = api.post(f"{BASE}/sync")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "INTEGRATION_NOT_CONNECTED"


def test_connection_rows_belong_to_one_tenant(
    app: Flask,
    client: FlaskClient,
    api: Api,
    rt: SyncRuntime,
    connected: str,
    other_tenant: Tenant,
) -> None:
    """Another account sees its own (disconnected) status, not ours."""
    theirs = Api(client, other_tenant.api_key).get(BASE).json
    assert theirs["status"] == "disconnected" and theirs["connected_as"] is None
    with rt.db.session() as session:
        assert session.scalars(select(IntegrationConnection)).one().id == connected
