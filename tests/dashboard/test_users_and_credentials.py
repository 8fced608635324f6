"""Account users (CLI link, invitation, reset by e-mail, TOTP) and credentials' revocation and
rotation through the dashboard's service, the API's DELETE routes and the CLI."""

from __future__ import annotations

import email
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from hub.cli import main
from hub.db import get_db
from hub.models import AccountUser, ApiKey
from hub.services import credentials, users
from hub.timeutil import utcnow
from tests.dashboard.support import PASSWORD, User, csrf_from, csrf_token, make_user, sign_in
from tests.events.webhooks.conftest import Mailbox
from tests.support import Api, Tenant, free_port, key_with_scopes


def _env(base_config: dict[str, Any]) -> dict[str, str]:
    return {
        "IVALID_DATABASE_URL": str(base_config["database_url"]),
        "IVALID_DATA_DIR": str(base_config["data_dir"]),
        "IVALID_PUBLIC_URL": "https://hub.clim-express.fr",
    }


def _choose_password(client: FlaskClient, link: str, password: str = PASSWORD) -> Any:
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    return client.post(
        f"/{path}", data={"csrf_token": token, "password": password, "confirm": password}
    )


def test_cli_creates_a_user_with_a_one_time_link(
    app: Flask, tenant: Tenant, base_config: dict[str, Any]
) -> None:
    """`ivalid users create` prints a link; it sets the password once; the user signs in."""
    result = CliRunner().invoke(
        main,
        [
            "users",
            "create",
            "--account",
            tenant.account_id,
            "--email",
            "Chef@Clim.fr",
            "--role",
            "owner",
            "--json",
        ],
        env=_env(base_config),
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["email"] == "chef@clim.fr" and out["role"] == "owner"
    link = out["set_password_url"]
    assert link.startswith("https://hub.clim-express.fr/dashboard/password/")
    browser = app.test_client()
    assert _choose_password(browser, link, "short").status_code == 422
    assert _choose_password(browser, link).status_code == 302
    again = browser.get("/" + link.split("/", 3)[3])
    assert again.status_code == 400  # used
    user = User(out["id"], tenant.account_id, "chef@clim.fr", "owner")
    assert sign_in(browser, user).status_code == 302
    bad = CliRunner().invoke(
        main,
        ["users", "create", "--account", "acct_nope", "--email", "a@b.fr", "--role", "owner"],
        env=_env(base_config),
    )
    assert bad.exit_code == 2 and "unknown account" in bad.output


def test_an_owner_invites_a_developer(app: Flask, owner_client: FlaskClient) -> None:
    """The invitation's link is shown once (and e-mailed when SMTP is set); it works."""
    token = csrf_token(owner_client, "/dashboard/users")
    resp = owner_client.post(
        "/dashboard/users", data={"csrf_token": token, "email": "new@dev.fr", "role": "developer"}
    )
    assert resp.status_code == 201
    link = re.search(r'id="secret-value">([^<]+)<', resp.get_data(as_text=True)).group(1)
    browser = app.test_client()
    assert _choose_password(browser, link).status_code == 302
    with get_db(app).session() as session:
        row = session.query(AccountUser).filter_by(email="new@dev.fr").one()
        assert row.role == "developer" and row.password_hash.startswith("$argon2id$")


@pytest.fixture
def mailbox() -> Iterator[tuple[int, Mailbox]]:
    port, box = free_port(), Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def test_password_reset_by_email(
    base_config: dict[str, Any], mailbox: tuple[int, Mailbox], session_app: Flask, tenant: Tenant
) -> None:
    """The reset link goes out through the hub's SMTP sender; an unknown e-mail gets the same
    answer and no mail; the link sets a new password and signs other sessions out."""
    from hub import create_app

    port, box = mailbox
    app = create_app({**base_config, "smtp_url": f"smtp://127.0.0.1:{port}"})
    user = make_user(app, tenant.account_id, "oubli@clim.fr", "developer")
    signed_in = app.test_client()
    assert sign_in(signed_in, user).status_code == 302
    browser = app.test_client()
    for address in ("personne@clim.fr", user.email):
        token = csrf_token(browser, "/dashboard/password/forgot")
        resp = browser.post(
            "/dashboard/password/forgot", data={"csrf_token": token, "email": address}
        )
        assert resp.status_code == 200 and 'id="sent"' in resp.get_data(as_text=True)
    assert len(box.messages) == 1
    recipients, raw = box.messages[0]
    assert recipients == [user.email]
    body = email.message_from_bytes(raw).get_payload(decode=True).decode()
    link = re.search(r"http\S+/dashboard/password/\S+", body).group(0)
    assert _choose_password(browser, link, "un tout nouveau secret").status_code == 302
    assert signed_in.get("/dashboard/sandbox/webhooks").status_code == 302  # signed out
    assert sign_in(browser, user).status_code == 401
    assert sign_in(browser, user, "un tout nouveau secret").status_code == 302
    get_db(app).engine.dispose()


def test_the_attempt_limit_counts_per_email_and_per_address(app: Flask, tenant: Tenant) -> None:
    """5 failures lock one e-mail for 15 minutes; 20 from one address lock the address."""
    make_user(app, tenant.account_id, "cible@clim.fr")
    now = utcnow()
    with get_db(app).session() as s:
        for _ in range(5):
            assert (
                users.check_password(s, "cible@clim.fr", "x", "10.0.0.1", now).status == "invalid"
            )
        assert (
            users.check_password(s, "cible@clim.fr", PASSWORD, "10.0.0.2", now).status == "limited"
        )
        later = now + timedelta(minutes=16)
        assert users.check_password(s, "cible@clim.fr", PASSWORD, "10.0.0.2", later).status == "ok"
        for i in range(20):
            users.check_password(s, f"inconnu{i}@clim.fr", "x", "10.0.0.9", later)
        assert users.check_password(s, "cible@clim.fr", PASSWORD, "10.0.0.9", later).status == (
            "limited"
        )


def test_an_owner_turns_on_totp_and_then_needs_the_code(
    app: Flask, owner: User, owner_client: FlaskClient
) -> None:
    """The secret is proven by a code; then a sign-in asks for the current code."""
    page = owner_client.get("/dashboard/security").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    token = csrf_from(page)
    assert (
        owner_client.post(
            "/dashboard/security", data={"csrf_token": token, "code": "000000"}
        ).status_code
        == 422
    )
    code = pyotp.TOTP(secret).now()
    assert (
        owner_client.post(
            "/dashboard/security", data={"csrf_token": token, "code": code}
        ).status_code
        == 302
    )
    browser = app.test_client()
    resp = sign_in(browser, owner)
    assert resp.headers["Location"].endswith("/dashboard/login/totp")
    assert browser.get("/dashboard/sandbox/webhooks").status_code == 302  # not signed in yet
    token = csrf_token(browser, "/dashboard/login/totp")
    bad = browser.post("/dashboard/login/totp", data={"csrf_token": token, "code": "123456"})
    assert bad.status_code == 401
    ok = browser.post(
        "/dashboard/login/totp", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    )
    assert ok.status_code == 302
    assert browser.get("/dashboard/sandbox/webhooks").status_code == 200


def test_revoke_and_rotate_through_the_api_and_the_service(
    app: Flask, client: FlaskClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    """DELETE needs `account:admin` (not in a default key); another account's key is 404; a
    revoked key stops working; a rotated key is replaced."""
    everyday = Api(client, tenant.api_key)
    with get_db(app).session() as session:
        victim = session.query(ApiKey).filter_by(account_id=other_tenant.account_id).first()
        mine = credentials.create_key(session, tenant.account_id, "sandbox", None, "ci")
    assert everyday.delete(f"/v2/api-keys/{mine.id}").status_code == 403
    admin = Api(client, key_with_scopes(app, tenant, "account:admin"))
    assert admin.delete(f"/v2/api-keys/{victim.id}").status_code == 404
    assert admin.delete(f"/v2/oauth-clients/{other_tenant.client_id}").status_code == 404
    assert Api(client, mine.secret).get("/v2/me").status_code == 200
    assert admin.delete(f"/v2/api-keys/{mine.id}").status_code == 204
    assert admin.delete(f"/v2/api-keys/{mine.id}").status_code == 204  # again: no error
    app.extensions["ivalid_credential_cache"].clear()
    assert Api(client, mine.secret).get("/v2/me").status_code == 401
    token = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    ).json["access_token"]
    assert admin.delete(f"/v2/oauth-clients/{tenant.client_id}").status_code == 204
    app.extensions["ivalid_credential_cache"].clear()
    assert Api(client, token).get("/v2/me").status_code == 401
    with get_db(app).session() as session:
        fresh = credentials.create_key(session, tenant.account_id, "sandbox", "customers:read")
        rotated = credentials.rotate_key(session, tenant.account_id, fresh.id)
    assert rotated.scopes == "customers:read" and rotated.secret != fresh.secret
    app.extensions["ivalid_credential_cache"].clear()
    assert Api(client, fresh.secret).get("/v2/me").status_code == 401
    assert Api(client, rotated.secret).get("/v2/me").status_code == 200


def test_cli_revokes_keys_and_clients(
    app: Flask, client: FlaskClient, tenant: Tenant, base_config: dict[str, Any]
) -> None:
    """`ivalid keys revoke` and `ivalid clients revoke`; an unknown id is a usage error."""
    with get_db(app).session() as session:
        key_id = session.query(ApiKey).filter_by(account_id=tenant.account_id).first().id
    runner = CliRunner()
    result = runner.invoke(main, ["keys", "revoke", key_id, "--json"], env=_env(base_config))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"id": key_id, "revoked": True, "was_live": True}
    result = runner.invoke(main, ["clients", "revoke", tenant.client_id], env=_env(base_config))
    assert result.exit_code == 0 and "revoked" in result.output
    assert runner.invoke(main, ["keys", "revoke", "key_nope"], env=_env(base_config)).exit_code == 2
    app.extensions["ivalid_credential_cache"].clear()
    assert Api(client, tenant.api_key).get("/v2/me").status_code == 401
