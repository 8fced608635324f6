"""The authorization-code grant with PKCE: every rule of /oauth/authorize and /oauth/token,
table-driven, through the Flask test client (the browser tests do the same dance in Chromium)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub.auth.secrets import hash_secret
from hub.db import get_db
from hub.models import AccountUser, OAuthCode, OAuthGrant, OAuthToken
from hub.timeutil import utcnow
from tests.oauth.conftest import (
    Person,
    connect,
    consent,
    get_code,
    redirect_params,
    sign_in,
    token_call,
)
from tests.oauth_support import MAKE_REDIRECT, RegisteredApp, pkce_pair, register_app
from tests.support import Api, Tenant, make_tenant


def _authorize_query(reg: RegisteredApp, challenge: str, **over: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": reg.client_id,
        "redirect_uri": reg.redirect_uri,
        "state": "st-9",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(over)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


# --- /oauth/authorize ----------------------------------------------------------------------

# (name, parameter overrides, the expected outcome): "page" = an error page and no redirect;
# otherwise the `error` the app is sent back with (state always passed back).
AUTHORIZE_CASES: list[tuple[str, dict[str, str | None], str]] = [
    ("unknown client", {"client_id": "app_nope"}, "page"),
    ("no client", {"client_id": None}, "page"),
    ("unregistered redirect URI", {"redirect_uri": "https://evil.example/cb"}, "page"),
    (
        "redirect URI with a prefix match only",
        {"redirect_uri": "https://zapier.com/dashboard/auth/oauth/return/App123CLIAPI/x"},
        "page",
    ),
    (
        "redirect URI differing by a slash",
        {"redirect_uri": "https://zapier.com/dashboard/auth/oauth/return/App123CLIAPI"},
        "page",
    ),
    ("no redirect URI", {"redirect_uri": None}, "page"),
    (
        "no code_challenge",
        {"code_challenge": None, "code_challenge_method": None},
        "invalid_request",
    ),
    ("plain method", {"code_challenge_method": "plain"}, "invalid_request"),
    ("no method (plain by default)", {"code_challenge_method": None}, "invalid_request"),
    ("challenge too short", {"code_challenge": "abc"}, "invalid_request"),
    ("implicit flow", {"response_type": "token"}, "unsupported_response_type"),
    ("unknown scope", {"scope": "appointments:read nuclear:launch"}, "invalid_scope"),
    ("admin scope", {"scope": "account:admin"}, "invalid_scope"),
]


@pytest.mark.parametrize(
    ("name", "over", "outcome"), AUTHORIZE_CASES, ids=[c[0] for c in AUTHORIZE_CASES]
)
def test_authorize_refusals(
    client: FlaskClient,
    zapier: RegisteredApp,
    person: Person,
    name: str,
    over: dict[str, str | None],
    outcome: str,
) -> None:
    sign_in(client, person.email)
    _, challenge = pkce_pair()
    resp = client.get(_authorize_query(zapier, challenge, **over))
    if outcome == "page":
        assert resp.status_code == 400 and "Location" not in resp.headers
        assert 'id="error"' in resp.get_data(as_text=True)
        assert 'id="allow"' not in resp.get_data(as_text=True)
        return
    params = redirect_params(resp)
    assert resp.headers["Location"].startswith(zapier.redirect_uri)
    assert params["error"] == outcome and params["state"] == "st-9"
    assert "code" not in params


def test_a_service_client_cannot_use_the_consent_page(
    client: FlaskClient, tenant: Tenant, person: Person
) -> None:
    sign_in(client, person.email)
    _, challenge = pkce_pair()
    reg = RegisteredApp(tenant.client_id, tenant.client_secret, "https://zapier.com/cb")
    resp = client.get(_authorize_query(reg, challenge))
    assert resp.status_code == 400 and "Location" not in resp.headers


def test_another_accounts_app_is_unknown(
    app: Flask, client: FlaskClient, person: Person, other_tenant: Tenant
) -> None:
    theirs = register_app(app, "Their tool", account_id=other_tenant.account_id)
    sign_in(client, person.email)
    _, challenge = pkce_pair()
    resp = client.get(_authorize_query(theirs, challenge))
    assert resp.status_code == 400 and "Location" not in resp.headers


def test_not_signed_in_goes_through_the_sign_in_page_and_back(
    client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    _, challenge = pkce_pair()
    wanted = _authorize_query(zapier, challenge)
    resp = client.get(wanted)
    assert resp.status_code == 302 and "/dashboard/login" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    from tests.oauth_support import CSRF

    token = CSRF.search(page)
    assert token
    back = client.post(
        "/dashboard/login",
        data={
            "email": person.email,
            "password": "correct horse battery",
            "csrf_token": token.group(1),
            "next": wanted,
        },
    )
    assert back.status_code == 302 and back.headers["Location"] == wanted
    consent_page = client.get(wanted)
    assert consent_page.status_code == 200 and 'id="allow"' in consent_page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Lecture des rendez-vous"), ("en", "Read appointments")],
)
def test_the_consent_page_names_the_app_and_the_scopes(
    client: FlaskClient, zapier: RegisteredApp, person: Person, lang: str, expected: str
) -> None:
    sign_in(client, person.email)
    client.set_cookie("ivalid_lang", lang)
    _, challenge = pkce_pair()
    resp = client.get(
        _authorize_query(zapier, challenge, scope="appointments:read customers:write")
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<span id="app-name">Zapier</span>' in html and expected in html
    assert 'data-scope="customers:write"' in html and 'data-scope="teams:read"' not in html
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_deny_sends_access_denied_and_the_state(
    client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    sign_in(client, person.email)
    _, challenge = pkce_pair()
    params = redirect_params(consent(client, zapier, challenge, "deny", state="s t&ü"))
    assert params["error"] == "access_denied" and params["state"] == "s t&ü"
    assert "code" not in params


def test_the_consent_form_needs_its_csrf_token(
    client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    sign_in(client, person.email)
    _, challenge = pkce_pair()
    resp = client.post(_authorize_query(zapier, challenge), data={"decision": "allow"})
    assert resp.status_code == 400 and "Location" not in resp.headers


# --- /oauth/token: the code exchange --------------------------------------------------------


def _exchange(
    client: FlaskClient, reg: RegisteredApp, the_code: str, verifier: str, **over: str
) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": the_code,
        "redirect_uri": reg.redirect_uri,
        "code_verifier": verifier,
    }
    data.update(over)
    return token_call(client, reg, **data)


def test_allow_then_exchange_gives_tokens_acting_for_the_users_account(
    client: FlaskClient, zapier: RegisteredApp, person: Person, tenant: Tenant
) -> None:
    tokens = connect(client, zapier, person, scope="appointments:read customers:read")
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "appointments:read customers:read"
    me = Api(client, tokens["access_token"]).get("/v2/me").json
    assert me["account_id"] == tenant.account_id and me["account_name"] == "Tenant A"
    assert me["user"] == {"id": person.id, "email": person.email}
    assert me["environment"] == "sandbox" and me["client_id"] == zapier.client_id
    assert me["credential"] == f"grant:{me['grant_id']}"
    api = Api(client, tokens["access_token"])
    assert api.get("/v2/appointments").status_code == 200
    assert api.post("/v2/customers", {"first_name": "A", "last_name": "B"}).status_code == 403


def test_client_secret_basic_works_too(
    client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    code, verifier = get_code(client, zapier, person)
    basic = base64.b64encode(f"{zapier.client_id}:{zapier.client_secret}".encode()).decode()
    resp = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": zapier.redirect_uri,
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert resp.status_code == 200, resp.json


EXCHANGE_CASES: list[tuple[str, dict[str, str], int, str]] = [
    ("wrong verifier (PKCE mismatch)", {"code_verifier": "x" * 50}, 400, "invalid_grant"),
    ("no verifier", {"code_verifier": ""}, 400, "invalid_request"),
    ("malformed verifier", {"code_verifier": "short"}, 400, "invalid_request"),
    ("other redirect URI", {"redirect_uri": MAKE_REDIRECT}, 400, "invalid_grant"),
    ("unknown code", {"code": "nope"}, 400, "invalid_grant"),
    ("wrong secret", {"client_secret": "cs_wrong"}, 401, "invalid_client"),
]


@pytest.mark.parametrize(
    ("name", "over", "status", "error"), EXCHANGE_CASES, ids=[c[0] for c in EXCHANGE_CASES]
)
def test_exchange_refusals(
    client: FlaskClient,
    zapier: RegisteredApp,
    person: Person,
    name: str,
    over: dict[str, str],
    status: int,
    error: str,
) -> None:
    code, verifier = get_code(client, zapier, person)
    resp = _exchange(client, zapier, code, verifier, **over)
    assert resp.status_code == status, resp.json
    assert resp.json["error"] == error
    # A refused exchange does not burn the code... except that the right one still works once.
    if name != "unknown code":
        assert _exchange(client, zapier, code, verifier).status_code == 200


def test_a_code_is_bound_to_its_client(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    make = register_app(app, "Make", (MAKE_REDIRECT, "https://zapier.com/x"))
    code, verifier = get_code(client, zapier, person)
    resp = _exchange(client, make, code, verifier, redirect_uri=zapier.redirect_uri)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_grant"


def test_an_expired_code_is_refused(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    code, verifier = get_code(client, zapier, person)
    with get_db(app).session() as s, s.begin():
        row = s.get(OAuthCode, hash_secret(code))
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(seconds=300)
        row.expires_at = utcnow() - timedelta(seconds=1)
    resp = _exchange(client, zapier, code, verifier)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_grant"


def test_a_replayed_code_revokes_what_it_issued(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    code, verifier = get_code(client, zapier, person)
    first = _exchange(client, zapier, code, verifier)
    assert first.status_code == 200
    api = Api(client, first.json["access_token"])
    assert api.get("/v2/me").status_code == 200
    again = _exchange(client, zapier, code, verifier)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert api.get("/v2/me").status_code == 401
    refreshed = token_call(
        client, zapier, grant_type="refresh_token", refresh_token=first.json["refresh_token"]
    )
    assert refreshed.status_code == 400
    with get_db(app).session() as s:
        [grant] = s.scalars(select(OAuthGrant)).all()
        assert grant.revoked_reason == "code_replay"


# --- refresh ------------------------------------------------------------------------------


def _refresh(client: FlaskClient, reg: RegisteredApp, token: str) -> Any:
    return token_call(client, reg, grant_type="refresh_token", refresh_token=token)


def test_refresh_rotates_and_keeps_issued_access_tokens_valid(
    client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    first = connect(client, zapier, person)
    second = _refresh(client, zapier, first["refresh_token"])
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    for token in (first["access_token"], second.json["access_token"]):
        me = Api(client, token).get("/v2/me")
        assert me.status_code == 200 and me.json["user"]["email"] == person.email
    # Within the grace period, the same answer (two workers refreshing at once).
    again = _refresh(client, zapier, first["refresh_token"])
    assert again.status_code == 200 and again.json == second.json


def test_reuse_after_the_grace_revokes_the_whole_grant(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person, tenant: Tenant
) -> None:
    first = connect(client, zapier, person)
    second = _refresh(client, zapier, first["refresh_token"]).json
    granted = Api(client, second["access_token"])
    hook = granted.post(
        "/v2/integrations/zapier/hooks",
        {"target_url": "http://127.0.0.1:9/h", "event": "appointment.created"},
    )
    assert hook.status_code == 201
    with get_db(app).session() as s, s.begin():
        s.execute(
            update(OAuthToken)
            .where(OAuthToken.rotated_at.is_not(None))
            .values(rotated_at=utcnow() - timedelta(minutes=5))
        )
    reused = _refresh(client, zapier, first["refresh_token"])
    assert reused.status_code == 400 and reused.json["error"] == "invalid_grant"
    for token in (first["access_token"], second["access_token"]):
        assert Api(client, token).get("/v2/me").status_code == 401
    assert _refresh(client, zapier, second["refresh_token"]).status_code == 400
    status = Api(client, tenant.api_key).get("/v2/integrations/zapier").json
    assert status == {"connected": False, "grants": [], "hooks": []}
    with get_db(app).session() as s:
        [grant] = s.scalars(select(OAuthGrant)).all()
        assert grant.revoked_reason == "refresh_reuse"


def test_a_deactivated_user_stops_his_grants(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    tokens = connect(client, zapier, person)
    with get_db(app).session() as s, s.begin():
        s.execute(update(AccountUser).where(AccountUser.id == person.id).values(active=False))
    app.extensions["ivalid_credential_cache"].clear()
    assert Api(client, tokens["access_token"]).get("/v2/me").status_code == 401
    assert _refresh(client, zapier, tokens["refresh_token"]).status_code == 400


def test_an_app_of_the_account_is_authorized_by_its_users_only(
    app: Flask, client: FlaskClient, tenant: Tenant, person: Person
) -> None:
    own = register_app(app, "Our tool", ("https://tool.example/cb",), account_id=tenant.account_id)
    tokens = connect(client, own, person)
    assert Api(client, tokens["access_token"]).get("/v2/me").json["account_id"] == tenant.account_id
    stranger_tenant = make_tenant(app, "Tenant C", seed=False)
    from tests.oauth_support import make_user

    make_user(app, stranger_tenant.account_id, "paul@autre.fr")
    other = app.test_client()
    sign_in(other, "paul@autre.fr")
    _, challenge = pkce_pair()
    assert other.get(_authorize_query(own, challenge)).status_code == 400


def test_metadata_lists_the_authorization_code_endpoints(client: FlaskClient) -> None:
    meta = client.get("/.well-known/oauth-authorization-server").json
    base = "http://127.0.0.1:8000"
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
    }
    assert meta["response_types_supported"] == ["code"]


def test_clean_up_forgets_codes_a_day_after_their_expiry(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person
) -> None:
    from hub.services.retention import purge_credentials

    code, _ = get_code(client, zapier, person)
    db = get_db(app)
    settings = app.config["IVALID"]
    assert purge_credentials(db, settings, utcnow() + timedelta(hours=23))["oauth_codes"] == 0
    assert purge_credentials(db, settings, utcnow() + timedelta(days=2))["oauth_codes"] == 1
    with db.session() as s:
        assert s.get(OAuthCode, hash_secret(code)) is None
