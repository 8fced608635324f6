"""An app never gets more than the user who allows it may do: the scopes granted at the consent
page are narrowed to what the user's dashboard role may grant (hub/auth/scopes.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.auth.scopes import DEFAULT_SCOPES, grantable_scopes
from tests.oauth.conftest import Person, connect, consent, redirect_params, sign_in
from tests.oauth_support import RegisteredApp, authorize_url, make_user, pkce_pair
from tests.support import Api, Tenant

ASKED = "appointments:read customers:write webhooks:manage teams:write services:write"


@pytest.mark.parametrize(
    ("role", "granted", "withheld"),
    [
        ("owner", ASKED, ""),
        ("developer", ASKED, ""),
        (
            "dispatcher",
            "appointments:read customers:write",
            "services:write teams:write webhooks:manage",
        ),
    ],
)
def test_the_grant_is_narrowed_to_the_users_role(
    app: Flask,
    client: FlaskClient,
    zapier: RegisteredApp,
    tenant: Tenant,
    role: str,
    granted: str,
    withheld: str,
) -> None:
    email = f"{role}@dupont-plomberie.fr"
    person = Person(make_user(app, tenant.account_id, email, role), email)
    sign_in(client, email)
    _, challenge = pkce_pair()
    page = client.get(
        authorize_url("", zapier.client_id, zapier.redirect_uri, challenge, "s", ASKED)
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ('id="withheld"' in html) is bool(withheld)
    for scope in withheld.split():
        assert html.index(f'data-scope="{scope}"') > html.index('id="withheld"')
    tokens = connect(client, zapier, person, scope=ASKED)
    assert sorted(tokens["scope"].split()) == sorted(granted.split())
    api = Api(client, tokens["access_token"])
    hook = api.post(
        "/v2/webhooks", {"url": "https://hooks.example.org/x", "events": ["appointment.created"]}
    )
    assert (hook.status_code != 403) is ("webhooks:manage" in granted), hook.json


def test_nothing_grantable_offers_no_allow_and_a_forced_allow_is_a_refusal(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, tenant: Tenant
) -> None:
    email = "standard@dupont-plomberie.fr"
    make_user(app, tenant.account_id, email, "dispatcher")
    sign_in(client, email)
    _, challenge = pkce_pair()
    page = client.get(
        authorize_url("", zapier.client_id, zapier.redirect_uri, challenge, "s", "webhooks:manage")
    )
    html = page.get_data(as_text=True)
    assert 'id="nothing-grantable"' in html and 'id="allow"' not in html
    # The form posted with "allow" anyway (a crafted request): the app hears access_denied.
    params = redirect_params(consent(client, zapier, challenge, "allow", scope="webhooks:manage"))
    assert params["error"] == "access_denied" and "code" not in params


def test_every_role_is_in_the_table_and_none_may_grant_administration() -> None:
    from hub.models.user import ROLES

    for role in ROLES:
        assert grantable_scopes(role), role
        assert grantable_scopes(role) <= DEFAULT_SCOPES
    assert grantable_scopes("nobody") == frozenset()
