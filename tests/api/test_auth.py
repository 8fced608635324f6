"""OAuth 2.0 token endpoint, refresh rotation, revocation, JWKS, API keys, 401 cases."""

from __future__ import annotations

import base64
import json
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import Tenant


def _token(client: FlaskClient, tenant: Tenant, **extra: str) -> dict:
    body = {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        **extra,
    }
    resp = client.post("/oauth/token", json=body)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_form_encoded_and_basic_auth(client: FlaskClient, tenant: Tenant) -> None:
    form = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "scope": "customers:read",
        },
    )
    assert form.status_code == 200 and form.json["scope"] == "customers:read"
    basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
    resp = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert resp.status_code == 200
    assert "webhooks:manage" in resp.json["scope"].split()  # no scope asked: all granted


@pytest.mark.parametrize(
    "body,status,error",
    [
        pytest.param(
            {"grant_type": "client_credentials", "client_id": "cli_x", "client_secret": "nope"},
            401,
            "invalid_client",
            id="unknown-client",
        ),
        pytest.param({"grant_type": "password"}, 400, "unsupported_grant_type", id="bad-grant"),
        pytest.param(
            {"grant_type": "client_credentials", "scope": "admin:all"},
            400,
            "invalid_scope",
            id="unknown-scope",
        ),
    ],
)
def test_token_errors(
    client: FlaskClient, tenant: Tenant, body: dict, status: int, error: str
) -> None:
    body = {"client_id": tenant.client_id, "client_secret": tenant.client_secret, **body}
    resp = client.post("/oauth/token", json=body)
    assert resp.status_code == status
    assert resp.json["error"] == error


def test_wrong_secret_is_refused(client: FlaskClient, tenant: Tenant) -> None:
    resp = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret + "x",
        },
    )
    assert resp.status_code == 401 and resp.json["error"] == "invalid_client"


def test_scope_not_granted_to_client(app: Flask, client: FlaskClient, tenant: Tenant) -> None:
    from hub.db import get_db
    from hub.services.credentials import create_client

    with get_db(app).session() as s:
        limited = create_client(s, tenant.account_id, "sandbox", "customers:read")
    resp = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": limited.id,
            "client_secret": limited.secret,
            "scope": "customers:write",
        },
    )
    assert resp.status_code == 400 and resp.json["error"] == "invalid_scope"


def test_access_token_is_rs256_jwt_verifiable_with_jwks(
    client: FlaskClient, tenant: Tenant
) -> None:
    tok = _token(client, tenant)
    jwks = client.get("/.well-known/jwks.json").json
    keys = KeySet.import_key_set(jwks)
    decoded = jwt.decode(tok["access_token"], keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt" and decoded.header["kid"]
    claims = decoded.claims
    assert claims["client_id"] == tenant.client_id and claims["exp"] - claims["iat"] == 3600
    assert "private" not in json.dumps(jwks) and all("d" not in k for k in jwks["keys"])
    meta = client.get("/.well-known/oauth-authorization-server").json
    assert meta["token_endpoint"].endswith("/oauth/token")
    assert "client_credentials" in meta["grant_types_supported"]


def test_refresh_rotates(client: FlaskClient, tenant: Tenant) -> None:
    first = _token(client, tenant, scope="customers:read")
    resp = client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert resp.status_code == 200, resp.json
    second = resp.json
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "customers:read"
    again = client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    # Within the grace (two workers refreshing at once) the same successor, not a second chain;
    # after it, a reuse revokes the family (tests/security/test_auth_refresh.py).
    assert again.status_code == 200 and again.json == second
    ok = client.get("/v2/customers", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert ok.status_code == 200


def test_revocation(client: FlaskClient, tenant: Tenant) -> None:
    tok = _token(client, tenant)
    auth = {"Authorization": f"Bearer {tok['access_token']}"}
    assert client.get("/v2/customers", headers=auth).status_code == 200
    resp = client.post(
        "/oauth/revoke",
        data={
            "token": tok["access_token"],
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert resp.status_code == 200
    denied = client.get("/v2/customers", headers=auth)
    assert denied.status_code == 401 and denied.json["error"]["code"] == "INVALID_TOKEN"
    assert "WWW-Authenticate" in denied.headers


def _tamper(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["acct"] = "acct_someoneelse"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{sig}"


@pytest.mark.parametrize(
    "make_header,code",
    [
        pytest.param(lambda t: None, "UNAUTHENTICATED", id="missing"),
        pytest.param(lambda t: "Basic abc", "UNAUTHENTICATED", id="not-bearer"),
        pytest.param(lambda t: "Bearer ", "UNAUTHENTICATED", id="empty"),
        pytest.param(lambda t: "Bearer not.a.jwt", "INVALID_TOKEN", id="garbage"),
        pytest.param(lambda t: "Bearer ivk_test_unknownkey", "INVALID_TOKEN", id="unknown-key"),
        pytest.param(lambda t: f"Bearer {_tamper(t)}", "INVALID_TOKEN", id="tampered"),
        pytest.param(
            lambda t: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "INVALID_TOKEN", id="alg-none"
        ),
    ],
)
def test_401_cases(client: FlaskClient, tenant: Tenant, make_header, code: str) -> None:
    tok = _token(client, tenant)["access_token"]
    header = make_header(tok)
    headers = {"Authorization": header} if header is not None else {}
    resp = client.get("/v2/appointments", headers=headers)
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == code
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token(app: Flask, client: FlaskClient, tenant: Tenant, monkeypatch) -> None:
    tok = _token(client, tenant)["access_token"]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3601)
    resp = client.get("/v2/appointments", headers={"Authorization": f"Bearer {tok}"})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "INVALID_TOKEN"


def test_api_keys_are_prefixed_and_hashed(app: Flask, tenant: Tenant) -> None:
    from sqlalchemy import select

    from hub.db import get_db
    from hub.models import ApiKey, OAuthClient
    from hub.services.credentials import create_key

    assert tenant.api_key.startswith("ivk_test_")
    with get_db(app).session() as s:
        live = create_key(s, tenant.account_id, "production", "customers:read")
        assert live.secret.startswith("ivk_live_")
        stored = " ".join(str(v) for row in s.scalars(select(ApiKey)) for v in vars(row).values())
        stored += " ".join(
            str(v) for row in s.scalars(select(OAuthClient)) for v in vars(row).values()
        )
    assert tenant.api_key not in stored and live.secret not in stored
    assert tenant.client_secret not in stored


def test_environment_isolation(app: Flask, client: FlaskClient, tenant: Tenant) -> None:
    """A production key of the same account does not see the sandbox's objects."""
    from tests.support import key_with_scopes

    live = key_with_scopes(app, tenant, "appointments:read customers:read", "production")
    resp = client.get("/v2/appointments", headers={"Authorization": f"Bearer {live}"})
    assert resp.status_code == 200 and resp.json["meta"]["total"] == 0
    resp = client.get(
        f"/v2/customers/{tenant.ids['customer_id']}", headers={"Authorization": f"Bearer {live}"}
    )
    assert resp.status_code == 404
