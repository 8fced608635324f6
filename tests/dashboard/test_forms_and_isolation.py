"""Every dashboard form refuses a missing or wrong CSRF token; every page and action of one
account is 404 to another account's users; roles are enforced by the server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.dashboard.blueprint import bp
from hub.db import get_db
from hub.models import Appointment, Technician, WebhookDelivery
from tests.dashboard.support import User, csrf_token, make_user, sign_in
from tests.support import Api, Tenant


def _objects(app: Flask, client: FlaskClient, tenant: Tenant) -> dict[str, str]:
    """Ids of `tenant`'s objects, to fill every URL of the dashboard."""
    api = Api(client, tenant.api_key)
    hook = api.post("/v2/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["customer.created"]})
    assert hook.status_code == 201, hook.json
    assert api.post(f"/v2/webhooks/{hook.json['id']}/test").status_code in (200, 201, 202)
    with get_db(app).session() as session:
        delivery = session.query(WebhookDelivery).first()
        tech = session.query(Technician).filter_by(account_id=tenant.account_id).first()
        appointment = session.query(Appointment).filter_by(account_id=tenant.account_id).first()
        assert delivery and tech and appointment
        from hub.models import ApiKey, OAuthClient

        key = session.query(ApiKey).filter_by(account_id=tenant.account_id).first()
        oauth = session.query(OAuthClient).filter_by(account_id=tenant.account_id).first()
        assert key and oauth
        return {
            "env": "sandbox",
            "webhook_id": hook.json["id"],
            "delivery_id": delivery.id,
            "technician_id": tech.id,
            "key_id": key.id,
            "client_id": oauth.id,
            "name": "google-calendar",
            "stream": "leads",
            "token": "x" * 40,
            "code": "en",
            "appointment": appointment.id,
            # The CSRF check comes before the lookup; another user's grant is 404
            # (tests/oauth/test_apps.py).
            "grant_id": "grt_unknown",
        }


def _routes(methods: set[str]) -> list[tuple[str, str]]:
    """(rule, method) of every dashboard route answering one of `methods`."""
    from hub import create_app  # noqa: F401  (the blueprint's routes are registered)

    out = []
    for rule, endpoint in _rules():
        for method in sorted(endpoint & methods):
            out.append((rule, method))
    return out


def _rules() -> list[tuple[str, set[str]]]:
    from flask import current_app

    return [
        (r.rule, set(r.methods or ()))
        for r in current_app.url_map.iter_rules()
        if r.endpoint.startswith(f"{bp.name}.")
    ]


def _fill(rule: str, ids: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids[m.group(1)], rule)


def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    app: Flask, client: FlaskClient, tenant: Tenant, owner: User
) -> None:
    """POST without a token, or with another session's token: 400, and nothing happens."""
    ids = _objects(app, client, tenant)
    browser = app.test_client()
    assert sign_in(browser, owner).status_code == 302
    stranger = app.test_client()
    foreign = csrf_token(stranger)  # valid, but for another session
    with app.test_request_context():
        posts = [rule for rule, methods in _rules() if "POST" in methods]
    assert len(posts) >= 25
    for rule in posts:
        path = _fill(rule, ids)
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": foreign}):
            resp = browser.post(path, data={**data, "name": "x", "url": "http://127.0.0.1:9/"})
            assert resp.status_code == 400, (path, data, resp.status_code)
            assert "Le formulaire a expiré" in resp.get_data(as_text=True)
    # The sign-in form too (anonymous): no token, no sign-in.
    resp = app.test_client().post(
        "/dashboard/login", data={"email": owner.email, "password": owner.password}
    )
    assert resp.status_code == 400
    assert Api(client, tenant.api_key).get(f"/v2/webhooks/{ids['webhook_id']}").json["active"]


def test_every_page_of_an_account_is_404_to_another_accounts_users(
    app: Flask, client: FlaskClient, tenant: Tenant, outsider: User
) -> None:
    """Ids of account A in the URL, a user of account B signed in: 404 for pages and actions."""
    ids = _objects(app, client, tenant)
    browser = app.test_client()
    assert sign_in(browser, outsider).status_code == 302
    token = csrf_token(browser, "/dashboard/sandbox/settings/api/credentials")
    with app.test_request_context():
        rules = _rules()
    checked = 0
    for rule, methods in rules:
        if not re.search(r"<(webhook_id|delivery_id|key_id|client_id|technician_id)>", rule):
            continue
        path = _fill(rule, ids)
        if "GET" in methods:
            assert browser.get(path).status_code == 404, path
        if "POST" in methods:
            data = {"csrf_token": token, "calendar_id": "c", "since": "2026-01-01"}
            assert browser.post(path, data=data).status_code == 404, path
        checked += 1
    assert checked >= 12
    # The mapping preview of someone else's appointment, too.
    resp = browser.post(
        "/dashboard/sandbox/settings/integrations/google-calendar/mapping/preview",
        data={"csrf_token": token, "appointment_id": ids["appointment"], "mapping": ""},
    )
    assert resp.status_code == 404
    # And nothing of A shows on B's lists.
    for page in ("settings/api/credentials", "webhooks", "events"):
        html = browser.get(f"/dashboard/sandbox/{page}").get_data(as_text=True)
        assert ids["key_id"] not in html and ids["webhook_id"] not in html


@pytest.mark.parametrize(
    ("path", "data"),
    [
        pytest.param("/dashboard/sandbox/settings/api/keys", {}, id="create-key"),
        pytest.param("/dashboard/sandbox/settings/api/clients", {}, id="create-client"),
        pytest.param("/dashboard/sandbox/settings/api/keys/{key_id}/rotate", {}, id="rotate-key"),
        pytest.param("/dashboard/sandbox/settings/api/keys/{key_id}/revoke", {}, id="revoke-key"),
        pytest.param(
            "/dashboard/sandbox/settings/api/clients/{client_id}/rotate", {}, id="rotate-client"
        ),
        pytest.param("/dashboard/sandbox/webhooks/{webhook_id}/rotate", {}, id="rotate-secret"),
        pytest.param("/dashboard/sandbox/webhooks", {"url": "http://127.0.0.1:9/"}, id="hook"),
        pytest.param(
            "/dashboard/sandbox/settings/integrations/google-calendar/mapping", {}, id="map"
        ),
        pytest.param("/dashboard/sandbox/reset", {}, id="sandbox-reset"),
        pytest.param("/dashboard/users", {"email": "x@y.fr", "role": "owner"}, id="invite"),
    ],
)
def test_a_dispatcher_is_refused_by_the_server(
    app: Flask,
    client: FlaskClient,
    tenant: Tenant,
    dispatcher: User,
    path: str,
    data: dict[str, Any],
) -> None:
    """Whatever the page shows, the server answers 403 to a dispatcher's forged POST."""
    ids = _objects(app, client, tenant)
    browser = app.test_client()
    assert sign_in(browser, dispatcher).status_code == 302
    token = csrf_token(browser, "/dashboard/sandbox/settings/api/credentials")
    resp = browser.post(path.format(**ids), data={**data, "csrf_token": token})
    assert resp.status_code == 403
    assert Api(client, tenant.api_key).get("/v2/me").status_code == 200  # key not rotated


def test_pages_need_a_sign_in_and_come_back_after_it(
    app: Flask, tenant: Tenant, developer: User
) -> None:
    """Anonymous: to the sign-in page with `next`; after signing in, back there (never to
    another host)."""
    browser = app.test_client()
    resp = browser.get("/dashboard/sandbox/webhooks")
    assert resp.status_code == 302 and "/dashboard/login?next=" in resp.headers["Location"]
    resp = sign_in(browser, developer, next_url="/dashboard/sandbox/webhooks")
    assert resp.headers["Location"] == "/dashboard/sandbox/webhooks"
    other = app.test_client()
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        resp = sign_in(other, developer, next_url=evil)
        assert resp.headers["Location"] == "/dashboard/sandbox/settings/api/credentials", evil
        other.post(
            "/dashboard/logout",
            data={"csrf_token": csrf_token(other, "/dashboard/sandbox/webhooks")},
        )
    assert (
        app.test_client().get("/dashboard/production/settings/api/credentials").status_code == 302
    )
    assert browser.get("/dashboard/staging/webhooks").status_code == 404


def test_session_cookie_flags(app: Flask, developer: User) -> None:
    """HttpOnly and SameSite=Lax always; Secure when the public URL is https."""
    browser = app.test_client()
    resp = sign_in(browser, developer)
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("ivalid_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    from hub import create_app
    from hub.db import get_db

    secure = create_app({**_config(app), "public_url": "https://hub.example.fr"})
    get_db(secure).engine.dispose()
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False


def _config(app: Flask) -> dict[str, Any]:
    s = app.config["IVALID"]
    return {"database_url": s.database_url, "data_dir": s.data_dir}


def test_a_user_of_another_account_cannot_be_made_by_email_twice(
    app: Flask, tenant: Tenant
) -> None:
    """One e-mail, one sign-in."""
    from hub.services.users import UserError

    make_user(app, tenant.account_id, "unique@tenant-a.fr")
    with pytest.raises(UserError):
        make_user(app, tenant.account_id, "Unique@Tenant-A.fr")
