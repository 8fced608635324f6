"""Fixtures of the OAuth provider tests: an app registered for the tenant's account users,
a signed-in-capable user, and the dance through the Flask test client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.oauth_support import (
    CSRF,
    PASSWORD,
    RegisteredApp,
    authorize_url,
    consent_form,
    make_user,
    pkce_pair,
    register_app,
)
from tests.support import Tenant


@dataclass
class Person:
    id: str
    email: str


@pytest.fixture()
def person(app: Flask, tenant: Tenant) -> Person:
    email = "marie@dupont-plomberie.fr"
    return Person(make_user(app, tenant.account_id, email), email)


@pytest.fixture()
def zapier(app: Flask) -> RegisteredApp:
    """An installation-wide app, as the published Zapier app is (sandbox grants)."""
    return register_app(app, "Zapier")


def sign_in(client: FlaskClient, email: str) -> None:
    first = client.get("/dashboard/login")
    if first.status_code == 302:  # already signed in
        return
    match = CSRF.search(first.get_data(as_text=True))
    assert match
    resp = client.post(
        "/dashboard/login",
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1), "next": ""},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)


def consent(
    client: FlaskClient,
    reg: RegisteredApp,
    challenge: str,
    decision: str = "allow",
    state: str = "st-123",
    scope: str | None = None,
) -> TestResponse:
    """GET the consent page (signed in), POST the decision; the POST's response."""
    page = client.get(authorize_url("", reg.client_id, reg.redirect_uri, challenge, state, scope))
    assert page.status_code == 200, page.get_data(as_text=True)
    action, csrf = consent_form(page.get_data(as_text=True))
    return client.post(action, data={"csrf_token": csrf, "decision": decision})


def redirect_params(resp: TestResponse) -> dict[str, str]:
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}


def token_call(client: FlaskClient, reg: RegisteredApp, **data: str) -> TestResponse:
    return client.post(
        "/oauth/token",
        data={"client_id": reg.client_id, "client_secret": reg.client_secret, **data},
    )


def get_code(
    client: FlaskClient, reg: RegisteredApp, person: Person, scope: str | None = None
) -> tuple[str, str]:
    """Sign in, allow; the code and the verifier."""
    sign_in(client, person.email)
    verifier, challenge = pkce_pair()
    params = redirect_params(consent(client, reg, challenge, scope=scope))
    return params["code"], verifier


def connect(
    client: FlaskClient, reg: RegisteredApp, person: Person, scope: str | None = None
) -> dict[str, Any]:
    """The whole dance; the token response."""
    code, verifier = get_code(client, reg, person, scope)
    resp = token_call(
        client,
        reg,
        grant_type="authorization_code",
        code=code,
        redirect_uri=reg.redirect_uri,
        code_verifier=verifier,
    )
    assert resp.status_code == 200, resp.json
    return resp.json  # type: ignore[no-any-return]
